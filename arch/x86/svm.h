/* AMD-V pieces other arch/x86 code calls (the vendor ops are in
 * vmm/vmm_ops.h). */
#ifndef VATRA_ARCH_X86_SVM_H
#define VATRA_ARCH_X86_SVM_H

#include <stdbool.h>
#include <stdint.h>

/* For a hypervisor panic: whether each CPU's host save area (its VMLOAD
 * state after every exit) still holds its GS base, and this CPU's GS
 * base; the area's contents where it does not. Nothing when AMD-V is
 * off. */
void svm_host_report(void);

/* The world switch (svm_entry.asm, from the guest's VMLOAD before VMRUN
 * to the host's VMLOAD after #VMEXIT) runs with the guest's GS base, TR
 * and registers loaded and the global interrupt flag clear: no host
 * interrupt may land there. The interrupt stubs check the interrupted
 * RIP and, should one land there anyway, svm_switch_interrupted names
 * the vector and the instruction and stops the machine. */
extern const char svm_switch_start[], svm_switch_end[];
static inline bool svm_in_switch(uint64_t rip)
{
	return rip - (uint64_t)(uintptr_t)svm_switch_start <
	       (uint64_t)(svm_switch_end - svm_switch_start);
}
void __attribute__((noreturn)) svm_switch_interrupted(unsigned vector, uint64_t rip);

#endif
