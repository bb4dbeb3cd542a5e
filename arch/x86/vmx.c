/* Intel VT-x: VMX root operation, one VMCS per vCPU, EPT and VPID (Intel
 * SDM Vol. 3C, chapters 23-29). Fills vmx_ops; nothing outside this file
 * reads or writes a VMCS field. */
#include "vmm/vmm_ops.h"
#include "vmm/partition.h"
#include "vmm/vcpu.h"
#include "vmm/crwrite.h"
#include "include/vatra/hv.h"
#include "vmm/loader/loader.h"
#include "arch/x86/vmcs.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/caps.h"
#include "arch/x86/permmap.h"
#include "arch/x86/desc.h"
#include "mm/mem.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/errno.h"
#include "include/vatra/hotpath.h"

int vmx_enter(struct guest_regs *regs, int launched);
void vmx_exit(void);

struct vmx_vcpu {
	uint64_t vmcs_pa;
	bool launched;
	bool flush;             /* INVEPT before the next entry */
	uint64_t dr6;           /* the guest's DR6: MOV DR always exits */
	/* The SYSCALL MSRs and KERNEL_GS_BASE are the guest's to write
	 * directly, but no VMCS field holds them (24.4): they move with the
	 * vCPU in software. */
	uint64_t syscall_msrs[5];
	/* Nor CR2: a vCPU preempted between a page fault and its handler's
	 * read of CR2 must find its own value there. */
	uint64_t cr2;
	int host_cpu;           /* CPU whose host state the VMCS holds, -1 = none */
	int vpid_cpu;           /* CPU whose VPID for it the VMCS holds, -1 = none */
	bool in_use;
	/* Without virtual NMIs: an injected NMI's handler has not been seen
	 * to return (see vmx_soft_nmi_unblock). */
	bool soft_nmi_blocked;
	uint64_t soft_nmi_tsc;  /* when it went in */
	bool ia32e;             /* the "IA-32e mode guest" entry control as last written */
};

static const uint32_t syscall_msr[5] = { 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,
					 0xc0000102 };
/* Per partition: its I/O bitmaps A and B and its MSR bitmap (SDM Vol.
 * 3C, 25.6.4 and 25.6.9), which every VMCS of its vCPUs points at. */
struct vmx_part {
	uint64_t io_bitmap_pa, msr_bitmap_pa;
};

/* Shared by every CPU. The VMXON region, the current VMCS, whose
 * SYSCALL MSRs are loaded and the VPID allocator are per CPU (struct
 * cpu). A VMCS is active on one CPU only while its vCPU's slice runs
 * there (vmx_vcpu_put clears it), so any CPU may create, reset or
 * destroy a vCPU that is not in a slice. */
static bool vmx_on;     /* the boot CPU turned VMX on */
static EXIT_DATA uint32_t pin_ctl, proc_ctl, proc2_ctl, exit_ctl, entry_ctl;
static EXIT_DATA uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
static EXIT_DATA bool have_vpid, have_unrestricted, invept_single, have_preempt;
/* Virtual NMIs with NMI-window exiting: the CPU tracks the guest's NMI
 * blocking in its interruptibility state and exits when it ends (SDM
 * Vol. 3C, 25.3 and 26.7.6). */
static EXIT_DATA bool have_vnmi;
static EXIT_DATA unsigned preempt_shift;  /* the timer counts TSC >> shift (A.6) */
static const char *refuse_reason;

static void sync_ia32e(struct vmx_vcpu *x);

static struct vmx_vcpu *vx(struct vcpu *v)
{
	return v->arch;
}

static struct vmx_part *vp(struct partition *p)
{
	return p->arch;
}

/* ---- VMX instructions ------------------------------------------------ */

static void vmcs_load(uint64_t pa)
{
	struct cpu *c = this_cpu();

	if (c->current_vmcs == pa)
		return;
	__asm__ volatile("vmptrld %0" : : "m"(pa) : "cc", "memory");
	c->current_vmcs = pa;
}

/* Writes the VMCS back to memory and makes it inactive on this CPU. */
static void vmcs_clear(uint64_t pa)
{
	struct cpu *c = this_cpu();

	__asm__ volatile("vmclear %0" : : "m"(pa) : "cc", "memory");
	if (c->current_vmcs == pa)
		c->current_vmcs = 0;
}

static uint64_t vmread(uint32_t field)
{
	uint64_t v;

	__asm__ volatile("vmread %1, %0" : "=r"(v) : "r"((uint64_t)field) : "cc");
	return v;
}

static void vmwrite(uint32_t field, uint64_t v)
{
	__asm__ volatile("vmwrite %1, %0" : : "r"((uint64_t)field), "r"(v) : "cc");
}

static void invept(uint64_t type, uint64_t eptp)
{
	struct { uint64_t eptp, rsvd; } d = { eptp, 0 };

	__asm__ volatile("invept %0, %1" : : "m"(d), "r"(type) : "cc", "memory");
}

static void invvpid_all(void)
{
	struct { uint64_t vpid, addr; } d = { 0, 0 };

	__asm__ volatile("invvpid %0, %1" : : "m"(d), "r"(2ULL) : "cc", "memory");
}

/* ---- turning VMX on ---------------------------------------------------- */

/* A control word from its capability MSR (SDM Vol. 3C, A.3-A.5): bits
 * that must be 1 are the low half, bits that may be 1 the high half. The
 * wanted bits that are not allowed are reported through *missing. */
static uint32_t adjust(uint32_t msr, uint32_t want, uint32_t *missing)
{
	uint64_t cap = rdmsr(msr);
	uint32_t must = (uint32_t)cap, may = (uint32_t)(cap >> 32);

	*missing = want & ~may;
	return (want | must) & may;
}

