/* The operator's shell on the serial console: a transport over the
 * command table (mgmt/commands.h). */
#ifndef VATRA_MGMT_SHELL_H
#define VATRA_MGMT_SHELL_H

/* Takes whatever the console has received and runs complete lines;
 * returns at once when nothing is waiting. The boot CPU calls it from its
 * scheduler loop (a hook hv_main registers). */
void shell_poll(void);

#endif
