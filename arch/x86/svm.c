/* AMD-V: SVM with nested paging (AMD APM Vol. 2, chapter 15). Fills
 * svm_ops; nothing outside this file sees a VMCB. */
#include "vmm/vmm_ops.h"
#include "vmm/partition.h"
#include "vmm/vcpu.h"
#include "vmm/crwrite.h"
#include "include/vatra/hv.h"
#include "vmm/loader/loader.h"
#include "arch/x86/vmcb.h"
#include "arch/x86/svm.h"
#include "arch/x86/apic.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/caps.h"
#include "arch/x86/permmap.h"
#include "mm/mem.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/errno.h"
#include "include/vatra/hotpath.h"

void svm_enter(struct guest_regs *regs, uint64_t vmcb_pa, uint64_t host_pa);

struct svm_vcpu {
	struct vmcb *vmcb;
	uint64_t vmcb_pa;
	uint8_t v_tpr;           /* what V_TPR holds: the CR8 given at entry (0xff: not known) */
	bool flush;              /* flush this guest's translations at entry */
	/* NMI blocking, which the VMCB does not hold without vNMI: set
	 * when an NMI is injected, over once the guest's IRET has run (the
	 * IRET intercept exits before it does; APM Vol. 2, 15.20, 15.9). */
	bool nmi_masked;
	bool iret_seen;          /* the IRET intercept fired at iret_rip */
	uint64_t iret_rip;
};

/* Per partition: its I/O and MSR permission maps (AMD APM Vol. 2,
 * 15.10.1 and 15.11), which every VMCB of its vCPUs points at. The host
 * save area, the host's VMSAVE state and the ASID allocator are per CPU
 * (struct cpu). */
struct svm_part {
	uint64_t iopm_pa, msrpm_pa;
};

static EXIT_DATA bool svm_on;    /* the boot CPU turned SVM on */

static struct svm_vcpu *sv(struct vcpu *v)
{
	return v->arch;
}

static struct svm_part *sp(struct partition *p)
{
	return p->arch;
}

/* NRIP save (APM Vol. 2, 15.7.1), read on every exit: from caps, once. */
static EXIT_DATA bool svm_nrip;

static int svm_cpu_enable(void)
{
	const struct caps *c = caps_get();
	struct cpu *me = this_cpu();

	svm_nrip = c->nrip_save;

	if (c->virt != VIRT_SVM)
		return -ENODEV;
	if (me->id == 0) {
		if (c->virt_off) {
			pr_err("svm: %s", c->virt_off);
			return -ENODEV;
		}
		if (!c->npt) {
			pr_err("svm: no nested paging: partitions need it");
			return -ENODEV;
		}
		svm_on = true;
	} else if (!svm_on) {
		return -ENODEV;    /* the boot CPU could not turn it on */
	} else if (!(cpuid(0x80000001, 0).c & (1u << 2)) ||
		   (rdmsr(MSR_VM_CR) & (1u << 4))) {
		pr_err("svm: CPU %u: SVM missing or disabled by firmware", me->id);
		return -ENODEV;
	}
	me->hsave_pa = page_alloc(1, 1);
	me->host_vmcb_pa = page_alloc(1, 1);
	if (!me->hsave_pa || !me->host_vmcb_pa)
		return -ENOMEM;
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, me->hsave_pa);
	/* The host's TR, FS, GS (this CPU's struct cpu) and SYSCALL MSRs,
	 * restored after each exit. */
	__asm__ volatile("vmsave %0" : : "a"(me->host_vmcb_pa) : "memory");
	/* Every exit compares against this (svm_vcpu_run): it must hold
	 * from the start, or GS was not set up before AMD-V. */
	if (((const struct vmcb *)phys_to_virt(me->host_vmcb_pa))->s.gs.base != (uint64_t)me)
		panic("svm: CPU %u: VMSAVE did not record this CPU's GS base", me->id);
	tlbtag_cpu_init(&me->tags, tlbtag_limit(c->asids, hv.tlb_tags));
	if (me->id)
		return 0;
	pr_info("svm: on (%u ASIDs%s%s%s)", tlbtag_limit(c->asids, hv.tlb_tags),
		hv.tlb_tags && hv.tlb_tags < c->asids ? " by tlb_tags" : "",
		c->nrip_save ? ", NRIP save" : ", no NRIP save: RIP advanced by decoding",
		c->flush_by_asid ? ", flush by ASID" :
		", no flush by ASID: changed mappings take a fresh ASID");
	return 0;
}

static unsigned svm_gpt_leaf_levels(void)
{
	return PT_LEAF_4K | PT_LEAF_2M | (caps_get()->gbpages ? PT_LEAF_1G : 0);
}

#define SVM_MAP_PAGES ((PERMMAP_SVM_IOPM_SIZE + PERMMAP_SVM_MSRPM_SIZE) / 4096)

/* Both maps in one block: the IOPM, then the MSRPM, each 4 KiB aligned
 * as 15.10.1 and 15.11 ask. */
