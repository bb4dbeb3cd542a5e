/* A small line editor for the operator's serial shell: cursor movement,
 * kill commands and a history ring, on any VT100-ish terminal. Pure code
 * (no UART, no allocation) so it is unit-tested on the host; the shell
 * feeds it received bytes and gives it a function that writes to the
 * console.
 *
 * Output uses only \b, \r, \r\n, printable characters, BEL and ESC [ K,
 * and every redraw is relative to the cursor, so the editor needs to know
 * neither the prompt (except in led_redraw) nor the terminal's size. The
 * price: a line that wraps past the terminal's right margin is redrawn
 * wrongly, as \b does not climb to the row above on most terminals. */
#ifndef VATRA_MGMT_LINEEDIT_H
#define VATRA_MGMT_LINEEDIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define LED_LINE_MAX 256	/* bytes per line, the NUL included */
#define LED_HISTORY 16		/* lines remembered */

struct led {
	/* The line being edited; always NUL-terminated at line[len]. */
	char line[LED_LINE_MAX];
	unsigned len, cursor;

	/* A ring of completed lines: hist_head is the slot the next line
	 * goes to, the newest is just before it. hist_pos is -1 when not
	 * browsing, else how far back the shown entry is (0 = newest). */
	char hist[LED_HISTORY][LED_LINE_MAX];
	unsigned hist_count, hist_head;
	int hist_pos;

	/* The line being edited when browsing started, put back when the
	 * operator goes down past the newest entry. Between browsing
	 * sessions it holds the line led_feed() last completed. */
	char saved[LED_LINE_MAX];

	/* Escape-sequence parser: which part of ESC [ ... / ESC O ... has
	 * been seen, and the sequence's numeric parameter so far. */
	unsigned esc_state;
	unsigned esc_arg;

	/* The last byte completed a line with CR: a following LF belongs
	 * to the same Enter (terminals send CR, LF or CR LF). */
	bool after_cr;

	/* Echo and redraw go here; NULL means no echo. */
	void (*out)(void *ctx, const char *s, size_t n);
	void *ctx;
};

/* Prepares an empty editor with an empty history. */
void led_init(struct led *e, void (*out)(void *ctx, const char *s, size_t n), void *ctx);

/* Feeds one received byte. Returns 1 when a line is complete (then *line,
 * if line is not NULL, points at the NUL-terminated line, valid until the
 * next call to led_feed; copy it before splitting it in place), 0
 * otherwise. Never blocks, never overflows. Ctrl-C completes an empty
 * line. */
int led_feed(struct led *e, uint8_t c, const char **line);

/* After the caller printed something asynchronously (a partition's
 * console line), redraw prompt + current line on the cursor's row and
 * put the cursor back where it was in the line. prompt may be NULL. */
void led_redraw(struct led *e, const char *prompt);

#endif
