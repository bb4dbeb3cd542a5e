/* AMD-V pieces other arch/x86 code calls (the vendor ops are in
 * vmm/vmm_ops.h). */
#ifndef VATRA_ARCH_X86_SVM_H
#define VATRA_ARCH_X86_SVM_H

/* For a hypervisor panic: whether each CPU's host save area (its VMLOAD
 * state after every exit) still holds its GS base, and this CPU's GS
 * base; the area's contents where it does not. Nothing when AMD-V is
 * off. */
void svm_host_report(void);

#endif
