/* The serial shell's line editor: pure code, unit-tested.
 *
 * Every screen update is relative to the terminal's cursor, which always
 * sits where e->cursor is in the line: move left with \b, move right by
 * printing the characters already there, clear leftovers with ESC [ K.
 * Nothing here waits for the terminal or asks it anything, so a missing
 * or dumb terminal cannot stall the shell. */
#include "mgmt/lineedit.h"
#include "lib/string.h"

/* Where the escape-sequence parser is. */
enum {
	LED_ESC_NONE,	/* not in a sequence */
	LED_ESC_ESC,	/* ESC seen */
	LED_ESC_CSI,	/* ESC [ and at most a number seen */
	LED_ESC_SS3,	/* ESC O seen */
	LED_ESC_SKIP,	/* a sequence we do not act on: swallow to its end */
};

/* The keys sequences and control characters stand for. */
enum led_key {
	LED_K_NONE,
	LED_K_LEFT,
	LED_K_RIGHT,
	LED_K_HOME,
	LED_K_END,
	LED_K_UP,
	LED_K_DOWN,
	LED_K_DELETE,
};

/* Larger parameters are not keys we know; stopping here keeps the
 * arithmetic from overflowing on an endless run of digits. */
#define LED_ARG_MAX 1000

static const char led_clear_eol[] = "\x1b[K";

static void led_emit(struct led *e, const char *s, size_t n)
{
	if (n && e->out)
		e->out(e->ctx, s, n);
}

static void led_backspaces(struct led *e, unsigned n)
{
	static const char bs[16] = "\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b\b";

	while (n) {
		unsigned k = n < sizeof(bs) ? n : sizeof(bs);

		led_emit(e, bs, k);
		n -= k;
	}
}

/* Moves the cursor to pos (<= len) on the screen and in the line. */
static void led_move(struct led *e, unsigned pos)
{
	if (pos < e->cursor)
		led_backspaces(e, e->cursor - pos);
	else
		led_emit(e, e->line + e->cursor, pos - e->cursor);
	e->cursor = pos;
}

/* Redraws from the cursor to the end of the line after the text there
 * changed, clearing what a longer old line left behind, and returns the
 * cursor to where it was. */
static void led_show_tail(struct led *e)
{
	led_emit(e, e->line + e->cursor, e->len - e->cursor);
	led_emit(e, led_clear_eol, sizeof(led_clear_eol) - 1);
	led_backspaces(e, e->len - e->cursor);
}

/* Removes line[from, to) and leaves the cursor at from. */
static void led_delete(struct led *e, unsigned from, unsigned to)
{
	if (from >= to)
		return;
	led_move(e, from);
	/* The + 1 moves the NUL too, so line[len] stays '\0'. */
	memmove(e->line + from, e->line + to, e->len - to + 1);
	e->len -= to - from;
	led_show_tail(e);
}

static void led_insert(struct led *e, char c)
{
	if (e->len >= LED_LINE_MAX - 1) {
		/* Refuse loudly: a silently shortened command could do
		 * something other than what the operator typed. */
		led_emit(e, "\a", 1);
		return;
	}
	memmove(e->line + e->cursor + 1, e->line + e->cursor, e->len - e->cursor + 1);
	e->line[e->cursor] = c;
	e->len++;
	/* The line only grew, so nothing is left behind to clear. */
	led_emit(e, e->line + e->cursor, e->len - e->cursor);
	e->cursor++;
	led_backspaces(e, e->len - e->cursor);
}

/* Replaces the whole line with s (a history entry or the saved line) and
 * puts the cursor at its end, as readline does. */
static void led_replace(struct led *e, const char *s)
{
	size_t n = strnlen(s, LED_LINE_MAX - 1);

	led_move(e, 0);
	memcpy(e->line, s, n);
	e->line[n] = '\0';
	e->len = (unsigned)n;
	led_emit(e, e->line, e->len);
	led_emit(e, led_clear_eol, sizeof(led_clear_eol) - 1);
	e->cursor = e->len;
}

/* The history slot `back` entries before the newest. */
static char *led_hist_entry(struct led *e, unsigned back)
{
	return e->hist[(e->hist_head + LED_HISTORY - 1 - back) % LED_HISTORY];
}