static int svm_part_create(struct partition *p)
{
	static struct svm_part pool[PART_MAX];
	struct svm_part *s = &pool[p->id % PART_MAX];

	/* One partition per id at a time: part_start waits for the earlier
	 * run's teardown. */
	s->iopm_pa = page_alloc(SVM_MAP_PAGES, 1);
	if (!s->iopm_pa)
		return -ENOMEM;
	s->msrpm_pa = s->iopm_pa + PERMMAP_SVM_IOPM_SIZE;
	/* Every port and MSR exits until opened. */
	memset(phys_to_virt(s->iopm_pa), 0xff, SVM_MAP_PAGES * 4096);
	p->arch = s;
	return 0;
}

static void svm_part_destroy(struct partition *p)
{
	if (!sp(p))
		return;
	page_free(sp(p)->iopm_pa, SVM_MAP_PAGES);
	p->arch = NULL;
}

/* The VMCBs read the maps at every VMRUN: a change applies from the
 * next entry of each vCPU (15.10.1). */
static void svm_part_io(struct partition *p, uint16_t port, unsigned len, bool direct)
{
	permmap_io_set(phys_to_virt(sp(p)->iopm_pa), port, len, !direct);
}

static int svm_part_msr(struct partition *p, uint32_t msr, bool read_direct, bool write_direct)
{
	return permmap_msr_set(PERMMAP_SVM, phys_to_virt(sp(p)->msrpm_pa), msr, !read_direct,
			       !write_direct);
}

static int svm_vcpu_create(struct vcpu *v)
{
	static struct svm_vcpu pool[PART_MAX * VCPU_MAX];
	struct svm_vcpu *s = NULL;
	struct vmcb *vm;

	for (size_t i = 0; i < sizeof(pool) / sizeof(pool[0]); i++)
		if (!pool[i].vmcb) {
			s = &pool[i];
			break;
		}
	if (!s)
		return -ENOSPC;
	s->vmcb_pa = page_alloc(1, 1);
	if (!s->vmcb_pa)
		return -ENOMEM;
	*s = (struct svm_vcpu){ .vmcb_pa = s->vmcb_pa };   /* nothing of the slot's last vCPU */
	s->vmcb = vm = phys_to_virt(s->vmcb_pa);
	s->flush = true;
	v->arch = s;

	vm->c.intercepts1 = SVM_I1_INTR | SVM_I1_NMI | SVM_I1_SMI | SVM_I1_INIT |
		SVM_I1_RDPMC | SVM_I1_CPUID | SVM_I1_INVD | SVM_I1_HLT | SVM_I1_INVLPGA |
		SVM_I1_IOIO | SVM_I1_MSR | SVM_I1_TASKSW | SVM_I1_SHUTDOWN;
	/* VMRUN must be intercepted (15.5.1); the other SVM instructions
	 * are not offered to guests. */
	vm->c.intercepts2 = SVM_I2_VMRUN | SVM_I2_VMMCALL | SVM_I2_VMLOAD | SVM_I2_VMSAVE |
		SVM_I2_STGI | SVM_I2_CLGI | SVM_I2_SKINIT | SVM_I2_RDTSCP | SVM_I2_WBINVD | SVM_I2_ICEBP |
		SVM_I2_MONITOR | SVM_I2_MWAIT | SVM_I2_MWAIT_C | SVM_I2_XSETBV;
	/* Debug registers are kept per vCPU: DR0-3 in software, DR6/7 in
	 * the VMCB, so no value leaks between partitions. */
	vm->c.dr_intercepts = 0xffffffff;
	/* CR8 writes exit, so a lowered TPR delivers what it held back at
	 * once; reads come from V_TPR, kept equal to the LAPIC's TPR. CR0
	 * and CR4 writes exit to be checked as the CPU checks them, against
	 * what the guest's CPUID offers (vmm/crvalid.c). All CR0 writes,
	 * not just those beyond TS/MP: emulators do not all model the
	 * selective intercept, and guests write CR0 rarely. */
	vm->c.cr_intercepts = (1u << (16 + 0)) | (1u << (16 + 4)) | (1u << (16 + 8));
	/* #DB and #AC exit and are reflected: delivered back to back
	 * (a breakpoint on the stack the delivery writes, an #AC while
	 * pushing #AC's frame) they would hold the CPU in the guest with no
	 * exit at all (CVE-2015-8104, CVE-2015-5307). */
	vm->c.exc_intercepts = (1u << 1) | (1u << 17);
	vm->c.iopm_pa = sp(v->part)->iopm_pa;
	vm->c.msrpm_pa = sp(v->part)->msrpm_pa;
	vm->c.int_ctl = SVM_V_INTR_MASKING;
	vm->c.np_enable = 1;
	vm->c.n_cr3 = v->part->gpt.root;
	/* The guest's TSC counts from its partition's start (15.30.5), the
	 * time base of its LAPIC's TSC-deadline timer. */
	vm->c.tsc_offset = -v->part->start_tsc;
	return 0;
}

static void svm_vcpu_destroy(struct vcpu *v)
{
	struct svm_vcpu *s = sv(v);

	page_free(s->vmcb_pa, 1);
	s->vmcb = NULL;
	v->arch = NULL;
}

static void seg(struct vmcb_seg *s, uint16_t sel, uint64_t base, uint32_t limit, uint16_t attr)
{
	s->sel = sel;
	s->base = base;
	s->limit = limit;
	s->attr = attr;
}

