/* The serial shell's line editor. Echo goes to a fake terminal that
 * keeps the raw bytes (for exact-output checks) and also plays them on a
 * one-row screen model, so every test checks that what the operator sees
 * is the prompt, the line, and the cursor in the right place. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "mgmt/lineedit.h"

#define PROMPT "vatra> "
#define PLEN (sizeof(PROMPT) - 1)

#define UP	"\x1b[A"
#define DOWN	"\x1b[B"
#define RIGHT	"\x1b[C"
#define LEFT	"\x1b[D"
#define DELKEY	"\x1b[3~"
#define CLR	"\x1b[K"

/* A terminal that understands exactly what the editor may send. */
struct term {
	char raw[8192];		/* bytes since the last raw_reset */
	size_t raw_len;
	int raw_lost;		/* raw was too small for them */
	char row[2048];		/* the cursor's row; no wrapping */
	unsigned used, col;
	char prev[2048];	/* the row finished by the last \n */
	unsigned prev_used;
	unsigned esc;		/* 1: ESC seen, 2: ESC [ seen */
	unsigned bells, rows;
	int bad;		/* a byte the editor must not send */
};

static struct fixture {
	struct led e;
	struct term t;
	char done[LED_LINE_MAX];	/* the last completed line */
	int ndone;			/* lines completed */
} fx;

static void term_byte(struct term *t, char c)
{
	if (t->esc == 1) {
		t->esc = c == '[' ? 2 : 0;
		t->bad |= c != '[';
		return;
	}
	if (t->esc == 2) {
		/* ESC [ K is the only sequence allowed. */
		t->esc = 0;
		t->bad |= c != 'K';
		if (t->col < t->used)
			t->used = t->col;
		return;
	}
	if (c >= 0x20 && c <= 0x7e) {
		if (t->col >= sizeof(t->row)) {
			t->bad = 1;
			return;
		}
		t->row[t->col++] = c;
		if (t->used < t->col)
			t->used = t->col;
		return;
	}
	switch (c) {
	case '\b':
		/* \b at the margin does nothing on a terminal: a bug here
		 * would show as a cursor out of step with the line. */
		if (!t->col)
			t->bad = 1;
		else
			t->col--;
		break;
	case '\r':
		t->col = 0;
		break;
	case '\n':
		t->bad |= t->col != 0;	/* always as \r\n */
		memcpy(t->prev, t->row, t->used);
		t->prev_used = t->used;
		t->used = 0;
		t->rows++;
		break;
	case '\a':
		t->bells++;
		break;
	case 0x1b:
		t->esc = 1;
		break;
	default:
		t->bad = 1;
		break;
	}
}

static void term_puts(struct term *t, const char *s)
{
	while (*s)
		term_byte(t, *s++);
}

static void fake_out(void *ctx, const char *s, size_t n)
{
	struct term *t = ctx;

	assert_non_null(s);
	assert_true(n > 0);	/* empty writes would be wasted UART calls */
	for (size_t i = 0; i < n; i++) {
		if (t->raw_len < sizeof(t->raw) - 1)
			t->raw[t->raw_len++] = s[i];
		else
			t->raw_lost = 1;
		term_byte(t, s[i]);
	}
	t->raw[t->raw_len] = '\0';
}

static void raw_reset(void)
{
	fx.t.raw_len = 0;
	fx.t.raw_lost = 0;
	fx.t.raw[0] = '\0';
}

/* The screen shows prompt + line with the cursor at e.cursor. */
static void check_screen(void)
{
	assert_false(fx.t.bad);
	assert_int_equal(fx.t.esc, 0);
	assert_int_equal(fx.t.used, PLEN + fx.e.len);
	assert_memory_equal(fx.t.row, PROMPT, PLEN);
	if (fx.e.len)
		assert_memory_equal(fx.t.row + PLEN, fx.e.line, fx.e.len);
	assert_int_equal(fx.t.col, PLEN + fx.e.cursor);
}

