/* Host SMP: bringing up the application processors the MADT lists. */
#ifndef VATRA_ARCH_X86_SMP_H
#define VATRA_ARCH_X86_SMP_H

#include "arch/x86/percpu.h"
#include "include/vatra/bootinfo.h"
#include "drivers/acpi.h"

/* Starts every usable CPU of the MADT other than this one, one at a time
 * (without a MADT: every CPU that answers a broadcast start-up, up to 8),
 * each through INIT + start-up IPIs and the real-mode trampoline; each
 * runs ap_main(cpu) on its own guarded stack and must set its state to
 * CPU_ONLINE (or CPU_FAILED with cpu->fail) before going on. CPUs that
 * do not answer within a second are reported and left out. Returns the
 * number of CPUs online, the boot CPU included. */
unsigned smp_boot(const struct boot_info *bi, const struct acpi_info *acpi,
		  void (*ap_main)(struct cpu *c));

/* After a fatal hypervisor error: every other CPU halts at its next
 * interrupt (a kick is sent to all; one in a guest exits to take it). */
void smp_halt_others(void);
extern volatile bool cpus_halt;

/* Sends the kick IPI to CPU c: a guest running there exits, an idle CPU
 * wakes up, and its scheduler looks at its vCPUs again. */
void cpu_kick(struct cpu *c);

#endif
