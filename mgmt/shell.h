/* The operator's shell on the serial console. */
#ifndef VATRA_MGMT_SHELL_H
#define VATRA_MGMT_SHELL_H

#include <stddef.h>

#define SHELL_MAX_ARGS 8

/* Splits line (modified in place) into at most max words separated by
 * blanks; returns the number of words, or -E2BIG when there are more.
 * Pure code. */
int shell_split(char *line, char **argv, int max);

/* Takes whatever the console has received and runs complete lines;
 * returns at once when nothing is waiting. */
void shell_poll(void);

#endif