/* What must hold after any byte. */
static void check_invariants(const struct led *e)
{
	assert_true(e->len < LED_LINE_MAX);
	assert_true(e->cursor <= e->len);
	assert_int_equal(e->line[e->len], '\0');
	assert_int_equal(strlen(e->line), e->len);
	assert_true(e->hist_count <= LED_HISTORY);
	assert_true(e->hist_head < LED_HISTORY);
	assert_true(e->hist_pos >= -1 && e->hist_pos < (int)e->hist_count);
	for (unsigned i = 0; i < e->hist_count; i++) {
		const char *h = e->hist[(e->hist_head + LED_HISTORY - 1 - i) % LED_HISTORY];

		assert_true(strnlen(h, LED_LINE_MAX) > 0);
		assert_true(strnlen(h, LED_LINE_MAX) < LED_LINE_MAX);
		if (i)
			assert_string_not_equal(h, e->hist[(e->hist_head + LED_HISTORY - i) %
							   LED_HISTORY]);
	}
}

static void setup_fx(void)
{
	memset(&fx, 0, sizeof(fx));
	led_init(&fx.e, fake_out, &fx.t);
	term_puts(&fx.t, PROMPT);
	check_screen();
}

/* Feeds one byte as the shell would, checking the screen and the
 * completed line; returns what led_feed returned. */
static int feed_byte(uint8_t c)
{
	char before[LED_LINE_MAX];
	unsigned before_len = fx.e.len;
	const char *line = NULL;
	int r;

	memcpy(before, fx.e.line, fx.e.len + 1);
	r = led_feed(&fx.e, c, &line);
	assert_true(r == 0 || r == 1);
	check_invariants(&fx.e);
	if (r) {
		assert_non_null(line);
		assert_true(strlen(line) < LED_LINE_MAX);
		strcpy(fx.done, line);
		fx.ndone++;
		/* A new line starts empty. */
		assert_int_equal(fx.e.len, 0);
		assert_int_equal(fx.e.hist_pos, -1);
		/* The finished row shows what was typed. */
		assert_int_equal(fx.t.col, 0);
		if (c == 0x03) {
			assert_string_equal(line, "");
			assert_int_equal(fx.t.prev_used, PLEN + before_len + 2);
			assert_memory_equal(fx.t.prev + PLEN, before, before_len);
			assert_memory_equal(fx.t.prev + PLEN + before_len, "^C", 2);
		} else {
			assert_true(c == '\r' || c == '\n');
			assert_string_equal(line, before);
			assert_int_equal(fx.t.prev_used, PLEN + strlen(line));
			assert_memory_equal(fx.t.prev + PLEN, line, strlen(line));
		}
		assert_memory_equal(fx.t.prev, PROMPT, PLEN);
		term_puts(&fx.t, PROMPT);	/* the shell's next prompt */
	}
	check_screen();
	return r;
}

/* Feeds a string; returns the number of lines it completed. */
static int feed(const char *s)
{
	int n = 0;

	while (*s)
		n += feed_byte((uint8_t)*s++);
	return n;
}

/* Feeds s and checks the exact echo. */
static void feed_expect(const char *s, const char *echo)
{
	raw_reset();
	feed(s);
	assert_false(fx.t.raw_lost);
	assert_string_equal(fx.t.raw, echo);
}

static void assert_line(const char *s, unsigned cursor)
{
	assert_string_equal(fx.e.line, s);
	assert_int_equal(fx.e.len, strlen(s));
	assert_int_equal(fx.e.cursor, cursor);
}

static const char *hist_newest(unsigned back)
{
	return fx.e.hist[(fx.e.hist_head + LED_HISTORY - 1 - back) % LED_HISTORY];
}

static void test_init(void **state)
{
	(void)state;
	setup_fx();
	assert_line("", 0);
	assert_int_equal(fx.e.hist_count, 0);
	assert_int_equal(fx.e.hist_pos, -1);
	assert_int_equal(fx.e.esc_state, 0);
	assert_ptr_equal(fx.e.out, fake_out);
	assert_ptr_equal(fx.e.ctx, &fx.t);
	/* Enter on an empty line completes it but keeps no history. */
	feed_expect("\r", "\r\n");
	assert_int_equal(fx.ndone, 1);
	assert_string_equal(fx.done, "");
	assert_int_equal(fx.e.hist_count, 0);
}

