/* The vendor-neutral exit loop: a const dispatch table from exit reason
 * to handler. Whatever a guest does ends here as an emulated result, an
 * exception injected into the guest, or its partition stopped — never a
 * hypervisor failure. */
#include <stdarg.h>
#include "vmm/vcpu.h"
#include "vmm/fpu.h"
#include "vmm/spec.h"
#include "vmm/vmm_ops.h"
#include "vmm/decode.h"
#include "vmm/loader/loader.h"
#include "vmm/gla.h"
#include "include/vatra/hv.h"
#include "arch/x86/cpu.h"
#include "arch/x86/apic.h"
#include "arch/x86/percpu.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/errno.h"
#include "include/vatra/hotpath.h"

static const char *const reason_names[EXIT_NREASONS] = {
	[EXIT_NONE] = "none", [EXIT_CPUID] = "cpuid", [EXIT_MSR_READ] = "rdmsr",
	[EXIT_MSR_WRITE] = "wrmsr", [EXIT_IO] = "io", [EXIT_MMIO] = "mmio",
	[EXIT_HLT] = "hlt", [EXIT_HYPERCALL] = "hypercall", [EXIT_RDPMC] = "rdpmc",
	[EXIT_RDTSCP] = "rdtscp", [EXIT_DR_ACCESS] = "dr", [EXIT_CR8_WRITE] = "cr8", [EXIT_CACHE] = "invd/wbinvd",
	[EXIT_UD] = "ud", [EXIT_XSETBV] = "xsetbv", [EXIT_EXCEPTION] = "exception", [EXIT_INTR] = "intr", [EXIT_IRQ_WINDOW] = "irq-window", [EXIT_NMI_WINDOW] = "nmi-window",
	[EXIT_TRIPLE_FAULT] = "triple-fault", [EXIT_ENTRY_FAILED] = "entry-failed",
	[EXIT_UNKNOWN] = "unknown",
};

const char *exit_reason_name(enum vm_exit_reason r)
{
	return r < EXIT_NREASONS && reason_names[r] ? reason_names[r] : "?";
}