static int svm_vcpu_reset(struct vcpu *v, const struct boot_state *bs)
{
	struct vmcb_save *g = &sv(v)->vmcb->s;
	struct vmcb_control *c = &sv(v)->vmcb->c;

	/* Nothing queued before the reset is delivered after it. */
	c->eventinj = 0;
	c->int_state = 0;
	c->intercepts1 &= ~(SVM_I1_VINTR | SVM_I1_IRET);
	sv(v)->nmi_masked = sv(v)->iret_seen = false;
	c->int_ctl &= ~(SVM_V_IRQ | SVM_V_IGN_TPR | SVM_V_INTR_PRIO(0xf));

	g->efer = EFER_SVME;          /* VMRUN requires it in the guest EFER */
	g->cr4 = 0;
	g->cr3 = 0;
	g->dr6 = 0xffff0ff0;
	g->dr7 = 0x400;
	g->g_pat = 0x0007040600070406ULL;   /* PAT power-up value */
	g->cpl = 0;
	/* Attribute bits: type/S/DPL/P in 7:0, AVL/L/DB/G in 11:8. */
	seg(&g->ldtr, 0, 0, 0xffff, 0x082);
	seg(&g->tr, 0, 0, 0xffff, 0x08b);
	seg(&g->gdtr, 0, 0, 0xffff, 0);
	switch (bs->mode) {
	case BOOT_REAL16:
		g->cr0 = CR0_ET;
		seg(&g->cs, bs->cs_sel, (uint64_t)bs->cs_sel << 4, 0xffff, 0x09b);
		seg(&g->ds, 0, 0, 0xffff, 0x093);
		seg(&g->idtr, 0, 0, 0x3ff, 0);
		break;
	case BOOT_PROT32:
		/* Multiboot 0.6.96, 3.2: flat 32-bit segments, paging off. */
		g->cr0 = CR0_PE | CR0_ET;
		seg(&g->cs, 0x08, 0, 0xffffffff, 0xc9b);
		seg(&g->ds, 0x10, 0, 0xffffffff, 0xc93);
		seg(&g->idtr, 0, 0, 0, 0);
		break;
	case BOOT_LONG64:
		/* The 64-bit boot protocol: paging on with the loader's
		 * identity map, a 64-bit code segment, flat data segments,
		 * interrupts off (Linux boot.rst, "64-bit Boot Protocol"). */
		g->cr0 = bs->cr0;
		g->cr3 = bs->cr3;
		g->cr4 = bs->cr4;
		g->efer = bs->efer | EFER_SVME;
		seg(&g->cs, bs->cs_sel, 0, 0xffffffff, 0xa9b);   /* L=1, G=1 */
		seg(&g->ds, bs->ds_sel, 0, 0xffffffff, 0xc93);
		seg(&g->gdtr, 0, bs->gdt_base, bs->gdt_limit, 0);
		seg(&g->idtr, 0, 0, 0, 0);
		break;
	default:
		return -ENOSYS;
	}
	g->es = g->ss = g->fs = g->gs = g->ds;
	return 0;
}

EXIT_PATH static void svm_get_ctl(struct vcpu *v, struct guest_ctl *c)
{
	struct vmcb_save *g = &sv(v)->vmcb->s;

	c->cr0 = g->cr0;
	c->cr3 = g->cr3;
	c->cr4 = g->cr4;
	/* LMA is LME with paging on (SDM Vol. 3A, 10.8.5), whatever the
	 * VMCB's copy says: CR0 writes are emulated, and an emulated VMRUN
	 * need not take LMA from the VMCB. */
	c->efer = g->efer & ~(EFER_SVME | (1ULL << 10));
	if ((g->efer & EFER_LME) && (g->cr0 & CR0_PG))
		c->efer |= 1ULL << 10;
	c->cpl = g->cpl;
	c->idtr_base = g->idtr.base;
	if (!(g->cr0 & CR0_PE))
		c->mode = MODE_REAL;
	else if ((c->efer & (1u << 10)) && (g->cs.attr & (1u << 9)))
		c->mode = MODE_LONG64;          /* LMA and CS.L */
	else if (g->cs.attr & (1u << 10))
		c->mode = MODE_PROT32;          /* CS.D */
	else
		c->mode = MODE_PROT16;
}

static uint64_t svm_seg_base(struct vcpu *v, int s)
{
	struct vmcb_save *g = &sv(v)->vmcb->s;
	const struct vmcb_seg *segs[] = { &g->es, &g->cs, &g->ss, &g->ds, &g->fs, &g->gs };
	struct guest_ctl c;

	if (s < 0 || s > SEG_GS)
		s = SEG_DS;
	svm_get_ctl(v, &c);
	/* In 64-bit mode only FS and GS have a base. */
	if (c.mode == MODE_LONG64 && s < SEG_FS)
		return 0;
	return segs[s]->base;
}

static void svm_inject_exception(struct vcpu *v, uint8_t vector, bool has_err, uint32_t err)
{
	struct svm_vcpu *s = sv(v);

	/* An NMI going in again that the exception displaces (the neutral
	 * code holds it again) is not being handled yet. */
	if ((s->vmcb->c.eventinj & (SVM_EVT_VALID | (7u << 8))) == (SVM_EVT_VALID | SVM_EVT_NMI)) {
		s->nmi_masked = false;
		s->iret_seen = false;
		s->vmcb->c.intercepts1 &= ~SVM_I1_IRET;
	}
	s->vmcb->c.eventinj = vector | SVM_EVT_EXC | SVM_EVT_VALID |
		(has_err ? SVM_EVT_ERR | ((uint64_t)err << 32) : 0);
}