static void test_type_and_enter(void **state)
{
	const char *line = NULL;

	(void)state;
	setup_fx();
	feed_expect("ls -l", "ls -l");
	assert_line("ls -l", 5);
	assert_int_equal(fx.ndone, 0);

	raw_reset();
	assert_int_equal(led_feed(&fx.e, '\r', &line), 1);
	assert_string_equal(fx.t.raw, "\r\n");
	assert_non_null(line);
	assert_string_equal(line, "ls -l");
	assert_line("", 0);
	assert_int_equal(fx.e.hist_count, 1);
	assert_string_equal(hist_newest(0), "ls -l");

	/* A NULL line pointer is allowed; the next line starts clean. */
	term_puts(&fx.t, PROMPT);
	feed("x");
	assert_int_equal(led_feed(&fx.e, '\n', NULL), 1);
	assert_line("", 0);
	assert_string_equal(hist_newest(0), "x");
}

static void test_enter_variants(void **state)
{
	(void)state;
	setup_fx();
	/* CR LF is one Enter. */
	feed_expect("a\r\n", "a\r\n");
	assert_int_equal(fx.ndone, 1);
	assert_string_equal(fx.done, "a");
	/* LF alone is an Enter. */
	assert_int_equal(feed("b\n"), 1);
	assert_string_equal(fx.done, "b");
	/* LF after LF, and LF CR, are each two Enters. */
	assert_int_equal(feed("\n\n"), 2);
	assert_int_equal(feed("\n\r"), 2);
	/* CR CR is two, the second empty. */
	assert_int_equal(feed("c\r\r"), 2);
	assert_string_equal(fx.done, "");
	/* Only the byte right after the CR is merged. */
	assert_int_equal(feed("d\rx\n"), 2);
	assert_string_equal(fx.done, "x");
	assert_int_equal(feed("\r\n\n"), 2);
	/* CR LF split across polls of the UART still counts once. */
	assert_int_equal(feed("e\r"), 1);
	assert_int_equal(feed("\n"), 0);
	assert_string_equal(fx.done, "e");
	assert_int_equal(fx.ndone, 13);
}

static void test_insert_middle(void **state)
{
	(void)state;
	setup_fx();
	feed("ac");
	feed_expect(LEFT, "\b");
	assert_line("ac", 1);
	/* The tail is reprinted and the cursor walked back over it. */
	feed_expect("b", "bc\b");
	assert_line("abc", 2);
	feed_expect("\x01" "X", "\b\b" "Xabc\b\b\b");
	assert_line("Xabc", 1);
	assert_int_equal(feed("\r"), 1);
	assert_string_equal(fx.done, "Xabc");
}

static void test_backspace_del(void **state)
{
	(void)state;
	setup_fx();
	feed("abc");
	feed_expect("\b", "\b" CLR);
	assert_line("ab", 2);
	feed_expect("\x7f", "\b" CLR);
	assert_line("a", 1);
	feed("xyz");
	feed(LEFT LEFT);
	assert_line("axyz", 2);
	feed_expect("\x7f", "\b" "yz" CLR "\b\b");
	assert_line("ayz", 1);
	feed_expect("\x01\b\x7f", "\b");	/* at the start: nothing */
	assert_line("ayz", 0);
	assert_int_equal(feed("\r"), 1);
	assert_string_equal(fx.done, "ayz");
}

static void test_home_keys(void **state)
{
	static const char *const keys[] = { "\x01", "\x1b[H", "\x1b[1~", "\x1bOH", "\x1b[7~" };

	(void)state;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		setup_fx();
		feed("abc");
		feed_expect(keys[i], "\b\b\b");
		assert_line("abc", 0);
		feed_expect(keys[i], "");	/* already there */
		feed("X");
		assert_line("Xabc", 1);
	}
}

static void test_end_keys(void **state)
{
	static const char *const keys[] = { "\x05", "\x1b[F", "\x1b[4~", "\x1bOF", "\x1b[8~" };

	(void)state;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		setup_fx();
		feed("abc" "\x01" RIGHT);
		assert_line("abc", 1);
		feed_expect(keys[i], "bc");
		assert_line("abc", 3);
		feed_expect(keys[i], "");
		feed("X");
		assert_line("abcX", 4);
	}
}