static int vmx_cpu_enable(void)
{
	const struct caps *c = caps_get();
	bool true_msrs = rdmsr(MSR_VMX_BASIC) & (1ULL << 55);
	struct cpu *me = this_cpu();
	uint32_t miss, *vmxon;
	uint64_t fc;

	if (c->virt != VIRT_VMX)
		return -ENODEV;
	if (me->id && !vmx_on)
		return -ENODEV;    /* the boot CPU could not turn it on */
	/* IA32_FEATURE_CONTROL: firmware may have locked VMX off; OVMF
	 * leaves it unlocked, so set "VMX outside SMX" and lock it (23.7). */
	fc = rdmsr(MSR_FEATURE_CONTROL);
	if (!(fc & 1)) {
		wrmsr(MSR_FEATURE_CONTROL, fc | 1 | (1u << 2));
	} else if (!(fc & (1u << 2))) {
		pr_err("vmx: CPU %u: VT-x disabled by firmware (IA32_FEATURE_CONTROL locked)", me->id);
		return -ENODEV;
	}
	if (me->id)
		goto this_cpu_on;
	/* The preemption timer ends a slice even when the guest never exits
	 * and host interrupts cannot reach us. */
	pin_ctl = adjust(true_msrs ? MSR_VMX_TRUE_PINBASED : MSR_VMX_PINBASED,
			 PIN_EXT_INTR | PIN_NMI | PIN_VIRTUAL_NMI | PIN_PREEMPT_TIMER, &miss);
	have_preempt = !(miss & PIN_PREEMPT_TIMER);
	have_vnmi = !(miss & PIN_VIRTUAL_NMI) &&
		    ((rdmsr(true_msrs ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED) >> 32) & PROC_NMI_WINDOW);
	if (!have_vnmi || hv.no_virtual_nmis) {
		pin_ctl &= ~PIN_VIRTUAL_NMI;
		pr_warn("vmx: no virtual NMIs%s: a guest's NMI handler is taken to have returned at "
			"the first exit with interrupts enabled; until then further NMIs are held",
			have_vnmi ? " (virtual_nmis = no)" : " on this CPU");
		have_vnmi = false;
	}
	preempt_shift = rdmsr(MSR_VMX_MISC) & 0x1f;
	proc_ctl = adjust(true_msrs ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED,
			  PROC_TSC_OFFSET | PROC_HLT | PROC_MWAIT | PROC_RDPMC | PROC_CR8_LOAD | PROC_CR8_STORE |
			  PROC_MOV_DR | PROC_IO_BITMAPS | PROC_MSR_BITMAP | PROC_MONITOR |
			  PROC_SECONDARY, &miss);
	if (miss) {
		pr_err("vmx: primary controls %#x not offered", miss);
		return -ENODEV;
	}
	/* EPT and unrestricted guest make CR3 exiting unnecessary. */
	proc_ctl &= ~(PROC_CR3_LOAD | PROC_CR3_STORE);
	/* INVPCID for guests when the CPU can let them (without the
	 * control it is #UD in the guest; CPUID then hides it, vmm/cpuid.c). */
	proc2_ctl = adjust(MSR_VMX_PROCBASED2, PROC2_EPT | PROC2_RDTSCP | PROC2_VPID |
			   PROC2_WBINVD | PROC2_UNRESTRICTED | PROC2_INVPCID, &miss);
	if (miss & PROC2_EPT) {
		refuse_reason = "this CPU's VT-x has no EPT, which partitions need";
		pr_err("vmx: %s", refuse_reason);
		return -ENODEV;
	}
	have_vpid = !(miss & PROC2_VPID);
	have_unrestricted = !(miss & PROC2_UNRESTRICTED);
	if (miss & PROC2_WBINVD)
		pr_warn("vmx: no WBINVD exiting: guests' WBINVD runs natively");
	/* The guest's DR7 and DEBUGCTL go in and out with it (24.7.1,
	 * 24.8.1); without these the guest would run with the host's DR7. */
	exit_ctl = adjust(true_msrs ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT,
			  EXIT_SAVE_DEBUG | EXIT_HOST_64 | EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_SAVE_EFER |
			  EXIT_LOAD_EFER, &miss);
	if (miss) {
		pr_err("vmx: VM-exit controls %#x not offered", miss);
		return -ENODEV;
	}
	entry_ctl = adjust(true_msrs ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY,
			   ENTRY_LOAD_DEBUG | ENTRY_LOAD_PAT | ENTRY_LOAD_EFER, &miss);
	if (miss) {
		pr_err("vmx: VM-entry controls %#x not offered", miss);
		return -ENODEV;
	}
	invept_single = c->invept_single;

	cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
	cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
	cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
	cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIXED1);
	vmx_on = true;
this_cpu_on:
	write_cr0((read_cr0() | cr0_fixed0) & cr0_fixed1);
	write_cr4((read_cr4() | cr4_fixed0 | CR4_VMXE) & cr4_fixed1);
	me->vmxon_pa = page_alloc(1, 1);
	if (!me->vmxon_pa)
		return -ENOMEM;
	vmxon = phys_to_virt(me->vmxon_pa);
	*vmxon = c->vmcs_rev;
	{
		uint8_t fail;
		__asm__ volatile("vmxon %1; setna %0" : "=q"(fail) : "m"(me->vmxon_pa) : "cc", "memory");
		if (fail) {
			pr_err("vmx: CPU %u: VMXON failed", me->id);
			return -EIO;
		}
	}
	tlbtag_cpu_init(&me->tags, have_vpid ? tlbtag_limit(0x10000, hv.tlb_tags) : 0);
	if (me->id)
		return 0;
	pr_info("vmx: on (EPT%s%s%s%s%s)", have_vpid ? ", VPID" : ", no VPID: TLB flushed on every switch",
		have_vpid && hv.tlb_tags && hv.tlb_tags < 0x10000 ?
		" (VPIDs limited by tlb_tags)" : "",
		have_preempt ? ", preemption timer" : "",
		have_unrestricted ? ", unrestricted guest" : ", no unrestricted guest",
		invept_single ? "" : ", INVEPT all-context only");
	if (!have_unrestricted)
		refuse_reason = "this CPU's VT-x lacks unrestricted guest, so guests that start "
				"in real mode or with paging off (every Vatra guest format) cannot run";
	return 0;
}

static unsigned vmx_gpt_leaf_levels(void)
{
	const struct caps *c = caps_get();

	return PT_LEAF_4K | (c->ept_2m ? PT_LEAF_2M : 0) |
	       (c->ept_2m && c->ept_1g ? PT_LEAF_1G : 0);
}

/* ---- VMCS setup ---------------------------------------------------------- */

static uint64_t eptp(struct vcpu *v)
{
	/* 4-level walk; the paging structures are write-back when the CPU
	 * allows that type for them, else uncacheable (24.6.11, A.10). */
	return v->part->gpt.root | (3 << 3) | (caps_get()->ept_wb ? 6 : 0);
}

#define VMX_MAP_PAGES ((PERMMAP_VMX_IO_SIZE + PERMMAP_VMX_MSR_SIZE) / 4096)

/* The bitmaps in one block: I/O A and B, then the MSR bitmap, each 4 KiB
 * aligned as 25.6.4 and 25.6.9 ask. */
static int vmx_part_create(struct partition *p)
{
	static struct vmx_part pool[PART_MAX];
	struct vmx_part *x = &pool[p->id % PART_MAX];

	/* One partition per id at a time: part_start waits for the earlier
	 * run's teardown. */
	x->io_bitmap_pa = page_alloc(VMX_MAP_PAGES, 1);
	if (!x->io_bitmap_pa)
		return -ENOMEM;
	x->msr_bitmap_pa = x->io_bitmap_pa + PERMMAP_VMX_IO_SIZE;
	/* Every port and MSR exits until opened. */
	memset(phys_to_virt(x->io_bitmap_pa), 0xff, VMX_MAP_PAGES * 4096);
	p->arch = x;
	return 0;
}

static void vmx_part_destroy(struct partition *p)
{
	if (!vp(p))
		return;
	page_free(vp(p)->io_bitmap_pa, VMX_MAP_PAGES);
	p->arch = NULL;
}

/* The bitmaps are read at each access in guest mode (25.6.4): a change
 * applies to every vCPU of the partition at once. */
static void vmx_part_io(struct partition *p, uint16_t port, unsigned len, bool direct)
{
	permmap_io_set(phys_to_virt(vp(p)->io_bitmap_pa), port, len, !direct);
}

