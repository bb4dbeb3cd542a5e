/* Console multiplexing: every partition's console output is kept in a
 * ring of its own; the serial line shows it prefixed with the partition's
 * name, or raw while the operator is attached to that partition (`console
 * NAME`), whose keystrokes then go to the partition's UART until Ctrl-A
 * three times returns to the shell. Rings survive partition restarts. */
#ifndef VATRA_MGMT_CONSOLE_H
#define VATRA_MGMT_CONSOLE_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#define CONSOLE_RING 16384
#define CONSOLE_NONE (-1)
/* Most bytes one console_drain call writes: about 22 ms at 115200 baud. */
#define CONSOLE_DRAIN_MAX 256

/* A byte of partition id's console output: kept in its ring for
 * console_drain, never written to the serial line by the caller. */
void console_put(unsigned id, const char *name, uint8_t c);
/* Ends a pending partial line of partition id once drained (when it
 * stops). */
void console_flush(unsigned id, const char *name);
/* Writes up to CONSOLE_DRAIN_MAX bytes of the rings' output to the
 * serial line (whole prefixed lines, or the attached partition's raw
 * bytes), holding no partition lock; true while more is pending. The
 * boot CPU calls it between slices. */
bool console_drain(void);
/* Attaches the serial line to partition id after replaying its last
 * lines; 0, or -EINVAL for a bad id. */
int console_attach(int id, unsigned replay_lines);
/* Back to prefixed lines; true if the partition's raw output had ended
 * mid-line (the caller ends that line before writing its own). The rest
 * of such a line comes prefixed, on a line of its own. */
bool console_detach(void);
/* console_mode = quiet: lines of detached partitions are kept in their
 * rings but not printed (mux, the default, prints them prefixed). */
void console_set_quiet(bool quiet);
int console_attached(void);

/* Readers besides the serial line (the network console stream), each at
 * its own absolute position in a partition's ring: where a reader starts
 * to replay the last lines, and the bytes written since *pos (a reader
 * that fell more than CONSOLE_RING behind skips to the oldest byte kept;
 * *lost says how many it missed). The serial line's drain is unaffected. */
uint64_t console_tail_pos(int id, unsigned lines);
size_t console_read(int id, uint64_t *pos, char *buf, size_t size, uint64_t *lost);

#endif