static void test_arrows(void **state)
{
	(void)state;
	setup_fx();
	feed("abc");
	feed_expect(RIGHT, "");		/* at the end: nothing */
	assert_line("abc", 3);
	feed_expect(LEFT LEFT LEFT, "\b\b\b");
	feed_expect(LEFT, "");		/* at the start: nothing */
	assert_line("abc", 0);
	/* Moving right reprints the character stepped over. */
	feed_expect(RIGHT, "a");
	assert_line("abc", 1);
	/* Application cursor mode (ESC O x) does the same. */
	feed_expect("\x1bOC", "b");
	assert_line("abc", 2);
	feed_expect("\x1bOD\x1bOD", "\b\b");
	assert_line("abc", 0);
	feed(RIGHT RIGHT RIGHT RIGHT RIGHT);
	assert_line("abc", 3);
}

static void test_kill_to_start(void **state)
{
	(void)state;
	setup_fx();
	feed("hello world" LEFT LEFT LEFT LEFT LEFT);
	assert_line("hello world", 6);
	feed_expect("\x15", "\b\b\b\b\b\b" "world" CLR "\b\b\b\b\b");
	assert_line("world", 0);
	feed_expect("\x15", "");
	assert_line("world", 0);
	feed("\x05");
	feed_expect("\x15", "\b\b\b\b\b" CLR);
	assert_line("", 0);
	assert_int_equal(feed("\r"), 1);
	assert_string_equal(fx.done, "");
}

static void test_kill_to_end(void **state)
{
	(void)state;
	setup_fx();
	feed("hello world" "\x01" RIGHT RIGHT RIGHT RIGHT RIGHT);
	assert_line("hello world", 5);
	feed_expect("\x0b", CLR);
	assert_line("hello", 5);
	feed_expect("\x0b", "");
	feed("\x01");
	feed_expect("\x0b", CLR);
	assert_line("", 0);
	feed("ps");
	assert_int_equal(feed("\r"), 1);
	assert_string_equal(fx.done, "ps");
}

static void test_kill_word(void **state)
{
	(void)state;
	setup_fx();
	feed("ls foo");
	feed_expect("\x17", "\b\b\b" CLR);
	assert_line("ls ", 3);
	feed("\x15");

	/* Trailing blanks go with the word before them. */
	feed("ls  foo bar  ");
	feed("\x17");
	assert_line("ls  foo ", 8);
	feed("\x17");
	assert_line("ls  ", 4);
	feed("\x17");
	assert_line("", 0);
	feed_expect("\x17", "");
	assert_line("", 0);

	/* In the middle of a word: only the part left of the cursor. */
	feed("start web" LEFT LEFT);
	feed_expect("\x17", "\b" "eb" CLR "\b\b");
	assert_line("start eb", 6);
	feed("\x17");
	assert_line("eb", 0);
}

static void test_ctrl_c(void **state)
{
	(void)state;
	setup_fx();
	feed("abc");
	feed_expect("\x03", "^C\r\n");
	assert_int_equal(fx.ndone, 1);
	assert_string_equal(fx.done, "");
	assert_line("", 0);
	assert_int_equal(fx.e.hist_count, 0);	/* abandoned, not kept */

	/* The whole abandoned line stays visible before the ^C. */
	feed("abc" LEFT LEFT);
	feed_expect("\x03", "bc^C\r\n");
	assert_int_equal(fx.ndone, 2);
	assert_int_equal(feed("x\r"), 1);
	assert_string_equal(fx.done, "x");

	/* Ctrl-C while browsing ends the browsing. */
	feed("two" UP);
	assert_line("x", 1);
	assert_int_equal(fx.e.hist_pos, 0);
	assert_int_equal(feed("\x03"), 1);
	assert_string_equal(fx.done, "");
	assert_int_equal(fx.e.hist_pos, -1);
	feed_expect(DOWN, "");
	assert_line("", 0);
	feed(UP);
	assert_line("x", 1);
	feed("\x03");

	/* Ctrl-C also abandons a half-received escape sequence. */
	assert_int_equal(feed("\x1b[1\x03"), 1);
	feed("D");
	assert_line("D", 1);
}