static int vmx_part_msr(struct partition *p, uint32_t msr, bool read_direct, bool write_direct)
{
	return permmap_msr_set(PERMMAP_VMX, phys_to_virt(vp(p)->msr_bitmap_pa), msr, !read_direct,
			       !write_direct);
}

static int vmx_vcpu_create(struct vcpu *v)
{
	static struct vmx_vcpu pool[PART_MAX * VCPU_MAX];
	struct vmx_vcpu *x = NULL;

	if (refuse_reason)
		return -ENOSYS;
	for (size_t i = 0; i < sizeof(pool) / sizeof(pool[0]); i++)
		if (!pool[i].in_use) {
			x = &pool[i];
			break;
		}
	if (!x)
		return -ENOSPC;
	memset(x, 0, sizeof(*x));
	x->vmcs_pa = page_alloc(1, 1);
	if (!x->vmcs_pa)
		return -ENOMEM;
	x->in_use = true;
	*(uint32_t *)phys_to_virt(x->vmcs_pa) = caps_get()->vmcs_rev;
	vmcs_clear(x->vmcs_pa);
	x->host_cpu = -1;
	x->vpid_cpu = -1;
	x->flush = true;   /* the EPT root may have served an earlier partition */
	x->dr6 = 0xffff0ff0;
	v->arch = x;
	return 0;
}

static void vmx_vcpu_destroy(struct vcpu *v)
{
	struct vmx_vcpu *x = vx(v);

	vmcs_clear(x->vmcs_pa);
	page_free(x->vmcs_pa, 1);
	x->in_use = false;
	v->arch = NULL;
}

struct dtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static void host_state(void)
{
	struct dtr gdt, idt;
	uint64_t tr_base;
	const uint8_t *d;

	__asm__ volatile("sgdt %0; sidt %1" : "=m"(gdt), "=m"(idt));
	/* The TSS base from its GDT descriptor (two 8-byte entries). */
	d = (const uint8_t *)gdt.base + SEL_TSS;
	tr_base = d[2] | (d[3] << 8) | ((uint64_t)d[4] << 16) | ((uint64_t)d[7] << 24) |
		  ((uint64_t)(*(const uint32_t *)(d + 8)) << 32);
	vmwrite(HOST_CR0, read_cr0());
	vmwrite(HOST_CR3, read_cr3());
	vmwrite(HOST_CR4, read_cr4());
	vmwrite(HOST_CS_SEL, SEL_CODE);
	vmwrite(HOST_SS_SEL, SEL_DATA);
	vmwrite(HOST_DS_SEL, SEL_DATA);
	vmwrite(HOST_ES_SEL, SEL_DATA);
	vmwrite(HOST_FS_SEL, 0);
	vmwrite(HOST_GS_SEL, 0);
	vmwrite(HOST_TR_SEL, SEL_TSS);
	vmwrite(HOST_FS_BASE, 0);
	vmwrite(HOST_GS_BASE, (uint64_t)this_cpu());
	vmwrite(HOST_TR_BASE, tr_base);
	vmwrite(HOST_GDTR_BASE, gdt.base);
	vmwrite(HOST_IDTR_BASE, idt.base);
	vmwrite(HOST_SYSENTER_CS, 0);
	vmwrite(HOST_SYSENTER_ESP, 0);
	vmwrite(HOST_SYSENTER_EIP, 0);
	vmwrite(HOST_EFER, rdmsr(MSR_EFER));
	vmwrite(HOST_PAT, rdmsr(MSR_PAT));
	vmwrite(HOST_RIP, (uint64_t)vmx_exit);
}

/* Guest segment n (0 ES .. 5 GS, 6 LDTR, 7 TR) in VMX access-rights
 * format (24.4.1): type 3:0, S 4, DPL 6:5, P 7, L 13, D/B 14, G 15. */
static void gseg(unsigned n, uint16_t sel, uint64_t base, uint32_t limit, uint32_t ar)
{
	vmwrite(GUEST_ES_SEL + 2 * n, sel);
	vmwrite(GUEST_ES_BASE + 2 * n, base);
	vmwrite(GUEST_ES_LIMIT + 2 * n, limit);
	vmwrite(GUEST_ES_AR + 2 * n, ar);
}

static uint64_t guest_cr0(uint64_t want)
{
	uint64_t fixed0 = cr0_fixed0;

	/* Unrestricted guest lifts the PE and PG requirement (26.3.1.1). */
	if (have_unrestricted)
		fixed0 &= ~(CR0_PE | CR0_PG);
	return (want | fixed0) & cr0_fixed1;
}

