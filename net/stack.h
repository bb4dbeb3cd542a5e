/* The management network stack: lwIP (NO_SYS) over the hypervisor's
 * own NIC (drivers/nic.h). One CPU owns it: net_poll runs only there
 * (the boot CPU, between its vCPU slices). Other CPUs never call lwIP;
 * what they produce for the network (log lines for syslog) is picked
 * up by the owner from the lock-guarded log ring. */
#ifndef VATRA_NET_STACK_H
#define VATRA_NET_STACK_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "lib/sink.h"

struct pci_dev;

struct net_params {
	const char *nic;        /* "auto" or a BDF */
	bool dhcp;
	uint32_t ip, mask, gw;  /* host byte order; gw 0 = none */
	const char *hostname;
	/* mgmt_nic = auto skips the functions this says partitions will take */
	bool (*reserved)(const struct pci_dev *d);
};

/* Brings the NIC and lwIP up; 0, or -ENODEV (no NIC, said once). */
int net_up(const struct net_params *p);
bool net_is_up(void);
/* Owner CPU only: received frames into lwIP, its timers, the hooks. */
void net_poll(void);
/* Called at the end of each net_poll, on the owner CPU. */
void net_set_poll_hook(void (*fn)(void));
/* The current address (0 before DHCP has one), host byte order. */
uint32_t net_addr(void);
/* Milliseconds since boot (lwIP's sys_now). */
uint32_t net_now_ms(void);
/* Address, NIC model and counters, for the shell's `net`. */
void net_report(struct sink *out);

#endif