static void test_delete_key(void **state)
{
	(void)state;
	setup_fx();
	feed("abc\x01");
	feed_expect(DELKEY, "bc" CLR "\b\b");
	assert_line("bc", 0);
	feed(RIGHT);
	feed_expect(DELKEY, "" CLR);
	assert_line("b", 1);
	feed_expect(DELKEY, "");	/* at the end: nothing */
	assert_line("b", 1);
}

static void test_unknown_escapes(void **state)
{
	static const char *const seqs[] = {
		"\x1b[1;5C", "\x1b[1;5D", "\x1b[1;2A", "\x1b[1;3H",	/* modified keys */
		"\x1b[200~", "\x1b[201~",	/* bracketed paste marks */
		"\x1b[Z", "\x1b[2~", "\x1b[5~", "\x1b[6~", "\x1b[15~", "\x1b[24~",
		"\x1bOP", "\x1bOS", "\x1b[[A", "\x1b[[E",	/* function keys */
		"\x1bO5C", "\x1bO1;2P",
		"\x1b[1C", "\x1b[0~", "\x1b[?1;2c", "\x1b[>0;95;0c", "\x1b[ q", "\x1b[12;40R",
		"\x1b[99999999999999999999999~", "\x1b[99999999999999999999999C",
		"\x1b[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16;17;18;19;20;21;22;23m",
		"\x1bx", "\x1b.", "\x1b\x7f", "\x1b~", "\x1b[",	/* Alt+key, a lone ESC [ ... */
	};

	(void)state;
	setup_fx();
	feed("ab" LEFT);
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		feed_expect(seqs[i], "");
		assert_line("ab", 1);
		/* Nothing is left half-parsed: the next key acts at once
		 * (after "ESC [" the 'Z' ends that sequence instead). */
		if (!strcmp(seqs[i], "\x1b[")) {
			feed_expect("Z", "");
			assert_line("ab", 1);
		}
		feed_expect("Z", "Zb\b");
		assert_line("aZb", 2);
		feed("\b");
	}
	assert_int_equal(fx.ndone, 0);
}

static void test_escape_interrupted(void **state)
{
	(void)state;
	setup_fx();
	/* A control character ends a sequence and still acts: a stray ESC
	 * must not eat the Enter. */
	assert_int_equal(feed("ab\x1b[\r"), 1);
	assert_string_equal(fx.done, "ab");
	assert_int_equal(feed("cd\x1b\r"), 1);
	assert_string_equal(fx.done, "cd");
	assert_int_equal(feed("ef\x1b[1;5\r"), 1);
	assert_string_equal(fx.done, "ef");
	assert_int_equal(feed("gh\x1bO\n"), 1);
	assert_string_equal(fx.done, "gh");
	/* A second ESC starts over: Esc pressed before an arrow key. */
	feed("ab\x1b\x1b[D");
	assert_line("ab", 1);
	feed("\x1b[1\x1b[D");
	assert_line("ab", 0);
	/* DEL inside a sequence is a Backspace. */
	feed("\x05\x1b[\x7f");
	assert_line("a", 1);
	/* 8-bit bytes end a sequence and are dropped. */
	feed_expect("\x1b[\xc3" "D", "D");
	assert_line("aD", 2);
}

static void test_controls_ignored(void **state)
{
	static const uint8_t ignored[] = {
		0x00, 0x02, 0x04, 0x06, 0x07, 0x09, 0x0c, 0x0e, 0x0f, 0x10, 0x11, 0x12,
		0x13, 0x14, 0x16, 0x18, 0x19, 0x1a, 0x1c, 0x1d, 0x1e, 0x1f,
		0x80, 0x9b, 0xc3, 0xa9, 0xff,
	};

	(void)state;
	setup_fx();
	feed("ab" LEFT);
	raw_reset();
	for (size_t i = 0; i < sizeof(ignored); i++) {
		assert_int_equal(feed_byte(ignored[i]), 0);
		assert_line("ab", 1);
	}
	assert_string_equal(fx.t.raw, "");
	assert_int_equal(fx.e.esc_state, 0);
	/* 0x9b (a C1 CSI) is not a sequence start here: D is a letter. */
	feed("D");
	assert_line("aDb", 2);
}