static void svm_set_cr2(struct vcpu *v, uint64_t cr2)
{
	sv(v)->vmcb->s.cr2 = cr2;
}

static bool svm_interruptible(struct vcpu *v)
{
	struct vmcb *vm = sv(v)->vmcb;

	return (v->regs.rflags & RFLAGS_IF) && !(vm->c.int_state & 1) &&
	       !(vm->c.eventinj & SVM_EVT_VALID);
}

static bool svm_nmi_allowed(struct vcpu *v)
{
	struct svm_vcpu *s = sv(v);

	return !s->nmi_masked && !(s->vmcb->c.int_state & 1) &&
	       !(s->vmcb->c.eventinj & SVM_EVT_VALID);
}

static void svm_inject_nmi(struct vcpu *v)
{
	struct svm_vcpu *s = sv(v);

	s->vmcb->c.eventinj = 2 | SVM_EVT_NMI | SVM_EVT_VALID;
	s->nmi_masked = true;
	s->iret_seen = false;
	s->vmcb->c.intercepts1 |= SVM_I1_IRET;
}

/* Without vNMI there is no NMI-window exit. The IRET intercept fires
 * before the IRET runs, so an interrupt window asked for then would
 * exit at the IRET again and again (a guest that IRETs with IF set
 * would never get past it): the held NMI goes in at the first exit
 * after the IRET instead, at the latest when the slice's timer ends
 * the guest's run. */
EXIT_PATH static void svm_request_nmi_window(struct vcpu *v, bool on)
{
	(void)v;
	(void)on;
}

/* After an exit: the IRET of an NMI handler has run when the guest got
 * past it (or went elsewhere), which ends NMI blocking. */
static void svm_nmi_track(struct svm_vcpu *s, struct vmcb *vm)
{
	if (s->iret_seen && vm->s.rip != s->iret_rip) {
		s->nmi_masked = false;
		s->iret_seen = false;
	}
	if (vm->c.exitcode == SVM_EXIT_IRET && s->nmi_masked) {
		s->iret_seen = true;
		s->iret_rip = vm->s.rip;
		vm->c.intercepts1 &= ~SVM_I1_IRET;
	}
	/* An NMI whose delivery the exit cut short goes in again below, and
	 * is still the one being handled. */
}

static void svm_inject_irq(struct vcpu *v, uint8_t vector)
{
	sv(v)->vmcb->c.eventinj = vector | SVM_EVT_INTR | SVM_EVT_VALID;
}

/* A virtual interrupt request with the VINTR intercept exits as soon as
 * the guest could take it (15.21.4); the real vector then goes in
 * through EVENTINJ. */
EXIT_PATH static void svm_request_irq_window(struct vcpu *v, bool on)
{
	struct vmcb *vm = sv(v)->vmcb;

	if (on) {
		vm->c.intercepts1 |= SVM_I1_VINTR;
		vm->c.int_ctl |= SVM_V_IRQ | SVM_V_IGN_TPR | SVM_V_INTR_PRIO(0xf);
	} else {
		vm->c.intercepts1 &= ~SVM_I1_VINTR;
		vm->c.int_ctl &= ~(SVM_V_IRQ | SVM_V_IGN_TPR | SVM_V_INTR_PRIO(0xf));
	}
}

static int svm_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	struct vmcb_save *g = &sv(v)->vmcb->s;

	switch (msr) {
	case MSR_EFER: {
		struct guest_ctl c;
		svm_get_ctl(v, &c);
		*val = c.efer;
		return 0;
	}
	case 0x277:
		*val = g->g_pat;
		return 0;
	default:
		return -ENOENT;
	}
}

static int svm_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
	struct vmcb_save *g = &sv(v)->vmcb->s;

	switch (msr) {
	case MSR_EFER:
		/* LMA is the processor's to set; SVME stays on underneath. */
		g->efer = (val & ~(1ULL << 10)) | (g->efer & (1ULL << 10)) | EFER_SVME;
		return 0;
	case 0x277:
		g->g_pat = val;
		return 0;
	default:
		return -ENOENT;
	}
}

static void svm_set_tsc_offset(struct vcpu *v, uint64_t offset)
{
	/* Added to the TSC on every read in the guest (APM Vol. 2, 15.30.5). */
	sv(v)->vmcb->c.tsc_offset = offset;
}

static void svm_dr_access(struct vcpu *v, unsigned dr, bool write, uint64_t *val)
{
	struct vmcb_save *g = &sv(v)->vmcb->s;

	/* DR6 reserved bits read as 1, DR7 bit 10 as 1 (SDM Vol. 3B, 17.2). */
	if (dr == 6 && write)
		g->dr6 = (*val & 0xe00f) | 0xffff0ff0;
	else if (dr == 6)
		*val = g->dr6;
	else if (write)
		g->dr7 = (*val & 0xffffffffULL) | 0x400;
	else
		*val = g->dr7;
}

EXIT_PATH static void svm_clear_irq_shadow(struct vcpu *v)
{
	sv(v)->vmcb->c.int_state &= ~1ULL;
}