static void led_hist_add(struct led *e)
{
	/* Empty lines and repeats of the last command would only make the
	 * operator press Up more often. */
	if (!e->len)
		return;
	if (e->hist_count && !strcmp(led_hist_entry(e, 0), e->line))
		return;
	memcpy(e->hist[e->hist_head], e->line, e->len + 1);
	e->hist_head = (e->hist_head + 1) % LED_HISTORY;
	if (e->hist_count < LED_HISTORY)
		e->hist_count++;
}

static void led_hist_up(struct led *e)
{
	/* Nothing older: stay on the oldest entry (or the edited line). */
	if (e->hist_pos + 1 >= (int)e->hist_count)
		return;
	if (e->hist_pos < 0)
		memcpy(e->saved, e->line, e->len + 1);
	e->hist_pos++;
	led_replace(e, led_hist_entry(e, (unsigned)e->hist_pos));
}

static void led_hist_down(struct led *e)
{
	if (e->hist_pos < 0)
		return;
	e->hist_pos--;
	if (e->hist_pos < 0)
		led_replace(e, e->saved);
	else
		led_replace(e, led_hist_entry(e, (unsigned)e->hist_pos));
}

/* Hands the line out and starts an empty one. The copy lives in saved,
 * which is idle until browsing starts again: that is why the returned
 * line only lasts until the next led_feed. */
static int led_finish(struct led *e, const char **line)
{
	memcpy(e->saved, e->line, e->len + 1);
	e->len = 0;
	e->cursor = 0;
	e->line[0] = '\0';
	e->hist_pos = -1;
	if (line)
		*line = e->saved;
	return 1;
}

static void led_key(struct led *e, enum led_key k)
{
	switch (k) {
	case LED_K_LEFT:
		if (e->cursor)
			led_move(e, e->cursor - 1);
		break;
	case LED_K_RIGHT:
		if (e->cursor < e->len)
			led_move(e, e->cursor + 1);
		break;
	case LED_K_HOME:
		led_move(e, 0);
		break;
	case LED_K_END:
		led_move(e, e->len);
		break;
	case LED_K_UP:
		led_hist_up(e);
		break;
	case LED_K_DOWN:
		led_hist_down(e);
		break;
	case LED_K_DELETE:
		if (e->cursor < e->len)
			led_delete(e, e->cursor, e->cursor + 1);
		break;
	case LED_K_NONE:
		break;
	}
}

/* The final byte of ESC O x, or of ESC [ x without parameters. */
static enum led_key led_letter_key(uint8_t c)
{
	switch (c) {
	case 'A': return LED_K_UP;
	case 'B': return LED_K_DOWN;
	case 'C': return LED_K_RIGHT;
	case 'D': return LED_K_LEFT;
	case 'H': return LED_K_HOME;
	case 'F': return LED_K_END;
	default:  return LED_K_NONE;
	}
}

/* ESC [ arg final. Home and End come as ESC [ 1 ~ / 4 ~ from VT220-style
 * terminals (the Linux console, PuTTY) and as 7 ~ / 8 ~ from rxvt. A
 * letter with a parameter (ESC [ 1 ; 5 C is Ctrl-Right) never gets here:
 * the ';' sends the parser to LED_ESC_SKIP. */
static enum led_key led_csi_key(uint8_t c, unsigned arg)
{
	if (c == '~') {
		switch (arg) {
		case 1: case 7: return LED_K_HOME;
		case 4: case 8: return LED_K_END;
		case 3: return LED_K_DELETE;
		default: return LED_K_NONE;
		}
	}
	return arg ? LED_K_NONE : led_letter_key(c);
}

/* Runs c through the escape-sequence parser. Returns true when c was part
 * of a sequence; false when c is to be handled as an ordinary byte (no
 * sequence in progress, or c is a control character, which ends any
 * sequence as on a real VT100: a stray ESC must not eat the Enter). */
