/* The operator's shell on the serial console. */
#ifndef VATRA_MGMT_SHELL_H
#define VATRA_MGMT_SHELL_H

#include <stddef.h>

#define SHELL_MAX_ARGS 8

/* Splits line (modified in place) into at most max words separated by
 * blanks; returns the number of words, or -E2BIG when there are more.
 * Pure code. */
int shell_split(char *line, char **argv, int max);

/* What the parser needs to know of a command: its name and its argument
 * ("" none, "NAME" one, "[NAME]" an optional one). */
struct shell_cmd_spec {
	const char *name;
	const char *args;
};

/* Splits line (in place) and finds its command in specs[0..n): returns
 * its index with argv/argc set:
 *   >= 0      the command; argc >= 1, at most one argument
 *   -ENOENT   no words at all (an empty line: nothing to do)
 *   -E2BIG    more than SHELL_MAX_ARGS words
 *   -ENOSYS   argv[0] is no command
 *   -EINVAL   an argument the command does not take (argv[0] is set)
 * Pure code: whatever the operator types, it only ever reads line and
 * writes argv. */
int shell_parse(char *line, const struct shell_cmd_spec *specs, size_t n, char **argv,
		int *argc);

/* Takes whatever the console has received and runs complete lines;
 * returns at once when nothing is waiting. */
void shell_poll(void);

#endif
