/* The hypervisor's own local APIC: a one-shot timer that takes the CPU
 * back from a guest that does not exit by itself (time slices, guest
 * timer deadlines). xAPIC through MMIO, or x2APIC MSRs when the firmware
 * left x2APIC mode on. */
#ifndef VATRA_ARCH_X86_APIC_H
#define VATRA_ARCH_X86_APIC_H

#include <stdint.h>
#include <stdbool.h>

#define APIC_TIMER_VECTOR 0x20
#define APIC_KICK_VECTOR 0xf2      /* another CPU wants this one to look at its vCPUs */
#define APIC_SPURIOUS_VECTOR 0xff

/* Enables the LAPIC with every LVT masked but the timer; measures the
 * timer against the TSC (tsc_khz). Returns 0, or -ENODEV when there is
 * no usable LAPIC (then guests are only preempted at their exits). */
int apic_init(uint64_t tsc_khz);
bool apic_ready(void);
/* Fires APIC_TIMER_VECTOR once, at about TSC value deadline (0 = never). */
void apic_timer_at(uint64_t tsc_deadline);
/* Lets a pending host interrupt be taken now (interrupts are otherwise
 * off in the hypervisor). */
void apic_take_pending(void);
/* The LAPIC timer's and the kick's own bookkeeping, then the EOI. */
void apic_irq(unsigned vector);
/* End of interrupt for the highest vector in service. */
void apic_eoi(void);
/* Whether vector is in service here (delivered by the LAPIC, no EOI yet). */
bool apic_in_service(unsigned vector);
/* An application processor's LAPIC, set up like the boot CPU's (the
 * timer calibration is shared). 0 or -errno. */
int apic_init_ap(void);
uint32_t apic_id(void);
/* A fixed interrupt to one CPU; INIT and start-up IPIs for bringing an
 * application processor up (SDM Vol. 3A, 9.4.4). */
void apic_send_ipi(uint32_t apic_id, uint8_t vector);
void apic_send_self(uint8_t vector);
void apic_send_init(uint32_t apic_id);
void apic_send_sipi(uint32_t apic_id, uint8_t page);
/* The same to every CPU but this one (when the firmware lists none). */
void apic_send_init_others(void);
void apic_send_ipi_others(uint8_t vector);
void apic_send_sipi_others(uint8_t page);

#endif
