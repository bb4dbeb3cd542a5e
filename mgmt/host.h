/* Reports and actions on the machine itself, for the management commands:
 * what the hypervisor found at boot (capabilities, memory, ACPI, the
 * parsed vatra.cfg, the log) and the machine's power. Each writes to the
 * sink it is given and returns 0 or -errno. */
#ifndef VATRA_MGMT_HOST_H
#define VATRA_MGMT_HOST_H

#include "lib/sink.h"

int host_caps(struct sink *out);
int host_mem(struct sink *out);
int host_acpi(struct sink *out);
int host_iommu(struct sink *out);
int host_config(struct sink *out);
int host_log(struct sink *out);
/* Reset or power off the machine; they return only when that failed
 * (-ENOSYS, said in out). */
int host_reboot(struct sink *out);
int host_poweroff(struct sink *out);

#endif