static void svm_dump(struct vcpu *v)
{
	struct vmcb *vm = sv(v)->vmcb;

	pr_err("  svm: exitcode %#llx info1 %#llx info2 %#llx intinfo %#llx",
	       (unsigned long long)vm->c.exitcode, (unsigned long long)vm->c.exitinfo1,
	       (unsigned long long)vm->c.exitinfo2, (unsigned long long)vm->c.exitintinfo);
	pr_err("  svm: CR0 %#llx CR3 %#llx CR4 %#llx EFER %#llx CPL %u",
	       (unsigned long long)vm->s.cr0, (unsigned long long)vm->s.cr3,
	       (unsigned long long)vm->s.cr4, (unsigned long long)vm->s.efer, vm->s.cpl);
	pr_err("  svm: CS %04x base %#llx attr %#x  SS %04x  IDTR %#llx/%#x  GDTR %#llx/%#x",
	       vm->s.cs.sel, (unsigned long long)vm->s.cs.base, vm->s.cs.attr, vm->s.ss.sel,
	       (unsigned long long)vm->s.idtr.base, vm->s.idtr.limit,
	       (unsigned long long)vm->s.gdtr.base, vm->s.gdtr.limit);
	/* What the CPU walked with: the nested root this VMCB gave it
	 * (against the partition's), its ASID and TLB control. */
	pr_err("  svm: CR2 %#llx nCR3 %#llx (%s) ASID %u TLB_CONTROL %u VMCB %#llx",
	       (unsigned long long)vm->s.cr2, (unsigned long long)vm->c.n_cr3,
	       vm->c.n_cr3 == v->part->gpt.root ? "the partition's" : "NOT the partition's",
	       vm->c.asid, vm->c.tlb_control, (unsigned long long)sv(v)->vmcb_pa);
}

/* A CR0 or CR4 write: decoded (no decode assists are assumed), checked
 * as the CPU checks it, then done or refused with #GP(0). Changes to
 * the paging controls flush the guest's TLB as the CPU would (SDM Vol.
 * 3A, 4.10.4.1). */
static void svm_cr_write(struct vcpu *v, struct vm_exit *e, unsigned cr)
{
	struct svm_vcpu *s = sv(v);
	struct vmcb_save *g = &s->vmcb->s;
	struct guest_ctl c;
	struct cr_state st;
	struct cr_allowed a;
	struct cr_write w;
	uint64_t val, efer = g->efer & ~EFER_SVME;
	int r;

	e->reason = EXIT_NONE;
	svm_get_ctl(v, &c);
	/* The bytes are read after the exit: another vCPU may have changed
	 * them, so they must name the register that exited. */
	r = crwrite_decode(v, &c, &w);
	if (r == -EFAULT)
		return;         /* the operand's fault is the guest's */
	if (r || w.cr != cr) {
		e->reason = EXIT_UNKNOWN;
		e->fail.info1 = s->vmcb->c.exitinfo1;
		return;
	}
	crwrite_state(v, &c, &st, &a);
	st.cs_l = g->cs.attr & (1u << 9);
	if (w.cr == 0)
		r = crvalid_cr0(&st, w.val, &val, &efer);
	else
		r = crvalid_cr4(&st, &a, w.val, &val);
	if (r) {
		svm_inject_exception(v, 13, true, 0);
		return;
	}
	if (w.cr == 0) {
		s->flush |= ((g->cr0 ^ val) & (CR0_PG | CR0_WP | CR0_PE)) != 0;
		g->cr0 = val;
		g->efer = efer | EFER_SVME;
	} else {
		s->flush |= g->cr4 != val;
		g->cr4 = val;
	}
	v->regs.rip += w.len;
}