static int vmx_vcpu_reset(struct vcpu *v, const struct boot_state *bs)
{
	struct vmx_vcpu *x = vx(v);
	uint64_t cr0;

	vmcs_clear(x->vmcs_pa);
	x->launched = false;
	vmcs_load(x->vmcs_pa);

	vmwrite(PIN_CONTROLS, pin_ctl);
	vmwrite(PROC_CONTROLS, proc_ctl);
	vmwrite(PROC_CONTROLS2, proc2_ctl);
	vmwrite(EXIT_CONTROLS, exit_ctl);
	vmwrite(ENTRY_CONTROLS, entry_ctl);
	x->ia32e = entry_ctl & ENTRY_IA32E;
	/* #DB and #AC exit and are reflected: delivered back to back (a
	 * breakpoint on the stack the delivery writes, an #AC while pushing
	 * #AC's frame) they would hold the CPU in the guest with no exit at
	 * all (CVE-2015-8104, CVE-2015-5307). */
	vmwrite(EXCEPTION_BITMAP, (1u << 1) | (1u << 17));
	vmwrite(CR3_TARGET_COUNT, 0);
	vmwrite(EXIT_MSR_STORE_COUNT, 0);
	vmwrite(EXIT_MSR_LOAD_COUNT, 0);
	vmwrite(ENTRY_MSR_LOAD_COUNT, 0);
	vmwrite(ENTRY_INTR_INFO, 0);
	vmwrite(MSR_BITMAP, vp(v->part)->msr_bitmap_pa);
	vmwrite(IO_BITMAP_A, vp(v->part)->io_bitmap_pa);
	vmwrite(IO_BITMAP_B, vp(v->part)->io_bitmap_pa + 4096);
	vmwrite(EPT_POINTER, eptp(v));
	vmwrite(VMCS_LINK_POINTER, ~0ULL);
	/* The guest's TSC counts from its partition's start: the time base
	 * of its LAPIC's TSC-deadline timer (25.3), moved by what the guest
	 * wrote to it; INIT does not reset the TSC. */
	vmwrite(TSC_OFFSET, v->tsc_adjust - v->part->start_tsc);
	/* CR0.NE and CR4.VMXE must stay set underneath; the guest sees and
	 * changes its own values through the read shadows (25.3). Setting a
	 * CR4 bit the guest's CPUID does not offer exits too, to fault as
	 * on a CPU without the feature (vmm/crvalid.c). */
	vmwrite(CR0_MASK, CR0_NE);
	{
		struct cr_allowed a;
		cpuid_cr_allowed(v, &a);
		vmwrite(CR4_MASK, CR4_VMXE | ~a.cr4);
	}
	host_state();
	x->host_cpu = (int)this_cpu()->id;

	cr0 = bs->mode == BOOT_PROT32 ? (CR0_PE | CR0_ET) :
	      bs->mode == BOOT_LONG64 ? bs->cr0 : CR0_ET;
	vmwrite(CR0_SHADOW, cr0);
	vmwrite(GUEST_CR0, guest_cr0(cr0));
	vmwrite(CR4_SHADOW, bs->mode == BOOT_LONG64 ? bs->cr4 : 0);
	vmwrite(GUEST_CR4, ((bs->mode == BOOT_LONG64 ? bs->cr4 : 0) | cr4_fixed0 | CR4_VMXE) &
		cr4_fixed1);
	vmwrite(GUEST_CR3, bs->mode == BOOT_LONG64 ? bs->cr3 : 0);
	vmwrite(GUEST_DR7, 0x400);
	vmwrite(GUEST_DEBUGCTL, 0);
	vmwrite(GUEST_EFER, bs->mode == BOOT_LONG64 ? bs->efer : 0);
	vmwrite(GUEST_PAT, 0x0007040600070406ULL);
	vmwrite(GUEST_SYSENTER_CS, 0);
	vmwrite(GUEST_SYSENTER_ESP, 0);
	vmwrite(GUEST_SYSENTER_EIP, 0);
	vmwrite(GUEST_ACTIVITY, 0);
	vmwrite(GUEST_INTERRUPTIBILITY, 0);
	vmwrite(GUEST_PENDING_DBG, 0);
	vmwrite(GUEST_GDTR_BASE, 0);
	vmwrite(GUEST_GDTR_LIMIT, 0xffff);
	gseg(6, 0, 0, 0xffff, 0x82);          /* LDTR */
	gseg(7, 0, 0, 0xffff, 0x8b);          /* TR: busy 32-bit TSS */
	switch (bs->mode) {
	case BOOT_REAL16:
		gseg(1, bs->cs_sel, (uint64_t)bs->cs_sel << 4, 0xffff, 0x9b);
		for (unsigned n = 0; n < 6; n++)
			if (n != 1)
				gseg(n, 0, 0, 0xffff, 0x93);
		vmwrite(GUEST_IDTR_BASE, 0);
		vmwrite(GUEST_IDTR_LIMIT, 0x3ff);
		break;
	case BOOT_PROT32:
		gseg(1, 0x08, 0, 0xffffffff, 0xc09b);
		for (unsigned n = 0; n < 6; n++)
			if (n != 1)
				gseg(n, 0x10, 0, 0xffffffff, 0xc093);
		vmwrite(GUEST_IDTR_BASE, 0);
		vmwrite(GUEST_IDTR_LIMIT, 0);
		break;
	case BOOT_LONG64:
		/* The 64-bit boot protocol (Linux boot.rst): 64-bit code,
		 * flat data, the loader's GDT, interrupts off. */
		gseg(1, bs->cs_sel, 0, 0xffffffff, 0xa09b);   /* L=1, G=1 */
		for (unsigned n = 0; n < 6; n++)
			if (n != 1)
				gseg(n, bs->ds_sel, 0, 0xffffffff, 0xc093);
		vmwrite(GUEST_GDTR_BASE, bs->gdt_base);
		vmwrite(GUEST_GDTR_LIMIT, bs->gdt_limit);
		vmwrite(GUEST_IDTR_BASE, 0);
		vmwrite(GUEST_IDTR_LIMIT, 0);
		break;
	default:
		return -ENOSYS;
	}
	sync_ia32e(x);
	/* Inactive until its slice: the CPU that runs it may be another. */
	vmcs_clear(x->vmcs_pa);
	return 0;
}

/* The end of a slice: the SYSCALL MSRs go back into the vCPU and the
 * VMCS is written back and made inactive, so that any CPU may reset or
 * destroy the vCPU until its next slice. */
static void vmx_vcpu_put(struct vcpu *v)
{
	struct vmx_vcpu *x = vx(v);
	struct cpu *c = this_cpu();

	if (!x)
		return;
	if (c->msrs_loaded == v) {
		for (int i = 0; i < 5; i++)
			x->syscall_msrs[i] = rdmsr(syscall_msr[i]);
		c->msrs_loaded = NULL;
	}
	vmcs_clear(x->vmcs_pa);
	x->launched = false;
}

/* ---- accessors ------------------------------------------------------------ */

EXIT_PATH static void vmx_get_ctl(struct vcpu *v, struct guest_ctl *c)
{
	uint32_t cs_ar, ss_ar;

	vmcs_load(vx(v)->vmcs_pa);
	c->cr0 = vmread(GUEST_CR0);
	c->cr3 = vmread(GUEST_CR3);
	c->cr4 = vmread(GUEST_CR4);
	c->efer = vmread(GUEST_EFER);
	cs_ar = (uint32_t)vmread(GUEST_ES_AR + 2);
	ss_ar = (uint32_t)vmread(GUEST_ES_AR + 4);
	c->cpl = (ss_ar >> 5) & 3;
	c->idtr_base = vmread(GUEST_IDTR_BASE);
	if (!(c->cr0 & CR0_PE))
		c->mode = MODE_REAL;
	else if ((c->efer & (1u << 10)) && (cs_ar & (1u << 13)))
		c->mode = MODE_LONG64;
	else if (cs_ar & (1u << 14))
		c->mode = MODE_PROT32;
	else
		c->mode = MODE_PROT16;
}

static uint64_t vmx_seg_base(struct vcpu *v, int s)
{
	struct guest_ctl c;

	if (s < 0 || s > SEG_GS)
		s = SEG_DS;
	vmx_get_ctl(v, &c);
	if (c.mode == MODE_LONG64 && s < SEG_FS)
		return 0;
	return vmread(GUEST_ES_BASE + 2 * (unsigned)s);
}

static void vmx_inject_exception(struct vcpu *v, uint8_t vector, bool has_err, uint32_t err)
{
	vmcs_load(vx(v)->vmcs_pa);
	/* An NMI going in again that the exception displaces (the neutral
	 * code holds it again) is not being handled yet. */
	if ((vmread(ENTRY_INTR_INFO) & (INTR_VALID | (7u << 8))) == (INTR_VALID | INTR_TYPE_NMI))
		vx(v)->soft_nmi_blocked = false;
	vmwrite(ENTRY_INTR_INFO, vector | INTR_TYPE_HW_EXC | INTR_VALID | (has_err ? INTR_ERR : 0));
	if (has_err)
		vmwrite(ENTRY_EXC_ERROR, err);
}

/* CR2 is not in the VMCS: it moves with the vCPU in software. */
static void vmx_set_cr2(struct vcpu *v, uint64_t cr2)
{
	vx(v)->cr2 = cr2;
}

static bool vmx_interruptible(struct vcpu *v)
{
	vmcs_load(vx(v)->vmcs_pa);
	return (v->regs.rflags & RFLAGS_IF) && !(vmread(GUEST_INTERRUPTIBILITY) & 3) &&
	       !(vmread(ENTRY_INTR_INFO) & INTR_VALID);
}

