/* The management commands: one table (name, arguments, help, permission,
 * handler) and one dispatcher that checks arguments and the caller's role
 * before any handler runs. Transports (the serial shell; the network API
 * later) only move lines in and replies out: every reply goes to the sink
 * a transport hands in. */
#ifndef VATRA_MGMT_COMMANDS_H
#define VATRA_MGMT_COMMANDS_H

#include <stddef.h>
#include "lib/sink.h"

#define CMD_MAX_ARGS 8     /* words in a line, the command included */
#define CMD_LINE_MAX 256   /* bytes in a line, the NUL included */

/* A caller's role, and a command's permission level: the least role that
 * may run it. */
enum cmd_role { CMD_ROLE_READ, CMD_ROLE_OPERATOR, CMD_ROLE_ADMIN };

struct cmd {
	const char *name;
	const char *args;          /* "" none, "NAME" one partition, "[NAME]" an optional one */
	const char *help;
	enum cmd_role perm;
	/* Called with argc/argv already checked against args; 0 or -errno,
	 * every word of the reply written to out. */
	int (*fn)(struct sink *out, int argc, char **argv);
};

extern const struct cmd cmd_table[];
extern const size_t cmd_count;

/* The command called name (exact, case-sensitive), or NULL. */
const struct cmd *cmd_find(const char *name);

/* Splits line (modified in place) into at most max words separated by
 * blanks; returns the number of words, or -E2BIG when there are more.
 * Pure code: it only reads line and writes argv. */
int cmd_split(char *line, char **argv, int max);

/* Runs one command line (not modified; longer than CMD_LINE_MAX - 1 is
 * refused) for a caller of role, replying into out. Returns the handler's
 * status, or, with one "error: ..." line in out:
 *   0        an empty line: nothing to do, nothing written
 *   -E2BIG   more than CMD_MAX_ARGS words, or the line is too long
 *   -ENOSYS  no such command
 *   -EPERM   the command needs a role above the caller's
 *   -EINVAL  too few or too many arguments */
int cmd_exec(const char *line, enum cmd_role role, struct sink *out);
/* Whether a caller of role may run the command called name, for
 * transports that carry a command outside a line (the network console
 * stream): 0, or -ENOSYS / -EPERM with the same "error: ..." line
 * cmd_exec writes. */
int cmd_permit(const char *name, enum cmd_role role, struct sink *out);
/* The same for words already split (argc >= 1). */
int cmd_exec_argv(int argc, char **argv, enum cmd_role role, struct sink *out);

#endif