/* Hardware exit code -> neutral exit (AMD APM Vol. 2, Appendix C). */
/* rip: the exiting instruction's address. */
static void translate(struct vcpu *v, struct vm_exit *e, uint64_t rip)
{
	struct vmcb *vm = sv(v)->vmcb;
	uint32_t code = (uint32_t)vm->c.exitcode;
	uint64_t i1 = vm->c.exitinfo1;
	bool nrip = svm_nrip;

	e->vendor_code = code;
	e->shadow = vm->c.int_state & 1;
	if (nrip && vm->c.next_rip > rip && vm->c.next_rip - rip <= 15)
		e->inst_len = (uint8_t)(vm->c.next_rip - rip);
	/* The commonest exits (CPUID, the hypercall, port I/O, MMIO) before
	 * the switch, whose jump table would be one more page and one more
	 * indirect branch for each of them. */
	if (code == SVM_EXIT_CPUID) {
		e->reason = EXIT_CPUID;
		return;
	}
	if (code == SVM_EXIT_VMMCALL) {
		e->reason = EXIT_HYPERCALL;
		return;
	}
	if (code == SVM_EXIT_IOIO) {
		/* EXITINFO1 (15.10.2): type, string, rep, size, address size,
		 * segment, port; EXITINFO2 is the next RIP on every CPU. */
		e->reason = EXIT_IO;
		e->io.in = i1 & 1;
		e->io.string = i1 & (1u << 2);
		e->io.rep = i1 & (1u << 3);
		e->io.size = (i1 & (1u << 4)) ? 1 : (i1 & (1u << 5)) ? 2 : 4;
		e->io.addr_size = (i1 & (1u << 7)) ? 2 : (i1 & (1u << 8)) ? 4 : 8;
		e->io.seg = (i1 >> 10) & 7;
		e->io.port = (uint16_t)(i1 >> 16);
		e->inst_len = (uint8_t)(vm->c.exitinfo2 - rip);
		return;
	}
	if (code == SVM_EXIT_NPF) {
		/* EXITINFO1 is a #PF-style error code, EXITINFO2 the address. */
		e->reason = EXIT_MMIO;
		e->mmio.gpa = vm->c.exitinfo2;
		e->mmio.write = i1 & 2;
		e->mmio.fetch = i1 & 0x10;
		/* Bit 33: the fault was on a guest page-table access, bit 32:
		 * on the final translation (APM Vol. 2, 15.25.6). */
		e->mmio.walk = (i1 >> 33) & 1;
		e->inst_len = 0;
		return;
	}
	switch (code) {
	case SVM_EXIT_MSR:
		e->reason = i1 ? EXIT_MSR_WRITE : EXIT_MSR_READ;
		e->msr.index = (uint32_t)v->regs.gpr[REG_RCX];
		break;
	case SVM_EXIT_HLT:
		e->reason = EXIT_HLT;
		break;
	case SVM_EXIT_WRITE_CR8:
		e->reason = EXIT_CR8_WRITE;
		break;
	case SVM_EXIT_WRITE_CR0:
	case SVM_EXIT_WRITE_CR4:
		svm_cr_write(v, e, code - SVM_EXIT_WRITE_CR0);
		break;
	case SVM_EXIT_ICEBP:
		/* INT1 (F1): a #DB delivered after the instruction, DR6 as it
		 * was; intercepted so that the saved RIP is past it whatever
		 * the #DB intercept would have reported. */
		e->reason = EXIT_EXCEPTION;
		e->exc.vector = 1;
		e->exc.trap_insn = true;
		if (!e->inst_len)
			e->inst_len = 1;
		break;
	case SVM_EXIT_EXCP0 + 1:
	case SVM_EXIT_EXCP0 + 17:
		/* #DB has updated DR6 in the VMCB before the intercept (unlike
		 * VT-x); #AC's error code is 0. Reflected in place of an event
		 * whose delivery raised it: both are benign exceptions, handled
		 * serially (SDM Vol. 3A, 6.15, Table 6-5). */
		e->reason = EXIT_EXCEPTION;
		e->exc.vector = (uint8_t)(code - SVM_EXIT_EXCP0);
		e->exc.has_err = code == SVM_EXIT_EXCP0 + 17;
		break;
	case SVM_EXIT_RDPMC:
		e->reason = EXIT_RDPMC;
		break;
	case SVM_EXIT_RDTSCP:
		e->reason = EXIT_RDTSCP;
		break;
	case SVM_EXIT_INVD:
	case SVM_EXIT_WBINVD:
		e->reason = EXIT_CACHE;
		break;
	case SVM_EXIT_VMRUN: case SVM_EXIT_VMLOAD: case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI: case SVM_EXIT_CLGI: case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA: case SVM_EXIT_MONITOR: case SVM_EXIT_MWAIT:
	case SVM_EXIT_MWAIT_C:
		e->reason = EXIT_UD;
		break;
	case SVM_EXIT_XSETBV:
		e->reason = EXIT_XSETBV;
		break;
	case SVM_EXIT_IRET:
		e->reason = EXIT_NONE;   /* noted by svm_nmi_track; the IRET runs at entry */
		break;
	case SVM_EXIT_SHUTDOWN:
		e->reason = EXIT_TRIPLE_FAULT;
		break;
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
	case SVM_EXIT_SMI:
	case SVM_EXIT_INIT:
		e->reason = EXIT_INTR;
		break;
	case SVM_EXIT_VINTR:
		e->reason = EXIT_IRQ_WINDOW;
		break;
	case SVM_EXIT_INVALID:
		e->reason = EXIT_ENTRY_FAILED;
		e->fail.what = "VMRUN refused the guest state (consistency checks, AMD APM 15.5.1)";
		break;
	default:
		if (code >= SVM_EXIT_READ_DR0 && code < SVM_EXIT_READ_DR0 + 0x20) {
			e->reason = EXIT_DR_ACCESS;
			e->dr.dr = code & 0xf;
			e->dr.write = code >= SVM_EXIT_WRITE_DR0;
			break;
		}
		e->reason = EXIT_UNKNOWN;
		e->fail.info1 = i1;
		e->fail.info2 = vm->c.exitinfo2;
	}
}

/* The host's VMLOAD state (TR, FS, GS base = this CPU's struct cpu,
 * the SYSCALL MSRs) is written once, by the VMSAVE at enable, and
 * loaded after every exit. Anything else writing that page (a device's
 * DMA, a page handed out twice, a VMSAVE through a stale address)
 * gives the next exit a wrong GS base: the first this_cpu() after it,
 * often in an interrupt handler, faults far from the cause. */