static void vmx_inject_irq(struct vcpu *v, uint8_t vector)
{
	vmcs_load(vx(v)->vmcs_pa);
	vmwrite(ENTRY_INTR_INFO, vector | INTR_TYPE_EXT | INTR_VALID);
}

EXIT_PATH static void vmx_request_irq_window(struct vcpu *v, bool on)
{
	uint64_t p;

	vmcs_load(vx(v)->vmcs_pa);
	p = vmread(PROC_CONTROLS);
	vmwrite(PROC_CONTROLS, on ? p | PROC_INTR_WINDOW : p & ~(uint64_t)PROC_INTR_WINDOW);
}

/* Interruptibility state (SDM Vol. 3C, 25.4.2, Table 25-3): blocking by
 * STI 0, by MOV SS 1, by NMI 3. An NMI goes in only with none of them
 * (26.2.1.5 refuses an NMI under MOV SS or, with virtual NMIs, NMI
 * blocking; STI blocking may hold NMIs back on some CPUs, 26.3.1.5). */
static bool vmx_nmi_allowed(struct vcpu *v)
{
	vmcs_load(vx(v)->vmcs_pa);
	if (!have_vnmi)
		return !vx(v)->soft_nmi_blocked && !(vmread(GUEST_INTERRUPTIBILITY) & 3) &&
		       !(vmread(ENTRY_INTR_INFO) & INTR_VALID);
	return !(vmread(GUEST_INTERRUPTIBILITY) & 0xb) && !(vmread(ENTRY_INTR_INFO) & INTR_VALID);
}

static void vmx_inject_nmi(struct vcpu *v)
{
	vmcs_load(vx(v)->vmcs_pa);
	vmwrite(ENTRY_INTR_INFO, 2 | INTR_TYPE_NMI | INTR_VALID);
	if (!have_vnmi) {
		vx(v)->soft_nmi_blocked = true;
		vx(v)->soft_nmi_tsc = rdtsc();
	}
}

/* Without virtual NMIs nothing tells when the guest's NMI handler
 * returns: with NMI exiting, blocking by NMI lasts as long as the guest
 * runs whatever it does (SDM Vol. 3C, 26.6.1 "Interruptibility State"),
 * and there is no NMI-window exit. Handlers run with interrupts off
 * (the NMI's delivery clears IF) and their IRET turns them back on, so
 * the first exit that finds IF set, outside an interrupt shadow and not
 * re-delivering the NMI, ends the blocking (as mainstream hypervisors
 * do on such CPUs); so does an NMI in the guest for longer than
 * SOFT_NMI_MS, for code that took it with interrupts off. A held NMI
 * then goes in at that exit. */
#define SOFT_NMI_MS 500

static void vmx_soft_nmi_unblock(struct vcpu *v, uint64_t idt)
{
	struct vmx_vcpu *x = vx(v);
	uint64_t is, khz = hv.tsc_khz ? hv.tsc_khz : 1000000;

	if (have_vnmi || !x->soft_nmi_blocked)
		return;
	if ((idt & INTR_VALID) && (idt & (7u << 8)) == INTR_TYPE_NMI)
		return;
	is = vmread(GUEST_INTERRUPTIBILITY);
	if ((!(v->regs.rflags & RFLAGS_IF) || (is & 3)) &&
	    rdtsc() - x->soft_nmi_tsc < SOFT_NMI_MS * khz)
		return;
	x->soft_nmi_blocked = false;
	vmwrite(GUEST_INTERRUPTIBILITY, is & ~0x8ULL);
}

EXIT_PATH static void vmx_request_nmi_window(struct vcpu *v, bool on)
{
	uint64_t p;

	if (!have_vnmi)
		return;
	vmcs_load(vx(v)->vmcs_pa);
	p = vmread(PROC_CONTROLS);
	vmwrite(PROC_CONTROLS, on ? p | PROC_NMI_WINDOW : p & ~(uint64_t)PROC_NMI_WINDOW);
}

static int vmx_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	vmcs_load(vx(v)->vmcs_pa);
	switch (msr) {
	case MSR_EFER:
		*val = vmread(GUEST_EFER);
		return 0;
	case MSR_PAT:
		*val = vmread(GUEST_PAT);
		return 0;
	default:
		return -ENOENT;
	}
}

static void sync_ia32e(struct vmx_vcpu *x)
{
	bool lma = vmread(GUEST_EFER) & (1u << 10);
	uint64_t e;

	/* The "IA-32e mode guest" entry control follows EFER.LMA (24.8.1);
	 * written only when it changes (a VMREAD and a VMWRITE less on
	 * nearly every entry). */
	if (lma == x->ia32e)
		return;
	e = vmread(ENTRY_CONTROLS);
	vmwrite(ENTRY_CONTROLS, lma ? e | ENTRY_IA32E : e & ~(uint64_t)ENTRY_IA32E);
	x->ia32e = lma;
}

static int vmx_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
	vmcs_load(vx(v)->vmcs_pa);
	switch (msr) {
	case MSR_EFER:
		/* LMA is the processor's: keep the current value. */
		vmwrite(GUEST_EFER, (val & ~(1ULL << 10)) | (vmread(GUEST_EFER) & (1ULL << 10)));
		return 0;
	case MSR_PAT:
		vmwrite(GUEST_PAT, val);
		return 0;
	default:
		return -ENOENT;
	}
}

static void vmx_set_tsc_offset(struct vcpu *v, uint64_t offset)
{
	/* "Use TSC offsetting" is always on (SDM Vol. 3C, 25.3). */
	vmcs_load(vx(v)->vmcs_pa);
	vmwrite(TSC_OFFSET, offset);
}

static void vmx_dr_access(struct vcpu *v, unsigned dr, bool write, uint64_t *val)
{
	struct vmx_vcpu *x = vx(v);

	vmcs_load(x->vmcs_pa);
	if (dr == 6 && write)
		x->dr6 = (*val & 0xe00f) | 0xffff0ff0;
	else if (dr == 6)
		*val = x->dr6;
	else if (write)
		vmwrite(GUEST_DR7, (*val & 0xffffffffULL) | 0x400);
	else
		*val = vmread(GUEST_DR7);
}

EXIT_PATH static void vmx_clear_irq_shadow(struct vcpu *v)
{
	vmcs_load(vx(v)->vmcs_pa);
	vmwrite(GUEST_INTERRUPTIBILITY, vmread(GUEST_INTERRUPTIBILITY) & ~3ULL);
}

static const char *const insn_errors[] = {
	[1] = "VMCALL in VMX root operation", [2] = "VMCLEAR with an invalid address",
	[4] = "VMLAUNCH with a non-clear VMCS", [5] = "VMRESUME with a non-launched VMCS",
	[7] = "entry with invalid control fields", [8] = "entry with invalid host-state fields",
	[9] = "VMPTRLD with an invalid address", [11] = "VMPTRLD with a wrong revision id",
	[12] = "VMREAD/VMWRITE of an unsupported field", [13] = "VMWRITE to a read-only field",
	[26] = "entry with events blocked by MOV SS",
};