static bool led_escape(struct led *e, uint8_t c)
{
	bool plain = c >= 0x20 && c <= 0x7e;

	switch (e->esc_state) {
	case LED_ESC_ESC:
		if (c == '[') {
			e->esc_state = LED_ESC_CSI;
			e->esc_arg = 0;
			return true;
		}
		if (c == 'O') {
			e->esc_state = LED_ESC_SS3;
			return true;
		}
		e->esc_state = LED_ESC_NONE;
		/* ESC x is Alt+x (ESC DEL Alt+Backspace): nothing is bound. */
		return plain || c == 0x7f;
	case LED_ESC_CSI:
		if (c >= '0' && c <= '9') {
			if (e->esc_arg < LED_ARG_MAX)
				e->esc_arg = e->esc_arg * 10 + (c - '0');
			return true;
		}
		/* More parameters, private markers, intermediates, or the
		 * Linux console's ESC [ [ A function keys. */
		if ((c >= 0x20 && c <= 0x3f) || c == '[') {
			e->esc_state = LED_ESC_SKIP;
			return true;
		}
		e->esc_state = LED_ESC_NONE;
		if (!plain)
			return false;
		led_key(e, led_csi_key(c, e->esc_arg));
		return true;
	case LED_ESC_SS3:
		/* ESC O 5 C and the like: modified keys, not ours. */
		if (c >= 0x20 && c <= 0x3f) {
			e->esc_state = LED_ESC_SKIP;
			return true;
		}
		e->esc_state = LED_ESC_NONE;
		if (!plain)
			return false;
		led_key(e, led_letter_key(c));
		return true;
	case LED_ESC_SKIP:
		if (c >= 0x20 && c <= 0x3f)
			return true;
		e->esc_state = LED_ESC_NONE;
		return plain;
	default:
		e->esc_state = LED_ESC_NONE;
		return false;
	}
}

void led_init(struct led *e, void (*out)(void *ctx, const char *s, size_t n), void *ctx)
{
	memset(e, 0, sizeof(*e));
	e->hist_pos = -1;
	e->out = out;
	e->ctx = ctx;
}

int led_feed(struct led *e, uint8_t c, const char **line)
{
	unsigned p;

	/* CR LF is one Enter, already handled at the CR. */
	if (e->after_cr) {
		e->after_cr = false;
		if (c == '\n')
			return 0;
	}
	if (led_escape(e, c))
		return 0;

	switch (c) {
	case '\r':
	case '\n':
		led_emit(e, "\r\n", 2);
		led_hist_add(e);
		e->after_cr = c == '\r';
		return led_finish(e, line);
	case 0x03:	/* Ctrl-C: abandon the line, but show what it was */
		led_move(e, e->len);
		led_emit(e, "^C\r\n", 4);
		e->len = 0;
		e->line[0] = '\0';
		return led_finish(e, line);
	case 0x08:	/* Backspace */
	case 0x7f:	/* DEL, what most terminals send for Backspace */
		if (e->cursor)
			led_delete(e, e->cursor - 1, e->cursor);
		break;
	case 0x01:	/* Ctrl-A */
		led_key(e, LED_K_HOME);
		break;
	case 0x05:	/* Ctrl-E */
		led_key(e, LED_K_END);
		break;
	case 0x0b:	/* Ctrl-K: kill to the end */
		if (e->cursor < e->len) {
			e->len = e->cursor;
			e->line[e->len] = '\0';
			led_emit(e, led_clear_eol, sizeof(led_clear_eol) - 1);
		}
		break;
	case 0x15:	/* Ctrl-U: kill to the start */
		led_delete(e, 0, e->cursor);
		break;
	case 0x17:	/* Ctrl-W: the blanks left of the cursor, then the word */
		p = e->cursor;
		while (p && e->line[p - 1] == ' ')
			p--;
		while (p && e->line[p - 1] != ' ')
			p--;
		led_delete(e, p, e->cursor);
		break;
	case 0x1b:
		e->esc_state = LED_ESC_ESC;
		break;
	default:
		/* Tabs, other control characters and 8-bit bytes have no
		 * meaning here; inserting them would hide bytes the operator
		 * cannot see in a command. */
		if (c >= 0x20 && c <= 0x7e)
			led_insert(e, (char)c);
		break;
	}
	return 0;
}

void led_redraw(struct led *e, const char *prompt)
{
	led_emit(e, "\r", 1);
	if (prompt)
		led_emit(e, prompt, strlen(prompt));
	led_emit(e, e->line, e->len);
	led_emit(e, led_clear_eol, sizeof(led_clear_eol) - 1);
	led_backspaces(e, e->len - e->cursor);
}