static void host_area_report(const struct cpu *c)
{
	const struct vmcb *h = phys_to_virt(c->host_vmcb_pa);
	const uint8_t *b = (const uint8_t *)&h->s;
	size_t nonzero = 0;

	for (size_t i = 0; i < sizeof(h->s); i++)
		nonzero += b[i] != 0;
	pr_err("svm: CPU %u: host save area at %#llx (%s in the page allocator): "
	       "GS base %#llx (want %#llx), FS base %#llx, TR sel %#x base %#llx, "
	       "%llu of %llu bytes non-zero", c->id, (unsigned long long)c->host_vmcb_pa,
	       page_is_free(c->host_vmcb_pa) ? "FREE" : "in use",
	       (unsigned long long)h->s.gs.base, (unsigned long long)(uintptr_t)c,
	       (unsigned long long)h->s.fs.base, h->s.tr.sel, (unsigned long long)h->s.tr.base,
	       (unsigned long long)nonzero, (unsigned long long)sizeof(h->s));
	for (size_t i = 0; i < sizeof(h->s); i += 64) {
		const uint64_t *q = (const uint64_t *)(b + i);
		if (!(q[0] | q[1] | q[2] | q[3] | q[4] | q[5] | q[6] | q[7]))
			continue;
		pr_err("svm:   +%#05zx %016llx %016llx %016llx %016llx %016llx %016llx %016llx %016llx",
		       0x400 + i, (unsigned long long)q[0], (unsigned long long)q[1],
		       (unsigned long long)q[2], (unsigned long long)q[3], (unsigned long long)q[4],
		       (unsigned long long)q[5], (unsigned long long)q[6], (unsigned long long)q[7]);
	}
}

static void __attribute__((noreturn, noinline, cold)) svm_host_state_lost(struct cpu *c,
									    const char *when)
{
	/* Enough of the host back to log and stop cleanly. */
	wrmsr(MSR_GS_BASE, (uint64_t)c);
	host_area_report(c);
	panic("svm: CPU %u: the host's VMLOAD state was overwritten %s", c->id, when);
}

extern const char svm_vmrun_end[];

void svm_switch_interrupted(unsigned vector, uint64_t rip)
{
	uint64_t exit_at = (uint64_t)(uintptr_t)svm_vmrun_end;
	bool before = rip < exit_at;
	uint32_t id = apic_id();
	struct cpu *c = &cpu_table[0];

	for (unsigned i = 0; i < cpu_count; i++)
		if (cpu_table[i].apic_id == id)
			c = &cpu_table[i];
	/* The guest's GS base may be loaded: this CPU's own, to log. */
	wrmsr(MSR_GS_BASE, (uint64_t)c);
	pr_err("svm: CPU %u: host interrupt vector %#x taken at %s+%#llx (%s), where the global "
	       "interrupt flag is clear and should hold every interrupt", c->id, vector,
	       before ? "svm_switch_start" : "svm_vmrun_end",
	       (unsigned long long)(rip - (before ? (uint64_t)(uintptr_t)svm_switch_start : exit_at)),
	       before ? "before VMRUN, the guest's state loaded" : "after #VMEXIT, before the host's VMLOAD");
	panic("svm: CPU %u: an interrupt inside the world switch", c->id);
}

void svm_host_report(void)
{
	if (!svm_on)
		return;
	pr_err("svm: GS base of this CPU %#llx", (unsigned long long)rdmsr(MSR_GS_BASE));
	for (unsigned i = 0; i < cpu_count; i++) {
		const struct cpu *c = &cpu_table[i];
		const struct vmcb *h;

		if (!c->host_vmcb_pa)
			continue;
		h = phys_to_virt(c->host_vmcb_pa);
		if (h->s.gs.base == (uint64_t)(uintptr_t)c && !page_is_free(c->host_vmcb_pa))
			pr_err("svm: CPU %u: host save area intact", c->id);
		else
			host_area_report(c);
	}
}

/* The ASID to run with and the TLB_CONTROL that goes with it (AMD APM
 * Vol. 2, 15.16.1: 1 flushes every ASID, 3 this guest's entries only).
 * A reassigned vCPU always enters with its new ASID: entries tagged
 * with its old one may belong to another vCPU by now. */
static void svm_tlb(struct vcpu *v, struct svm_vcpu *s, struct vmcb *vm, struct cpu *c)
{
	static const uint8_t control[] = {
		[TLBTAG_FLUSH_NONE] = 0, [TLBTAG_FLUSH_TAG] = 3, [TLBTAG_FLUSH_ALL] = 1,
	};
	struct tlbtag_decision d;

	if (!s->flush && tlbtag_current(&c->tags, &v->tag, (int)c->id)) {
		vm->c.tlb_control = 0;     /* the common exit: same ASID, no flush */
		vm->c.asid = v->tag.tag;
		return;
	}
	d = tlbtag_decide(&c->tags, &v->tag, (int)c->id, s->flush, caps_get()->flush_by_asid);
	c->tags = d.cpu;
	v->tag = d.vcpu;
	s->flush = false;
	vm->c.tlb_control = control[d.flush];
	vm->c.asid = d.tag;
	if (d.rollover && tlbtag_log_rollover(d.cpu.gen))
		pr_info("svm: CPU %u: ASIDs rolled over, generation %llu",
			c->id, (unsigned long long)d.cpu.gen);
}

/* A guest with paging off loads no CR3 at VMRUN: an emulated SVM that
 * does not tag its TLB by ASID (QEMU's TCG, which flushes only on a CR3
 * load with paging on) would keep the previous guest's or the host's
 * translations for it. Such guests (real mode, 32-bit kernels without
 * paging) enter with everything flushed; hardware only loses some TLB
 * entries of a rare kind of guest. */