static void vmx_dump(struct vcpu *v)
{
	vmcs_load(vx(v)->vmcs_pa);
	pr_err("  vmx: exit reason %#llx qual %#llx gpa %#llx idt-vectoring %#llx",
	       (unsigned long long)vmread(EXIT_REASON), (unsigned long long)vmread(EXIT_QUALIFICATION),
	       (unsigned long long)vmread(GUEST_PHYS_ADDR),
	       (unsigned long long)vmread(IDT_VECTORING_INFO));
	pr_err("  vmx: CR0 %#llx (shadow %#llx) CR3 %#llx CR4 %#llx EFER %#llx entry %#llx",
	       (unsigned long long)vmread(GUEST_CR0), (unsigned long long)vmread(CR0_SHADOW),
	       (unsigned long long)vmread(GUEST_CR3), (unsigned long long)vmread(GUEST_CR4),
	       (unsigned long long)vmread(GUEST_EFER), (unsigned long long)vmread(ENTRY_CONTROLS));
	pr_err("  vmx: CS %04llx base %#llx ar %#llx  SS ar %#llx  TR ar %#llx  IDTR %#llx/%#llx",
	       (unsigned long long)vmread(GUEST_ES_SEL + 2), (unsigned long long)vmread(GUEST_ES_BASE + 2),
	       (unsigned long long)vmread(GUEST_ES_AR + 2), (unsigned long long)vmread(GUEST_ES_AR + 4),
	       (unsigned long long)vmread(GUEST_ES_AR + 14), (unsigned long long)vmread(GUEST_IDTR_BASE),
	       (unsigned long long)vmread(GUEST_IDTR_LIMIT));
	/* What the CPU walked with: the EPT root (against the partition's)
	 * and the VPID. */
	pr_err("  vmx: CR2 %#llx EPTP %#llx (%s) VPID %llu",
	       (unsigned long long)vx(v)->cr2, (unsigned long long)vmread(EPT_POINTER),
	       vmread(EPT_POINTER) == eptp(v) ? "the partition's" : "NOT the partition's",
	       (unsigned long long)vmread(VMCS_VPID));
}

/* Names the first guest-state rule of SDM 26.3.1 that the VMCS breaks,
 * for a readable "invalid guest state" message. */
static const char *guest_state_problem(void)
{
	uint64_t cr0 = vmread(GUEST_CR0), cr4 = vmread(GUEST_CR4);
	uint64_t fixed0 = cr0_fixed0 & ~(have_unrestricted ? (CR0_PE | CR0_PG) : 0);
	uint32_t cs_ar = (uint32_t)vmread(GUEST_ES_AR + 2), tr_ar = (uint32_t)vmread(GUEST_ES_AR + 14);

	if ((cr0 & fixed0) != fixed0 || (cr0 & ~cr0_fixed1))
		return "guest CR0 violates the VMX fixed bits (26.3.1.1)";
	if ((cr4 & cr4_fixed0) != cr4_fixed0 || (cr4 & ~cr4_fixed1))
		return "guest CR4 violates the VMX fixed bits (26.3.1.1)";
	if (!(vmread(GUEST_RFLAGS) & 2))
		return "guest RFLAGS bit 1 is clear (26.3.1.4)";
	if (!(cs_ar & 0x80))
		return "guest CS is not present (26.3.1.2)";
	if ((tr_ar & 0xf) != 11 && (tr_ar & 0xf) != 3)
		return "guest TR is not a busy TSS (26.3.1.2)";
	if (vmread(VMCS_LINK_POINTER) != ~0ULL)
		return "VMCS link pointer is not all ones (26.3.1.5)";
	if ((vmread(ENTRY_CONTROLS) & ENTRY_IA32E) && !(cr0 & CR0_PG))
		return "IA-32e mode guest without paging (26.3.1.1)";
	return "a guest-state check the hypervisor does not pre-check (SDM 26.3.1)";
}

/* MOV to CR0/CR4 touching a masked bit, and CR8 (25.1.3, 27.2.1 Table 27-3). */
static void cr_access(struct vcpu *v, uint64_t q, struct vm_exit *e)
{
	unsigned cr = q & 15, type = (q >> 4) & 3, gpr = (q >> 8) & 15;
	uint64_t val = v->regs.gpr[gpr];

	e->reason = EXIT_NONE;
	if (type == 0 && (cr == 0 || cr == 4)) {
		/* The guest's view: the read shadows hold the masked bits. */
		uint64_t m0 = vmread(CR0_MASK), m4 = vmread(CR4_MASK), out, efer;
		struct cr_state st;
		struct cr_allowed a;
		struct guest_ctl c;
		int r;

		vmx_get_ctl(v, &c);
		if (c.mode != MODE_LONG64)
			val = (uint32_t)val;
		crwrite_state(v, &c, &st, &a);
		st.cr0 = (st.cr0 & ~m0) | (vmread(CR0_SHADOW) & m0);
		st.cr4 = (st.cr4 & ~m4) | (vmread(CR4_SHADOW) & m4);
		st.cs_l = vmread(GUEST_ES_AR + 2) & (1u << 13);
		efer = st.efer;
		r = cr == 0 ? crvalid_cr0(&st, val, &out, &efer) : crvalid_cr4(&st, &a, val, &out);
		if (r || (cr == 4 && ((out | cr4_fixed0 | CR4_VMXE) & ~cr4_fixed1))) {
			vmx_inject_exception(v, 13, true, 0);
			return;
		}
		if (cr == 0) {
			vmwrite(CR0_SHADOW, out);
			vmwrite(GUEST_CR0, guest_cr0(out));
			vmwrite(GUEST_EFER, efer);   /* LMA follows PG with LME */
		} else {
			vmwrite(CR4_SHADOW, out);
			vmwrite(GUEST_CR4, out | cr4_fixed0 | CR4_VMXE);
		}
		/* MOV to CR0/CR4 flushes what the change of paging controls
		 * makes stale (SDM Vol. 3A, 4.10.4.1); an emulated one does
		 * it for the guest's VPID. */
		if (have_vpid && ((cr == 0 && ((st.cr0 ^ out) & (CR0_PG | CR0_WP | CR0_PE))) ||
				  (cr == 4 && st.cr4 != out)))
			invvpid_all();
	} else if (cr == 8 && type == 0) {
		e->cr8_set = true;
		e->cr8 = (uint8_t)(val & 15);
	} else if (cr == 8 && type == 1) {
		v->regs.gpr[gpr] = vcpu_cr8(v);
	} else {
		e->reason = EXIT_UNKNOWN;
		e->fail.info1 = q;
		return;
	}
	v->regs.rip += vmread(EXIT_INSN_LEN);
}

/* An exception or NMI exit (27.2.2): host NMIs are the host's; #DB and
 * #AC are reflected. A #DB exit leaves DR6 alone and gives its new bits
 * in the qualification (27.1, Table 27-1): B0-B3, BD, BS go into the
 * guest's DR6 as the CPU would put them there, clearing B0-B3 first
 * (SDM Vol. 3B, 17.2.3). ICEBP (INT1) is a privileged software exception
 * delivered after the instruction, with DR6 unchanged. */
