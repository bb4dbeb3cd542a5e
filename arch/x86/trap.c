/* Exception handling for the hypervisor itself: a caught probe from
 * fault_try resumes; anything else is a hypervisor bug, printed in full
 * before the machine stops. */
#include <stddef.h>
#include "arch/x86/trap.h"
#include "arch/x86/cpu.h"
#include "arch/x86/svm.h"
#include "lib/log.h"

_Static_assert(offsetof(struct trap_frame, rax) == 14 * 8, "trap_common push order");
_Static_assert(offsetof(struct trap_frame, vector) == 15 * 8, "trap_common push order");
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap_common frame size");

extern uint64_t fault_try_rip, fault_try_rsp;
extern const char svm_vmrun_end[];
uint64_t fault_last_cr2, fault_last_error;

static const char *const names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization", "#CP control protection",
	"reserved 22", "reserved 23", "reserved 24", "reserved 25", "reserved 26",
	"reserved 27", "#HV hypervisor injection", "#VC VMM communication",
	"#SX security", "reserved 31",
};

static void dump(const struct trap_frame *f)
{
	pr_err("hypervisor exception %llu (%s), error code %#llx",
	       (unsigned long long)f->vector, f->vector < 32 ? names[f->vector] : "?",
	       (unsigned long long)f->error);
	pr_err("  RIP %016llx CS %04llx RFLAGS %016llx",
	       (unsigned long long)f->rip, (unsigned long long)f->cs,
	       (unsigned long long)f->rflags);
	pr_err("  RSP %016llx SS %04llx CR2 %016llx CR3 %016llx",
	       (unsigned long long)f->rsp, (unsigned long long)f->ss,
	       (unsigned long long)read_cr2(), (unsigned long long)read_cr3());
	pr_err("  RAX %016llx RBX %016llx RCX %016llx RDX %016llx",
	       (unsigned long long)f->rax, (unsigned long long)f->rbx,
	       (unsigned long long)f->rcx, (unsigned long long)f->rdx);
	pr_err("  RSI %016llx RDI %016llx RBP %016llx R8  %016llx",
	       (unsigned long long)f->rsi, (unsigned long long)f->rdi,
	       (unsigned long long)f->rbp, (unsigned long long)f->r8);
	pr_err("  R9  %016llx R10 %016llx R11 %016llx R12 %016llx",
	       (unsigned long long)f->r9, (unsigned long long)f->r10,
	       (unsigned long long)f->r11, (unsigned long long)f->r12);
	pr_err("  R13 %016llx R14 %016llx R15 %016llx CR0 %08llx CR4 %08llx",
	       (unsigned long long)f->r13, (unsigned long long)f->r14,
	       (unsigned long long)f->r15, (unsigned long long)read_cr0(),
	       (unsigned long long)read_cr4());
}

void trap_handler(struct trap_frame *f)
{
	/* A guest's debug trap (a data breakpoint, a single step) raised at
	 * the boundary where the guest's run ended can be delivered in the
	 * host right after VMRUN (AMD family 10h erratum 246; Bochs' SVM
	 * does it too). It is the guest's: its #DB intercept reflects it;
	 * here it is dropped, as AMD's workaround says. */
	if (f->vector == 1 && f->rip == (uint64_t)svm_vmrun_end) {
		__asm__ volatile("mov %0, %%dr6" : : "r"(0xffff0ff0ULL));
		return;
	}
	/* A probe under fault_try: resume after its call with vector + 1.
	 * Never for #DF/#MC/NMI, which mean something else went wrong. */
	if (fault_try_rip && f->vector != 2 && f->vector != 8 && f->vector != 18) {
		fault_last_cr2 = f->vector == X86_EXC_PF ? read_cr2() : 0;
		fault_last_error = f->error;
		f->rip = fault_try_rip;
		f->rsp = fault_try_rsp;
		f->rax = f->vector + 1;
		fault_try_rip = 0;
		return;
	}
	dump(f);
	svm_host_report();
	panic("unexpected exception in the hypervisor");
}