static void test_overflow(void **state)
{
	char full[LED_LINE_MAX];

	(void)state;
	setup_fx();
	raw_reset();
	for (int i = 0; i < 300; i++)
		feed_byte('a' + i % 26);
	assert_int_equal(fx.e.len, LED_LINE_MAX - 1);
	assert_int_equal(fx.e.cursor, LED_LINE_MAX - 1);
	assert_int_equal(fx.e.line[LED_LINE_MAX - 1], '\0');
	assert_int_equal(fx.t.bells, 300 - (LED_LINE_MAX - 1));
	assert_int_equal(fx.t.raw_len, 300);	/* 255 echoed, 45 bells */
	for (int i = 0; i < LED_LINE_MAX - 1; i++)
		full[i] = (char)('a' + i % 26);
	full[LED_LINE_MAX - 1] = '\0';
	assert_string_equal(fx.e.line, full);

	/* Nor in the middle. */
	feed("\x01");
	feed_expect("Q", "\a");
	assert_int_equal(fx.e.cursor, 0);
	assert_string_equal(fx.e.line, full);

	/* Room made, room used. */
	feed("\x05\x7fz");
	full[LED_LINE_MAX - 2] = 'z';
	assert_string_equal(fx.e.line, full);
	feed_expect("y", "\a");
	assert_int_equal(feed("\r"), 1);
	assert_string_equal(fx.done, full);
	assert_string_equal(hist_newest(0), full);

	/* The longest line comes back whole from history. */
	feed(UP);
	assert_string_equal(fx.e.line, full);
	assert_int_equal(fx.e.cursor, LED_LINE_MAX - 1);
	feed_expect("w", "\a");
}

static void test_history_empty(void **state)
{
	(void)state;
	setup_fx();
	feed("abc" LEFT);
	feed_expect(UP, "");
	assert_line("abc", 2);
	assert_int_equal(fx.e.hist_pos, -1);
	feed_expect(DOWN, "");
	assert_line("abc", 2);
	feed_expect(UP UP DOWN DOWN "\x1bOA\x1bOB", "");
	assert_int_equal(fx.e.hist_pos, -1);
	assert_int_equal(feed("\r"), 1);
	assert_string_equal(fx.done, "abc");
}

static void test_history_browse(void **state)
{
	(void)state;
	setup_fx();
	assert_int_equal(feed("one\rtwo\rthree\r"), 3);
	assert_int_equal(fx.e.hist_count, 3);
	feed("draft");

	feed_expect(UP, "\b\b\b\b\b" "three" CLR);
	assert_line("three", 5);
	assert_int_equal(fx.e.hist_pos, 0);
	feed_expect(UP, "\b\b\b\b\b" "two" CLR);
	assert_line("two", 3);
	feed_expect("\x1bOA", "\b\b\b" "one" CLR);	/* ESC O A too */
	assert_line("one", 3);
	assert_int_equal(fx.e.hist_pos, 2);
	/* Past the oldest: nothing changes. */
	feed_expect(UP, "");
	assert_line("one", 3);
	assert_int_equal(fx.e.hist_pos, 2);

	feed(DOWN);
	assert_line("two", 3);
	feed("\x1bOB");
	assert_line("three", 5);
	/* Past the newest: the line being edited comes back. */
	feed_expect(DOWN, "\b\b\b\b\b" "draft" CLR);
	assert_line("draft", 5);
	assert_int_equal(fx.e.hist_pos, -1);
	feed_expect(DOWN, "");
	assert_line("draft", 5);

	/* Recalling from the middle of a line redraws from the start. */
	feed(LEFT LEFT LEFT);
	feed_expect(UP, "\b\b" "three" CLR);
	assert_line("three", 5);
	feed(DOWN);
	assert_line("draft", 5);
	/* An empty edited line comes back empty. */
	feed("\x15" UP DOWN);
	assert_line("", 0);
	assert_int_equal(fx.e.hist_count, 3);
}