static void vmx_exception(struct vcpu *v, struct vm_exit *e, uint64_t q)
{
	uint32_t info = (uint32_t)vmread(EXIT_INTR_INFO), type = (info >> 8) & 7;

	if (type == 2) {
		e->reason = EXIT_INTR;
		return;
	}
	/* An IRET that unblocked NMIs and then faulted: the NMI handler has
	 * not returned, so virtual-NMI blocking is set again before the
	 * exception goes into the guest (bit 12 of the exit interruption
	 * information, undefined for #DF; SDM Vol. 3C, "Information for VM
	 * Exits Due to Vectored Events" and "Reflecting Exceptions to Guest
	 * Software"). */
	if (have_vnmi && (info & (1u << 12)) && (uint8_t)info != 8 &&
	    !(vmread(IDT_VECTORING_INFO) & INTR_VALID))
		vmwrite(GUEST_INTERRUPTIBILITY, vmread(GUEST_INTERRUPTIBILITY) | 0x8);
	e->reason = EXIT_EXCEPTION;
	e->exc.vector = (uint8_t)info;
	e->exc.has_err = info & INTR_ERR;
	if (e->exc.has_err)
		e->exc.err = (uint32_t)vmread(EXIT_INTR_ERROR);
	if (type == 5)
		e->exc.trap_insn = true;
	else if (e->exc.vector == 1)
		vx(v)->dr6 = (vx(v)->dr6 & ~0xfULL) | (q & 0x600f) | 0xffff0ff0;
}

static void translate(struct vcpu *v, struct vm_exit *e, uint32_t reason)
{
	uint64_t q;

	e->vendor_code = reason;
	e->inst_len = (uint8_t)vmread(EXIT_INSN_LEN);
	e->shadow = vmread(GUEST_INTERRUPTIBILITY) & 3;
	/* The commonest exits first: CPUID and the hypercall have no exit
	 * qualification to read, and the switch's jump table would be one
	 * more page and one more indirect branch for each of them (port I/O
	 * comes before it too, once the qualification is read). */
	if ((reason & 0xffff) == VMX_EXIT_CPUID) {
		e->reason = EXIT_CPUID;
		return;
	}
	if ((reason & 0xffff) == VMX_EXIT_VMCALL) {
		e->reason = EXIT_HYPERCALL;
		return;
	}
	q = vmread(EXIT_QUALIFICATION);
	if (reason & VMX_EXIT_ENTRY_FAIL) {
		e->reason = EXIT_ENTRY_FAILED;
		e->inst_len = 0;
		switch (reason & 0xffff) {
		case VMX_EXIT_BAD_GUEST:
			e->fail.what = guest_state_problem();
			break;
		case VMX_EXIT_BAD_MSR_LOAD:
			e->fail.what = "MSR loading failed (26.4)";
			break;
		default:
			e->fail.what = "machine check during VM entry";
		}
		return;
	}
	if ((reason & 0xffff) == VMX_EXIT_IO) {
		/* Qualification (Table 27-5); for INS/OUTS the instruction-
		 * information field has the address size and segment (27.2.5). */
		uint64_t info = vmread(EXIT_INSN_INFO);
		e->reason = EXIT_IO;
		e->io.size = (q & 7) + 1;
		e->io.in = q & 8;
		e->io.string = q & 16;
		e->io.rep = q & 32;
		e->io.port = (uint16_t)(q >> 16);
		e->io.addr_size = 2 << ((info >> 7) & 7);
		e->io.seg = (info >> 15) & 7;
		return;
	}
	switch (reason & 0xffff) {
	case VMX_EXIT_RDMSR:
	case VMX_EXIT_WRMSR:
		e->reason = (reason & 0xffff) == VMX_EXIT_RDMSR ? EXIT_MSR_READ : EXIT_MSR_WRITE;
		e->msr.index = (uint32_t)v->regs.gpr[REG_RCX];
		break;
	case VMX_EXIT_EPT_VIOLATION:
		/* An IRET that unblocked NMIs and then faulted on EPT blocks
		 * them again when it is restarted (qualification bit 12;
		 * SDM Vol. 3C, 28.2.3). */
		if (have_vnmi && (q & (1ULL << 12)) && !(vmread(IDT_VECTORING_INFO) & INTR_VALID))
			vmwrite(GUEST_INTERRUPTIBILITY, vmread(GUEST_INTERRUPTIBILITY) | 0x8);
		e->reason = EXIT_MMIO;
		e->mmio.gpa = vmread(GUEST_PHYS_ADDR);
		e->mmio.write = q & 2;
		e->mmio.fetch = q & 4;
		/* Bit 7: a linear address was being translated; bit 8 clear
		 * with it: the access was to a paging-structure entry, not
		 * the translation's final address (SDM Vol. 3C, 28.2.1,
		 * Table 28-7). */
		e->mmio.walk = (q & (1u << 7)) && !(q & (1u << 8));
		e->inst_len = 0;
		break;
	case VMX_EXIT_HLT:
		e->reason = EXIT_HLT;
		break;
	case VMX_EXIT_RDPMC:
		e->reason = EXIT_RDPMC;
		break;
	case VMX_EXIT_RDTSCP:
		e->reason = EXIT_RDTSCP;
		break;
	case VMX_EXIT_INVD:
	case VMX_EXIT_WBINVD:
		e->reason = EXIT_CACHE;
		break;
	case VMX_EXIT_DR_ACCESS:
		e->reason = EXIT_DR_ACCESS;
		e->dr.dr = q & 7;
		e->dr.write = !(q & 16);
		break;
	case VMX_EXIT_CR_ACCESS:
		cr_access(v, q, e);
		break;
	case VMX_EXIT_TRIPLE_FAULT:
		e->reason = EXIT_TRIPLE_FAULT;
		break;
	case VMX_EXIT_EXCEPTION:
		vmx_exception(v, e, q);
		break;
	case VMX_EXIT_EXT_INTR:
	case VMX_EXIT_INIT:
	case VMX_EXIT_SIPI:
	case VMX_EXIT_PREEMPT_TIMER:
		e->reason = EXIT_INTR;
		break;
	case VMX_EXIT_INTR_WINDOW:
		e->reason = EXIT_IRQ_WINDOW;
		break;
	case VMX_EXIT_NMI_WINDOW:
		e->reason = EXIT_NMI_WINDOW;
		break;
	case VMX_EXIT_GETSEC: case VMX_EXIT_MWAIT: case VMX_EXIT_MONITOR:
	case VMX_EXIT_INVEPT: case VMX_EXIT_INVVPID:
	case VMX_EXIT_INVPCID: case VMX_EXIT_VMFUNC: case VMX_EXIT_RDRAND:
		e->reason = EXIT_UD;
		break;
	case VMX_EXIT_XSETBV:
		e->reason = EXIT_XSETBV;
		break;
	default:
		if ((reason & 0xffff) >= VMX_EXIT_VMCLEAR && (reason & 0xffff) <= VMX_EXIT_VMXON) {
			e->reason = EXIT_UD;     /* VMX is not offered to guests */
			break;
		}
		e->reason = EXIT_UNKNOWN;
		e->fail.info1 = q;
		e->fail.info2 = vmread(GUEST_PHYS_ADDR);
	}
}

