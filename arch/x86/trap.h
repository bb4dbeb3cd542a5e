/* Exceptions taken by the hypervisor itself. */
#ifndef VATRA_ARCH_X86_TRAP_H
#define VATRA_ARCH_X86_TRAP_H

#include <stdint.h>

/* The frame built by trap_common in entry.asm: GPRs in reverse push
 * order, then what the stub and the CPU pushed. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

void trap_handler(struct trap_frame *f);

/* Calls fn(arg) and returns 0, or the exception vector + 1 when fn faults
 * (the fault is caught, reported in fault_last_* and not fatal). For
 * self-tests that prove protections. */
int fault_try(void (*fn)(void *), void *arg);
extern uint64_t fault_last_cr2, fault_last_error;

#endif