void vcpu_fail(struct vcpu *v, const char *fmt, ...)
{
	char buf[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pr_err("partition %s: vCPU %u: %s", part_name(v->part), v->id, buf);
	pr_err("  RIP %016llx RFLAGS %08llx RAX %016llx RBX %016llx",
	       (unsigned long long)v->regs.rip, (unsigned long long)v->regs.rflags,
	       (unsigned long long)v->regs.gpr[REG_RAX], (unsigned long long)v->regs.gpr[REG_RBX]);
	pr_err("  RCX %016llx RDX %016llx RSI %016llx RDI %016llx",
	       (unsigned long long)v->regs.gpr[REG_RCX], (unsigned long long)v->regs.gpr[REG_RDX],
	       (unsigned long long)v->regs.gpr[REG_RSI], (unsigned long long)v->regs.gpr[REG_RDI]);
	if (v->arch)
		vmm->dump(v);
	part_stop(v->part, -1, "stopped: %s", buf);
}

void vcpu_set_cr8(struct vcpu *v, uint64_t cr8)
{
	v->lapic.tpr = (uint32_t)((cr8 & 15) << 4);
	v->part->plat.dirty = true;
}

void vcpu_gp(struct vcpu *v)
{
	vmm->inject_exception(v, X86_EXC_GP, true, 0);
}

void vcpu_ud(struct vcpu *v)
{
	vmm->inject_exception(v, X86_EXC_UD, false, 0);
}

unsigned vcpu_fetch(struct vcpu *v, uint8_t *b, unsigned max)
{
	struct gla_fault f;

	return gla_fetch(v, NULL, b, max, &f);
}

/* No next-RIP from the hardware (QEMU's SVM has no NRIP save): count
 * the prefixes in front of the known opcode. */
EXIT_PATH void vcpu_skip_decode_ctl(struct vcpu *v, const struct guest_ctl *c,
				    unsigned opcode_len)
{
	struct x86_prefixes pf;
	uint8_t b[X86_MAX_INSN];
	const uint8_t *h;
	unsigned got;

	h = gla_code_ptr(v, c, &got);
	if (h) {
		/* In place, when the prefixes end on RIP's page. */
		unsigned n = got < sizeof(b) - opcode_len ? got : sizeof(b) - opcode_len;
		if (x86_prefixes(h, n, c->mode, &pf) < got) {
			v->regs.rip += pf.len + opcode_len;
			return;
		}
	}
	got = vcpu_fetch(v, b, sizeof(b));
	x86_prefixes(b, got < sizeof(b) - opcode_len ? got : sizeof(b) - opcode_len, c->mode, &pf);
	v->regs.rip += pf.len + opcode_len;
	if (c->mode != MODE_LONG64)
		v->regs.rip &= c->mode == MODE_PROT32 ? 0xffffffff : 0xffff;
}

EXIT_PATH void vcpu_skip_decode(struct vcpu *v, unsigned opcode_len)
{
	struct guest_ctl c;

	vmm->get_ctl(v, &c);
	vcpu_skip_decode_ctl(v, &c, opcode_len);
}

static int hlt_exit(struct vcpu *v, const struct vm_exit *e)
{
	vcpu_skip(v, e, 1);
	if (v->nmi_pending)
		return 0;     /* an NMI is waiting: HLT ends at once */
	if (!(v->regs.rflags & RFLAGS_IF) && v->pending_irq < 0 && v->part->nvcpus == 1 &&
	    !platform_nmi_wired(v)) {
		/* Nothing can ever wake it: say so instead of idling forever.
		 * An NMI would (SDM Vol. 2A, HLT): with one wired, it waits. */
		part_stop(v->part, -1, "stopped: vCPU %u halted with interrupts disabled", v->id);
		return 0;
	}
	if (v->pending_irq < 0 && platform_pending(v) < 0)
		v->state = VCPU_HALTED;
	return 0;
}

static int rdpmc_exit(struct vcpu *v, const struct vm_exit *e)
{
	(void)e;
	vcpu_gp(v);     /* no performance counters are offered */
	return 0;
}

static int rdtscp_exit(struct vcpu *v, const struct vm_exit *e)
{
	uint64_t t = msr_guest_tsc(v);

	v->regs.gpr[REG_RAX] = (uint32_t)t;
	v->regs.gpr[REG_RDX] = t >> 32;
	v->regs.gpr[REG_RCX] = (uint32_t)v->tsc_aux;
	vcpu_skip(v, e, 3);
	return 0;
}

/* MOV DRn: 0F 21 /r reads, 0F 23 /r writes; ModRM.reg is n, ModRM.rm the
 * GPR (Intel SDM Vol. 2B, MOV—Move to/from Debug Registers). DR0-3 are
 * kept in the vCPU, DR6/DR7 in the vendor's guest state. */
static int dr_exit(struct vcpu *v, const struct vm_exit *e)
{
	struct guest_ctl c;
	struct x86_prefixes pf;
	uint8_t b[X86_MAX_INSN];
	unsigned n, rex, got, dr, gpr;
	uint64_t val;

	(void)e;
	vmm->get_ctl(v, &c);
	got = vcpu_fetch(v, b, sizeof(b));
	n = x86_prefixes(b, got, c.mode, &pf);
	rex = pf.rex;
	if (n + 3 > got || b[n] != 0x0f || (b[n + 1] != 0x21 && b[n + 1] != 0x23)) {
		vcpu_fail(v, "debug-register exit on an instruction that is not MOV DR");
		return 0;
	}
	if (c.cpl) {
		vcpu_gp(v);
		return 0;
	}
	dr = (b[n + 2] >> 3) & 7;
	gpr = (b[n + 2] & 7) | ((rex & 1) ? 8 : 0);
	if (dr == 4 || dr == 5) {
		/* Aliases of DR6/DR7 while CR4.DE = 0; with it set, #UD
		 * (Intel SDM Vol. 2B, MOV—Move to/from Debug Registers). */
		if (c.cr4 & (1u << 3)) {
			vcpu_ud(v);
			return 0;
		}
		dr += 2;
	}
	if (b[n + 1] == 0x23) {
		val = v->regs.gpr[gpr];
		if (c.mode != MODE_LONG64)
			val = (uint32_t)val;
		/* DR6 and DR7: a 1 in bits 63:32 is #GP(0). */
		if (dr >= 6 && (val >> 32)) {
			vcpu_gp(v);
			return 0;
		}
		if (dr < 4) {
			v->dr[dr] = val;
			v->yield = true;    /* the next slice loads it */
		} else
			vmm->dr_access(v, dr, true, &val);
	} else {
		if (dr < 4)
			val = v->dr[dr];
		else
			vmm->dr_access(v, dr, false, &val);
		v->regs.gpr[gpr] = c.mode == MODE_LONG64 ? val : (uint32_t)val;
	}
	v->regs.rip += n + 3;
	return 0;
}

/* MOV CR8, reg: REX.R 0F 22 /r with ModRM.reg 0 (Intel SDM Vol. 2B, MOV—
 * Move to/from Control Registers). Lowering the TPR may unblock a pending
 * interrupt, which the next entry then delivers. */
static int cr8_exit(struct vcpu *v, const struct vm_exit *e)
{
	struct x86_prefixes pf;
	uint8_t b[X86_MAX_INSN];
	unsigned got = vcpu_fetch(v, b, sizeof(b));
	unsigned n = x86_prefixes(b, got, MODE_LONG64, &pf), rex = pf.rex;

	(void)e;
	if (n + 3 > got || b[n] != 0x0f || b[n + 1] != 0x22) {
		vcpu_fail(v, "CR8 exit on an instruction that is not MOV to CR8");
		return 0;
	}
	vcpu_set_cr8(v, v->regs.gpr[(b[n + 2] & 7) | ((rex & 1) ? 8 : 0)]);
	v->regs.rip += n + 3;
	return 0;
}

static int cache_exit(struct vcpu *v, const struct vm_exit *e)
{
	/* INVD would drop dirty lines of other partitions too: both INVD
	 * and WBINVD complete as a no-op that keeps memory coherent. */
	vcpu_skip(v, e, 2);
	return 0;
}

static int ud_exit(struct vcpu *v, const struct vm_exit *e)
{
	(void)e;
	vcpu_ud(v);
	return 0;
}

/* #DB and #AC are intercepted so that a guest delivering them back to
 * back still exits (CVE-2015-8104, CVE-2015-5307); each goes back into
 * the guest as the CPU would have delivered it, the vendor code having
 * set DR6 as the CPU would. */
static int exception_exit(struct vcpu *v, const struct vm_exit *e)
{
	if (e->exc.trap_insn)
		v->regs.rip += e->inst_len;
	/* The exception was raised while another event was being delivered
	 * (the vendor code queued that one again), and takes its place: an
	 * NMI or external interrupt is held again, not lost, and goes in
	 * as soon as the guest can take it, after the exception. A
	 * displaced exception or software interrupt comes again when its
	 * instruction runs again (the two are benign, so handled serially:
	 * SDM Vol. 3A, 6.15, Table 6-5). */
	if (e->event && e->event_type == EVENT_NMI)
		v->nmi_pending = true;
	else if (e->event && e->event_type == EVENT_EXT_INTR && v->pending_irq < 0)
		v->pending_irq = e->event_vector;
	vmm->inject_exception(v, e->exc.vector, e->exc.has_err, e->exc.err);
	return 0;
}

static int nop_exit(struct vcpu *v, const struct vm_exit *e)
{
	(void)v;
	(void)e;
	return 0;
}

/* A host interrupt (this CPU's LAPIC timer, or a kick from another CPU)
 * ended the guest's run: take it. */
EXIT_PATH static int intr_exit(struct vcpu *v, const struct vm_exit *e)
{
	(void)v;
	(void)e;
	apic_take_pending();
	return 0;
}

static int irq_window_exit(struct vcpu *v, const struct vm_exit *e)
{
	(void)e;
	vmm->request_irq_window(v, false);
	return 0;
}

/* NMIs are unblocked: the pending one goes in at this entry. */
static int nmi_window_exit(struct vcpu *v, const struct vm_exit *e)
{
	(void)e;
	vmm->request_nmi_window(v, false);
	return 0;
}

static int triple_exit(struct vcpu *v, const struct vm_exit *e)
{
	(void)e;
	/* What the guest's tables say about its code: a guest's own
	 * mistake, or tables changed under it. */
	gla_report(v, v->regs.rip, "RIP");
	{
		struct guest_ctl c;

		/* And where the delivery of the fault read and wrote. */
		vmm->get_ctl(v, &c);
		gla_report(v, c.idtr_base, "the IDT");
		gla_report(v, v->regs.gpr[REG_RSP], "RSP");
		/* What those tables give the accesses a #PF's delivery makes,
		 * under the mode the guest's state says: a CPU that faulted
		 * where this finds nothing saw another mode. */
		gla_report_access(v, v->regs.rip, GWALK_FETCH, "a fetch at RIP");
		gla_report_access(v, c.idtr_base + 8 * 16, GWALK_READ | GWALK_IMPLICIT,
				  "a read of the IDT's #DF gate at");
		gla_report_access(v, v->regs.gpr[REG_RSP] - 8, GWALK_WRITE | GWALK_IMPLICIT,
				  "a push below RSP at");
	}
	vcpu_fail(v, "triple fault (shutdown)");
	return 0;
}

static int failed_entry_exit(struct vcpu *v, const struct vm_exit *e)
{
	vcpu_fail(v, "VM entry failed: %s", e->fail.what ? e->fail.what : "invalid guest state");
	return 0;
}

static int unknown_exit(struct vcpu *v, const struct vm_exit *e)
{
	vcpu_fail(v, "unhandled exit (vendor code %#x, info %#llx %#llx)", e->vendor_code,
		  (unsigned long long)e->fail.info1, (unsigned long long)e->fail.info2);
	return 0;
}

typedef int (*exit_fn)(struct vcpu *v, const struct vm_exit *e);

static EXIT_RODATA const exit_fn handlers[EXIT_NREASONS] = {
	[EXIT_NONE] = nop_exit,
	[EXIT_CPUID] = cpuid_exit,
	[EXIT_MSR_READ] = msr_exit,
	[EXIT_MSR_WRITE] = msr_exit,
	[EXIT_IO] = io_exit,
	[EXIT_MMIO] = mmio_exit,
	[EXIT_HLT] = hlt_exit,
	[EXIT_HYPERCALL] = hypercall_exit,
	[EXIT_RDPMC] = rdpmc_exit,
	[EXIT_RDTSCP] = rdtscp_exit,
	[EXIT_DR_ACCESS] = dr_exit,
	[EXIT_CR8_WRITE] = cr8_exit,
	[EXIT_CACHE] = cache_exit,
	[EXIT_UD] = ud_exit,
	[EXIT_XSETBV] = xsetbv_exit,
	[EXIT_EXCEPTION] = exception_exit,
	[EXIT_INTR] = intr_exit,
	[EXIT_IRQ_WINDOW] = irq_window_exit,
	[EXIT_NMI_WINDOW] = nmi_window_exit,
	[EXIT_TRIPLE_FAULT] = triple_exit,
	[EXIT_ENTRY_FAILED] = failed_entry_exit,
	[EXIT_UNKNOWN] = unknown_exit,
};

/* Delivers the next interrupt (a test injection, else the virtual PC's)
 * when the guest can take it, else asks the hardware for an exit as soon
 * as it can. true: nothing was pending, nothing went in. */
/* One event per entry, NMIs first (SDM Vol. 3A, 6.9: an NMI outranks
 * maskable interrupts). A pending NMI stays pending while the guest
 * handles the previous one, and goes in once its IRET has unblocked
 * NMIs: held, never lost, never nested. */
static bool deliver_irq(struct vcpu *v)
{
	int vec;

	if (v->nmi_pending) {
		if (vmm->nmi_allowed(v)) {
			vmm->inject_nmi(v);
			v->nmi_pending = false;
			v->nmis++;
			vmm->request_nmi_window(v, false);
			return false;
		}
		vmm->request_nmi_window(v, true);
		return false;
	}
	vmm->request_nmi_window(v, false);
	vec = v->pending_irq >= 0 ? v->pending_irq : platform_pending(v);

	if (vec < 0) {
		vmm->request_irq_window(v, false);
		return true;
	}
	if (!vmm->interruptible(v)) {
		vmm->request_irq_window(v, true);
		return false;
	}
	vmm->inject_irq(v, (uint8_t)vec);
	if (v->pending_irq >= 0)
		v->pending_irq = -1;
	else
		platform_accept(v, vec);
	vmm->request_irq_window(v, false);
	return false;
}

/* How long from the loader's jump to the core until this partition's
 * first guest instruction (make bench reads it). */
static void first_entry(struct partition *p)
{
	uint64_t ms;

	p->entry_tsc = rdtsc();
	if (!hv.tsc_khz || !hv.bi || !hv.bi->tsc_handoff || p->starts != 1)
		return;
	ms = (p->entry_tsc - hv.bi->tsc_handoff) / hv.tsc_khz;
	pr_info("partition %s: first guest instruction %llu ms after the firmware hand-off",
		part_name(p), (unsigned long long)ms);
}

/* An instruction completed here with RFLAGS.TF set traps after itself
 * as it would have on the CPU: #DB with DR6.BS (SDM Vol. 3B, 17.3.1.4),
 * ahead of any external interrupt (Vol. 3A, 6.9, Table 6-2). */
static void single_step_trap(struct vcpu *v)
{
	uint64_t dr6;

	vmm->dr_access(v, 6, false, &dr6);
	dr6 |= 1ULL << 14;
	vmm->dr_access(v, 6, true, &dr6);
	vmm->inject_exception(v, 1, false, 0);
}

/* Exits whose handling touches only the vCPU's own state — its
 * registers, its vendor control block, its own MSRs, constant facts of
 * the partition and a port no device decodes — and no device, no local APIC and no other vCPU:
 * handled without the partition's lock (the rules: vmm/partition.h). An
 * exit that changed the TPR or interrupted an event's delivery goes the
 * locked way, as does everything else. */
static inline bool io_private(const struct vcpu *v, const struct vm_exit *e)
{
	return !e->io.string && platform_port_private(v->part, e->io.port, e->io.size, e->io.in);
}

static bool exit_private(const struct vcpu *v, const struct vm_exit *e)
{
	/* Tests in a row, commonest first, not a switch: under QEMU a jump
	 * table's indirect jump costs each exit here a lookup of the next
	 * translated block (on hardware it is a predicted jump). */
	if (e->cr8_set || e->event)
		return false;
	if (e->reason == EXIT_MMIO)
		/* The vCPU's own local APIC in xAPIC mode (EOIs, the ICR, the
		 * timer): a plain MOV goes on there, anything else comes back
		 * untouched (mmio_exit, unlocked_retry). */
		return !e->mmio.walk && !e->mmio.fetch && platform_lapic_page(e->mmio.gpa);
	if (e->reason == EXIT_MSR_READ || e->reason == EXIT_MSR_WRITE)
		return msr_private(e->msr.index);
	if (e->reason == EXIT_IO)
		/* A port nothing decodes (port 0x80, Linux's I/O delay) reads
		 * all ones and ignores writes: no device, no shared state; PCI
		 * configuration of a function that is not there likewise. */
		return io_private(v, e);
	if (e->reason == EXIT_CPUID)
		return true;
	if (e->reason == EXIT_HYPERCALL)
		return hypercall_private(v);
	return false;
}

/* The exits a guest makes most, handled by the vendor between two
 * entries without coming back to vcpu_run_slice: CPUID, a port no device
 * decodes (Linux's I/O delay), PCI configuration of a function that is
 * not there (a bus scan), a read of the PM timer (Linux's clock when it
 * trusts no TSC) and the VERSION hypercall — private exits
 * whose handling changes the vCPU's registers and nothing else — outside
 * an interrupt shadow and a single step, with no event to redeliver and
 * nothing this loop would stop for (the rest comes with a kick, as for
 * the private exits). Everything else goes the whole way; so do the
 * private MSRs, whose writes can change what is set up once around the
 * vendor's loop (SPEC_CTRL by spec_enter, VT-x's SYSCALL MSRs) or touch
 * the local APIC. */
static EXIT_PATH __attribute__((noinline)) bool private_fast_other(struct vcpu *v,
								 const struct vm_exit *e)
{
	/* Only the reasons of EXIT_FAST_REASONS come here: a CPUID not
	 * cached yet or without the hardware's length, and the port I/O and
	 * hypercalls exit_private lets go without the lock (its tests for
	 * them, without its chain over every reason). Each handler is called
	 * directly: under QEMU an indirect call through handlers[] is one
	 * more lookup of a translated block per exit. */
	if (e->reason == EXIT_IO) {
		if (!io_private(v, e))
			return false;
		v->unlocked_exit = true;
		io_exit(v, e);
	} else if (e->reason == EXIT_CPUID) {
		v->unlocked_exit = true;
		cpuid_exit(v, e);
	} else {
		if (!hypercall_private(v))
			return false;
		v->unlocked_exit = true;
		hypercall_exit(v, e);
	}
	v->unlocked_exit = false;
	v->exits[e->reason]++;
	__atomic_fetch_add(&v->guest_seq, 2, __ATOMIC_SEQ_CST);
	return true;
}

EXIT_PATH bool vcpu_private_fast(struct vcpu *v, const struct vm_exit *e)
{
	if (!v->fast_reentry || e->shadow || e->event || e->cr8_set ||
	    (v->regs.rflags & RFLAGS_TF) || v->yield || v->part->plat.dirty ||
	    rdtsc() >= v->slice_end)
		return false;
	/* A repeated CPUID whose length the hardware gave stays a leaf
	 * without a frame; the rest is a tail call. */
	if (e->reason != EXIT_CPUID || !cpuid_exit_cached(v, e))
		return private_fast_other(v, e);
	v->exits[EXIT_CPUID]++;
	/* Even (out of guest mode) and odd again in one locked add, before
	 * the vendor's entry reads a flush request (part_gpt_sync). */
	__atomic_fetch_add(&v->guest_seq, 2, __ATOMIC_SEQ_CST);
	return true;
}

/* One exit's handler, its statistics, and what a completed instruction
 * means for the interrupt shadow and a single step. */
static inline __attribute__((always_inline)) void handle_exit(struct vcpu *v, struct vm_exit *e)
{
	uint64_t rip;

	if (e->reason >= EXIT_NREASONS)
		e->reason = EXIT_UNKNOWN;
	v->exits[e->reason]++;
	rip = v->regs.rip;
	handlers[e->reason](v, e);
	if (v->regs.rip != rip && v->state != VCPU_STOPPED && v->part->state == PART_RUNNING) {
		if (e->shadow)
			vmm->clear_irq_shadow(v);
		if ((v->regs.rflags & RFLAGS_TF) && e->reason != EXIT_EXCEPTION)
			single_step_trap(v);
	}
}

EXIT_PATH void vcpu_run_slice(struct vcpu *v, uint64_t max_cycles)
{
	struct partition *p = v->part;
	uint64_t start = rdtsc(), host_dr[4];
	struct vm_exit e;
	bool drs, quiet, handled;
	unsigned spec;

	v->in_slice = true;
	this_cpu()->current = v;
	msr_load_guest(v);
	/* The guest's DR0-3 are in the hardware for its whole slice: no
	 * VMCB or VMCS field holds them, and the hypervisor's own come
	 * back after it (only DR6/DR7 switch with the guest state). Guests
	 * that never set them cost nothing but the read. */
	read_dr0_3(host_dr);
	drs = memcmp(host_dr, v->dr, sizeof(host_dr)) != 0;
	if (drs)
		write_dr0_3(v->dr);
	while (v->state == VCPU_RUNNABLE && p->state == PART_RUNNING && !p->paused) {
		uint64_t due = platform_poll(p);

		if (v->lapic_touched || (v->lapic_due && rdtsc() >= v->lapic_due))
			platform_lapic_poll(v);
		if (v->lapic_due && (!due || v->lapic_due < due))
			due = v->lapic_due;
		/* Back in time for the next virtual timer, even if the guest
		 * does not exit by itself. */
		v->slice_end = due && due < start + max_cycles ? due : start + max_cycles;
		apic_timer_at(v->slice_end);
		v->lapic_recheck = false;       /* deliver_irq asks */
		quiet = deliver_irq(v);
		/* Only guest mode and private exits run without the partition's
		 * lock: other CPUs may then deliver interrupts to v, and they
		 * kick this CPU, whose next entry then exits at once (its
		 * interrupts are off here, the kick waits in its LAPIC). */
		if (!p->entry_tsc)
			first_entry(p);
		part_unlock(p);
		for (;;) {
			e = (struct vm_exit){ 0 };
			handled = false;
			spec = spec_enter(v);
			/* Odd from here to the exit; a locked add, so the flush
			 * request part_gpt_sync stores before reading this is
			 * seen by the entry, or this by part_gpt_sync. */
			__atomic_fetch_add(&v->guest_seq, 1, __ATOMIC_SEQ_CST);
			v->fast_reentry = quiet && !spec;
			vmm->vcpu_run(v, &e);
			v->guest_seq++;
			if (spec)
				spec_exit(spec);
			/* With an interrupt pending or just injected, each exit
			 * goes the locked way, which delivers the next one. */
			if (!quiet || !exit_private(v, &e))
				break;
			v->unlocked_exit = true;
			handle_exit(v, &e);
			v->unlocked_exit = false;
			if (v->unlocked_retry) {
				/* Nothing was done: the locked way takes it. */
				v->unlocked_retry = false;
				v->exits[e.reason]--;
				break;
			}
			handled = true;
			/* Its own LAPIC was written (a timer, the TPR, an EOI):
			 * the timer's deadline may have moved, an interrupt may
			 * have become deliverable. */
			if (v->lapic_touched) {
				uint64_t d = platform_lapic_poll(v);
				if (d && d < v->slice_end) {
					v->slice_end = d;
					apic_timer_at(d);
				}
				v->lapic_recheck = false;
				if (!platform_lapic_quiet(v))
					break;
			} else if (v->lapic_recheck) {
				/* The timer's deadline stands (a due one ends the
				 * slice below). */
				v->lapic_recheck = false;
				if (!platform_lapic_quiet(v))
					break;
			}
			/* Back to the locked loop when this exit asked for it,
			 * the slice or a virtual timer is due, or a device
			 * another CPU touched may have moved a deadline or an
			 * interrupt line (an 8259 input raises no kick). What
			 * other CPUs change for this one (p->state, p->paused,
			 * v->state, plat.kicked, the CPU's resched, a pending
			 * interrupt) comes with a kick, and the kick waiting in
			 * this CPU's LAPIC makes the next entry exit at once
			 * (EXIT_INTR, never private): tested here it would only
			 * be seen one entry earlier. */
			if (v->yield || p->plat.dirty || rdtsc() >= v->slice_end)
				break;
		}
		part_lock(p);
		/* Stopped, reset or sent INIT by another CPU while in guest
		 * mode: this exit belongs to a state that is gone. */
		if (p->state != PART_RUNNING || v->state != VCPU_RUNNABLE)
			break;
		if (!handled) {
			if (e.cr8_set)
				vcpu_set_cr8(v, e.cr8);
			handle_exit(v, &e);
		}
		if (v->yield || rdtsc() - start > max_cycles || this_cpu()->resched)
			break;
	}
	apic_timer_at(0);
	if (drs)
		write_dr0_3(host_dr);
	if (vmm->vcpu_put)
		vmm->vcpu_put(v);
	v->yield = false;
	v->run_cycles += rdtsc() - start;
	this_cpu()->current = NULL;
	v->in_slice = false;
}

/* All GPRs 0 but what the boot protocol hands over; RFLAGS has only its
 * fixed bit 1 (SDM Vol. 3A, 10.1.1, Table 10-1). */
int vcpu_reset(struct vcpu *v, const struct boot_state *bs)
{
	memset(&v->regs, 0, sizeof(v->regs));
	v->regs.rip = bs->rip;
	v->regs.rflags = 0x2;
	v->regs.gpr[REG_RAX] = bs->rax;
	v->regs.gpr[REG_RBX] = bs->rbx;
	v->regs.gpr[REG_RSI] = bs->rsi;
	v->regs.gpr[REG_RSP] = bs->rsp;
	return vmm->vcpu_reset(v, bs);
}