/* The VPID to run with. Changed EPT mappings are not a VPID matter:
 * guest-physical mappings are tagged by the EPTP, not the VPID, and go
 * with INVEPT (Intel SDM Vol. 3C, 29.4.3.1), so the decision is asked
 * only about reassignment and generations. Without VPID every VM entry
 * and exit flushes the linear mappings of VPID 0 anyway (same section). */
static void vmx_tlb(struct vcpu *v, struct cpu *c)
{
	struct tlbtag_decision d;

	/* The common exit: the VMCS still holds this CPU's VPID for v. */
	if (tlbtag_current(&c->tags, &v->tag, (int)c->id) && vx(v)->vpid_cpu == (int)c->id)
		return;
	d = tlbtag_decide(&c->tags, &v->tag, (int)c->id, false, true);
	c->tags = d.cpu;
	v->tag = d.vcpu;
	vx(v)->vpid_cpu = (int)c->id;
	if (!have_vpid)
		return;
	if (d.flush == TLBTAG_FLUSH_ALL)
		invvpid_all();
	vmwrite(VMCS_VPID, d.tag);
	if (d.rollover && tlbtag_log_rollover(d.cpu.gen))
		pr_info("vmx: CPU %u: VPIDs rolled over, generation %llu",
			c->id, (unsigned long long)d.cpu.gen);
}

EXIT_PATH static void vmx_vcpu_run(struct vcpu *v, struct vm_exit *e)
{
	struct vmx_vcpu *x = vx(v);
	uint64_t idt;
	int r;

	struct cpu *c = this_cpu();

	if (c->msrs_loaded != v) {
		if (c->msrs_loaded)
			for (int i = 0; i < 5; i++)
				vx(c->msrs_loaded)->syscall_msrs[i] = rdmsr(syscall_msr[i]);
		for (int i = 0; i < 5; i++)
			wrmsr(syscall_msr[i], x->syscall_msrs[i]);
		c->msrs_loaded = v;
	}
	vmcs_load(x->vmcs_pa);
	if (x->host_cpu != (int)c->id) {
		host_state();      /* this CPU's GS, TSS and GDT */
		x->host_cpu = (int)c->id;
	}
again:
	vmwrite(GUEST_RSP, v->regs.gpr[REG_RSP]);
	vmwrite(GUEST_RIP, v->regs.rip);
	vmwrite(GUEST_RFLAGS, v->regs.rflags);
	sync_ia32e(x);
	vmx_tlb(v, c);
	if (x->flush) {
		invept(invept_single ? 1 : 2, eptp(v));
		x->flush = false;
	}
	if (have_preempt) {
		uint64_t now = rdtsc(), left = v->slice_end > now ? v->slice_end - now : 0;
		left >>= preempt_shift;
		vmwrite(PREEMPT_TIMER_VALUE, left > 0xffffffff ? 0xffffffff : left);
	}

	if (read_cr2() != x->cr2)
		write_cr2(x->cr2);
	r = vmx_enter(&v->regs, x->launched);
	x->cr2 = read_cr2();
	if (r) {
		uint64_t err = vmread(VM_INSN_ERROR);
		e->reason = EXIT_ENTRY_FAILED;
		e->fail.what = err < sizeof(insn_errors) / sizeof(insn_errors[0]) && insn_errors[err] ?
			insn_errors[err] : "VM entry instruction failed";
		return;
	}
	x->launched = true;
	v->regs.gpr[REG_RSP] = vmread(GUEST_RSP);
	v->regs.rip = vmread(GUEST_RIP);
	v->regs.rflags = vmread(GUEST_RFLAGS);
	vmwrite(ENTRY_INTR_INFO, 0);
	/* An event whose delivery the exit interrupted goes in again (27.2.4). */
	idt = vmread(IDT_VECTORING_INFO);
	if (idt & INTR_VALID) {
		vmwrite(ENTRY_INTR_INFO, idt & ~(1ULL << 12));
		if (idt & INTR_ERR)
			vmwrite(ENTRY_EXC_ERROR, vmread(IDT_VECTORING_ERROR));
		vmwrite(ENTRY_INSN_LEN, vmread(EXIT_INSN_LEN));
		/* An NMI going in again is not yet being handled: with
		 * virtual NMIs the entry would fail with blocking by NMI set
		 * (SDM Vol. 3C, 26.3.1.5). */
		if (have_vnmi && (idt & (7u << 8)) == INTR_TYPE_NMI)
			vmwrite(GUEST_INTERRUPTIBILITY, vmread(GUEST_INTERRUPTIBILITY) & ~0x8ULL);
		e->event = true;
		e->event_vector = (uint8_t)idt;
		e->event_type = (idt >> 8) & 7;
	}
	vmx_soft_nmi_unblock(v, idt);
	translate(v, e, (uint32_t)vmread(EXIT_REASON));
	if (vcpu_exit_fast(v, e)) {
		*e = (struct vm_exit){ 0 };
		goto again;
	}
}

static const char *vmx_refuse_reason(void)
{
	return refuse_reason;
}


/* The nested tables lost a mapping: flush at the next entry. */
static void vmx_gpt_changed(struct vcpu *v)
{
	vx(v)->flush = true;
}

EXIT_RODATA const struct vmm_ops vmx_ops = {
	.name = "VT-x",
	.cpu_enable = vmx_cpu_enable,
	.gpt_format = &pt_ept,
	.gpt_leaf_levels = vmx_gpt_leaf_levels,
	.part_create = vmx_part_create,
	.part_map_kib = VMX_MAP_PAGES * 4,
	.part_destroy = vmx_part_destroy,
	.part_io = vmx_part_io,
	.part_msr = vmx_part_msr,
	.vcpu_create = vmx_vcpu_create,
	.vcpu_destroy = vmx_vcpu_destroy,
	.vcpu_reset = vmx_vcpu_reset,
	.vcpu_run = vmx_vcpu_run,
	.vcpu_put = vmx_vcpu_put,
	.gpt_changed = vmx_gpt_changed,
	.get_ctl = vmx_get_ctl,
	.seg_base = vmx_seg_base,
	.inject_exception = vmx_inject_exception,
	.set_cr2 = vmx_set_cr2,
	.interruptible = vmx_interruptible,
	.nmi_allowed = vmx_nmi_allowed,
	.inject_nmi = vmx_inject_nmi,
	.request_nmi_window = vmx_request_nmi_window,
	.inject_irq = vmx_inject_irq,
	.request_irq_window = vmx_request_irq_window,
	.msr_read = vmx_msr_read,
	.msr_write = vmx_msr_write,
	.set_tsc_offset = vmx_set_tsc_offset,
	.dr_access = vmx_dr_access,
	.clear_irq_shadow = vmx_clear_irq_shadow,
	.dump = vmx_dump,
	.refuse_reason = vmx_refuse_reason,
};