static void test_history_edit_recalled(void **state)
{
	(void)state;
	setup_fx();
	feed("ls\r");
	feed(UP " -l");
	assert_line("ls -l", 5);
	assert_int_equal(feed("\r"), 1);
	assert_string_equal(fx.done, "ls -l");
	assert_int_equal(fx.e.hist_count, 2);
	/* The entry recalled is not changed by editing its copy. */
	assert_string_equal(hist_newest(0), "ls -l");
	assert_string_equal(hist_newest(1), "ls");

	/* Edits to a recalled line are dropped when browsing on. */
	feed(UP "\x7f\x7f" UP DOWN);
	assert_line("ls -l", 5);
	/* Running a recalled line unchanged adds no duplicate. */
	assert_int_equal(feed("\r"), 1);
	assert_int_equal(fx.e.hist_count, 2);
	feed(UP UP);
	assert_line("ls", 2);
	assert_int_equal(feed("\r"), 1);
	assert_int_equal(fx.e.hist_count, 3);
	assert_string_equal(hist_newest(0), "ls");
}

static void test_history_no_dups(void **state)
{
	(void)state;
	setup_fx();
	assert_int_equal(feed("ls\rls\rps\rls\r\r\r\x03"), 7);
	assert_int_equal(fx.e.hist_count, 3);
	assert_string_equal(hist_newest(0), "ls");
	assert_string_equal(hist_newest(1), "ps");
	assert_string_equal(hist_newest(2), "ls");
	feed(UP);
	assert_line("ls", 2);
	feed(UP);
	assert_line("ps", 2);
	feed(UP);
	assert_line("ls", 2);
	feed(UP);
	assert_line("ls", 2);
	assert_int_equal(fx.e.hist_pos, 2);
}

static void test_history_ring(void **state)
{
	char buf[16];

	(void)state;
	setup_fx();
	for (int i = 0; i < 20; i++) {
		buf[0] = 'c';
		buf[1] = (char)('0' + i / 10);
		buf[2] = (char)('0' + i % 10);
		buf[3] = '\r';
		buf[4] = '\0';
		assert_int_equal(feed(buf), 1);
	}
	assert_int_equal(fx.e.hist_count, LED_HISTORY);
	for (int i = 0; i < LED_HISTORY; i++)
		feed(UP);
	assert_line("c04", 3);		/* the four oldest fell off */
	feed(UP);
	assert_line("c04", 3);
	feed(DOWN);
	assert_line("c05", 3);
	for (int i = 0; i < LED_HISTORY; i++)
		feed(DOWN);
	assert_line("", 0);
	assert_int_equal(fx.e.hist_pos, -1);
	feed(UP);
	assert_line("c19", 3);
}

static void test_redraw(void **state)
{
	(void)state;
	setup_fx();
	feed("ab" LEFT);
	raw_reset();
	led_redraw(&fx.e, PROMPT);
	assert_string_equal(fx.t.raw, "\r" PROMPT "ab" CLR "\b");
	assert_line("ab", 1);
	check_screen();

	/* A partition's console line printed over the input, as the shell
	 * will: clear the row, print, then have the line redrawn. */
	term_puts(&fx.t, "\r" CLR "[web] a longer console line than the input\r\n");
	assert_int_equal(fx.t.used, 0);
	led_redraw(&fx.e, PROMPT);
	check_screen();
	/* Editing carries on where it was. */
	feed("X");
	assert_line("aXb", 2);

	/* No prompt: just the line. */
	raw_reset();
	led_redraw(&fx.e, NULL);
	assert_string_equal(fx.t.raw, "\r" "aXb" CLR "\b");
	led_redraw(&fx.e, PROMPT);
	check_screen();

	/* After a completed line the new, empty line is drawn. */
	feed("\r");
	raw_reset();
	led_redraw(&fx.e, PROMPT);
	assert_string_equal(fx.t.raw, "\r" PROMPT CLR);
	check_screen();
}

