/* The management API over the network: routes HTTP requests to the
 * command layer (commands.h) after authenticating the caller (auth.h),
 * in JSON; a Redfish-shaped tree for standard clients; /metrics in the
 * Prometheus text format. The transport is net/httpd.c; this file only
 * sees whole requests and the peer's credentials. See docs/mgmt-api.md. */
#ifndef VATRA_MGMT_API_H
#define VATRA_MGMT_API_H

#include <stdint.h>
#include "mgmt/config.h"

struct boot_info;

/* Brings up the management network from [vatra] mgmt_* keys: the NIC,
 * the address, the TLS listener with the server key and certificate and
 * the identity file from the ESP, the optional plaintext /metrics
 * listener, remote syslog; mgmt_nic = auto leaves alone the functions
 * partitions name in `devices =`. Every problem is logged; without a usable NIC
 * or key the hypervisor runs on without the network API. */
void mgmt_net_init(const struct vatra_config *c, const struct boot_info *bi);

/* The owner CPU's poll (the boot CPU, between slices). */
void mgmt_net_poll(void);

#endif