static void svm_tlb_unpaged(struct vmcb *vm)
{
	if (!(vm->s.cr0 & CR0_PG))
		vm->c.tlb_control = 1;
}

EXIT_PATH static void svm_vcpu_run(struct vcpu *v, struct vm_exit *e)
{
	struct svm_vcpu *s = sv(v);
	struct vmcb *vm = s->vmcb;
	struct cpu *c = this_cpu();
	const struct vmcb *host = phys_to_virt(c->host_vmcb_pa);
	uint64_t ii;

again:
	vm->s.rax = v->regs.gpr[REG_RAX];
	vm->s.rsp = v->regs.gpr[REG_RSP];
	vm->s.rip = v->regs.rip;
	vm->s.rflags = v->regs.rflags;
	svm_tlb(v, s, vm, c);
	svm_tlb_unpaged(vm);
	vm->c.exitintinfo = 0;
	/* CR8 is the LAPIC's TPR (SDM Vol. 3A, 11.8.6.1): the guest's MOV CR8
	 * works on V_TPR, which carries the LAPIC model's value in and out.
	 * s->v_tpr is what V_TPR holds (0xff: not known), written when the
	 * LAPIC's value differs. */
	if (s->v_tpr != (uint8_t)vcpu_cr8(v)) {
		s->v_tpr = (uint8_t)vcpu_cr8(v);
		vm->c.int_ctl = (vm->c.int_ctl & ~0xfULL) | s->v_tpr;
	}

	/* GIF holds host interrupts back around the switch; RFLAGS.IF = 1
	 * at VMRUN lets them end the guest's run as #VMEXIT(INTR) (with
	 * V_INTR_MASKING the host IF masks physical interrupts, 15.21.1). */
	/* VMRUN loads the guest's CR2 from the VMCB (15.5.1); Bochs 2.7 does
	 * not, so the register holds it as well: a #PF injected with its
	 * CR2 must find it there. */
	if (read_cr2() != vm->s.cr2)
		write_cr2(vm->s.cr2);
	if (host->s.gs.base != (uint64_t)c)
		svm_host_state_lost(c, "while the host ran (found before VMRUN)");
	__asm__ volatile("clgi; sti" ::: "memory");
	svm_enter(&v->regs, s->vmcb_pa, c->host_vmcb_pa);
	__asm__ volatile("cli; stgi" ::: "memory");
	/* The VMLOAD just done gave this CPU its GS base from the host
	 * save area: one compare before anything uses this_cpu(). */
	if (host->s.gs.base != (uint64_t)c)
		svm_host_state_lost(c, "during the guest's run (found after #VMEXIT)");

	v->regs.gpr[REG_RAX] = vm->s.rax;
	v->regs.gpr[REG_RSP] = vm->s.rsp;
	v->regs.rip = vm->s.rip;
	v->regs.rflags = vm->s.rflags;
	if ((vm->c.int_ctl & 0xf) != s->v_tpr) {
		e->cr8_set = true;
		e->cr8 = vm->c.int_ctl & 0xf;
		s->v_tpr = 0xff;   /* rewritten at the next entry, applied or not */
	}
	/* An event whose delivery the exit interrupted goes in again (e
	 * comes zeroed: nothing to say when there was none). */
	ii = vm->c.exitintinfo;
	vm->c.eventinj = 0;
	if (ii & SVM_EVT_VALID) {
		vm->c.eventinj = ii;
		e->event = true;
		e->event_vector = (uint8_t)ii;
		e->event_type = (ii >> 8) & 7;
	}
	svm_nmi_track(s, vm);
	translate(v, e, vm->s.rip);
	if (vcpu_exit_fast(v, e)) {
		*e = (struct vm_exit){ 0 };
		goto again;
	}
}


/* The nested tables lost a mapping: flush at the next entry. */
static void svm_gpt_changed(struct vcpu *v)
{
	sv(v)->flush = true;
}

EXIT_RODATA const struct vmm_ops svm_ops = {
	.name = "AMD-V",
	.cpu_enable = svm_cpu_enable,
	.gpt_format = &pt_npt,
	.gpt_leaf_levels = svm_gpt_leaf_levels,
	.part_create = svm_part_create,
	.part_map_kib = SVM_MAP_PAGES * 4,
	.part_destroy = svm_part_destroy,
	.part_io = svm_part_io,
	.part_msr = svm_part_msr,
	.vcpu_create = svm_vcpu_create,
	.vcpu_destroy = svm_vcpu_destroy,
	.vcpu_reset = svm_vcpu_reset,
	.vcpu_run = svm_vcpu_run,
	.gpt_changed = svm_gpt_changed,
	.get_ctl = svm_get_ctl,
	.seg_base = svm_seg_base,
	.inject_exception = svm_inject_exception,
	.set_cr2 = svm_set_cr2,
	.interruptible = svm_interruptible,
	.nmi_allowed = svm_nmi_allowed,
	.inject_nmi = svm_inject_nmi,
	.request_nmi_window = svm_request_nmi_window,
	.inject_irq = svm_inject_irq,
	.request_irq_window = svm_request_irq_window,
	.msr_read = svm_msr_read,
	.msr_write = svm_msr_write,
	.set_tsc_offset = svm_set_tsc_offset,
	.dr_access = svm_dr_access,
	.clear_irq_shadow = svm_clear_irq_shadow,
	.dump = svm_dump,
};