static void test_no_output(void **state)
{
	struct led e;
	const char *line = NULL;
	const char *s = "abc" LEFT "\x7f" UP;
	int n = 0;

	(void)state;
	led_init(&e, NULL, NULL);
	while (*s)
		n += led_feed(&e, (uint8_t)*s++, &line);
	assert_int_equal(n, 0);
	assert_string_equal(e.line, "ac");
	assert_int_equal(e.cursor, 1);
	led_redraw(&e, "> ");
	assert_int_equal(led_feed(&e, '\r', &line), 1);
	assert_string_equal(line, "ac");
	assert_int_equal(led_feed(&e, 0x1b, &line), 0);
	assert_int_equal(led_feed(&e, '[', &line), 0);
	assert_int_equal(led_feed(&e, 'A', &line), 0);
	assert_string_equal(e.line, "ac");
}

/* xorshift64*: reproducible, so a failure can be replayed. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static void test_fuzz(void **state)
{
	static const char *const seqs[] = {
		UP, DOWN, LEFT, RIGHT, DELKEY, "\x1b[H", "\x1b[F", "\x1b[1~", "\x1b[4~",
		"\x1bOH", "\x1bOF", "\x1bOA", "\x1bOB", "\x1b[1;5C", "\x1b[200~", "\x1b[[A",
		"\x1bO5C", "\x1bx",
	};
	static const uint8_t interesting[] = {
		0x1b, '[', 'O', '~', '1', '3', '4', ';', 'A', 'B', 'C', 'D', 'H', 'F', ' ',
		'\r', '\n', 0x03, 0x08, 0x7f, 0x01, 0x05, 0x0b, 0x15, 0x17,
	};
	unsigned fed = 0, full = 0, browsing = 0, redraws = 0;

	(void)state;
	setup_fx();
	while (fed < 200000) {
		uint32_t r = rng() % 1000;

		raw_reset();
		if (r < 200) {
			feed_byte((uint8_t)rng());
			fed++;
		} else if (r < 600) {
			feed_byte((uint8_t)(0x20 + rng() % 95));
			fed++;
		} else if (r < 750) {
			const char *s = seqs[rng() % (sizeof(seqs) / sizeof(seqs[0]))];

			fed += (unsigned)strlen(s);
			feed(s);
		} else if (r < 997) {
			feed_byte(interesting[rng() % sizeof(interesting)]);
			fed++;
		} else if (r < 998) {
			/* A long paste, to hit the end of the line. */
			for (int i = 0; i < 300; i++)
				feed_byte((uint8_t)(0x20 + rng() % 95));
			fed += 300;
		} else {
			led_redraw(&fx.e, PROMPT);
			check_screen();
			redraws++;
		}
		full += fx.e.len == LED_LINE_MAX - 1;
		browsing += fx.e.hist_pos >= 0;
	}
	/* The run reached the states worth reaching. */
	assert_true(fx.ndone > 1000);
	assert_int_equal(fx.e.hist_count, LED_HISTORY);
	assert_true(full > 0);
	assert_true(browsing > 1000);
	assert_true(redraws > 0);
	assert_true(fx.t.bells > 0);

	/* And the editor is not wedged: Ctrl-C ends any sequence, then a
	 * typed command comes out as typed. */
	feed("\x03");
	assert_int_equal(feed("list\r"), 1);
	assert_string_equal(fx.done, "list");
	assert_string_equal(hist_newest(0), "list");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_type_and_enter),
		cmocka_unit_test(test_enter_variants),
		cmocka_unit_test(test_insert_middle),
		cmocka_unit_test(test_backspace_del),
		cmocka_unit_test(test_home_keys),
		cmocka_unit_test(test_end_keys),
		cmocka_unit_test(test_arrows),
		cmocka_unit_test(test_kill_to_start),
		cmocka_unit_test(test_kill_to_end),
		cmocka_unit_test(test_kill_word),
		cmocka_unit_test(test_ctrl_c),
		cmocka_unit_test(test_delete_key),
		cmocka_unit_test(test_unknown_escapes),
		cmocka_unit_test(test_escape_interrupted),
		cmocka_unit_test(test_controls_ignored),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_history_empty),
		cmocka_unit_test(test_history_browse),
		cmocka_unit_test(test_history_edit_recalled),
		cmocka_unit_test(test_history_no_dups),
		cmocka_unit_test(test_history_ring),
		cmocka_unit_test(test_redraw),
		cmocka_unit_test(test_no_output),
		cmocka_unit_test(test_fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
