/* The partition's PC: devices, their wiring and their timers. Device
 * models are pure (vmm/dev/); this file connects them to a partition:
 * guest time from the TSC, ISA IRQs to both the PIC pair and the IOAPIC
 * (IRQ0 on GSI 2, as the generated MADT says), IOAPIC messages and IPIs
 * to the local APICs, EOIs back to the IOAPIC, and INIT/SIPI to vCPUs. */
#include "vmm/platform.h"
#include "vmm/partition.h"
#include "vmm/vmm_ops.h"
#include "vmm/sched.h"
#include "vmm/loader/loader.h"
#include "vmm/dev/acpigen.h"
#include "vmm/dev/msi.h"
#include "include/vatra/hv.h"
#include "arch/x86/cpu.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/errno.h"
#include "include/vatra/hotpath.h"

#define LAPIC_BUS_KHZ 100000     /* the guest LAPIC timer's input clock */

static int plat_register(struct partition *p);

static struct partition *part_of(void *ctx)
{
	return ctx;
}

/* ns since the partition started, from the TSC, without 128-bit math. */
uint64_t platform_now(struct partition *p)
{
	uint64_t d = rdtsc() - p->start_tsc, khz = hv.tsc_khz ? hv.tsc_khz : 1000000;

	return d / khz * 1000000 + d % khz * 1000000 / khz;
}

static uint64_t ns_to_tsc(struct partition *p, uint64_t ns)
{
	uint64_t khz = hv.tsc_khz ? hv.tsc_khz : 1000000;

	return p->start_tsc + ns / 1000000 * khz + ns % 1000000 * khz / 1000000;
}

static uint64_t env_now(void *ctx)
{
	return platform_now(part_of(ctx));
}

/* ISA IRQ n reaches PIC input n and IOAPIC input n, except IRQ0, which
 * the MADT overrides to GSI 2 (the cascade pin is not an IOAPIC input). */
static void env_irq(void *ctx, unsigned line, bool level)
{
	struct platform *pl = &part_of(ctx)->plat;

	pl->dirty = true;
	if (line < 16)
		vpic_set_irq(&pl->pic, line, level);
	if (line == 2)
		return;
	vioapic_set_irq(&pl->ioapic, line == 0 ? 2 : line, level);
}

static void deliver(struct partition *p, struct vcpu *from, uint32_t dest, bool logical,
		    uint8_t shorthand, uint8_t mode, uint8_t vector, bool level);

/* A device's DMA reaches the partition's RAM and nothing else. */
static int env_mem_read(void *ctx, uint64_t gpa, void *buf, uint64_t len)
{
	const void *src = gpa_ptr(part_of(ctx), gpa, len);

	if (!src)
		return -EFAULT;
	memcpy(buf, src, len);
	return 0;
}

static int env_mem_write(void *ctx, uint64_t gpa, const void *buf, uint64_t len)
{
	void *dst = gpa_ptr(part_of(ctx), gpa, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, buf, len);
	return 0;
}

/* An MSI is a write to the local APICs' message window (SDM Vol. 3A,
 * 11.11): delivered as the IOAPIC delivers its messages. */
static int env_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct msi_msg m;
	int r = msi_decode(addr, data, &m);

	if (r)
		return r;
	part_of(ctx)->plat.dirty = true;
	deliver(part_of(ctx), NULL, m.dest, m.logical, VLAPIC_SH_NONE, m.mode, m.vector,
		m.level && m.assert);
	return 0;
}

static void ioapic_deliver(void *ctx, uint32_t dest, bool logical, uint8_t mode,
			   uint8_t vector, bool level)
{
	deliver(part_of(ctx), NULL, dest, logical, VLAPIC_SH_NONE, mode, vector, level);
}

/* The LAPIC's IPIs and EOI broadcasts reach other vCPUs and the IOAPIC,
 * under the partition's lock; the LAPIC model calls these with the
 * vCPU's LAPIC lock held, so they are noted here and carried out by
 * lapic_flush once that lock is dropped (before the guest runs again:
 * one register write makes at most one of each). */
static void lapic_ipi(void *ctx, uint32_t dest, bool logical, uint8_t shorthand,
		      uint8_t mode, uint8_t vector, bool level_assert)
{
	struct vcpu *v = ctx;

	/* The INIT level de-assert (SDM Vol. 3A, 11.6.1) does nothing. */
	if (mode == VLAPIC_DM_INIT && !level_assert)
		return;
	v->lapic_out.ipi = true;
	v->lapic_out.dest = dest;
	v->lapic_out.logical = logical;
	v->lapic_out.shorthand = shorthand;
	v->lapic_out.mode = mode;
	v->lapic_out.vector = vector;
}

static void lapic_eoi(void *ctx, uint8_t vector)
{
	struct vcpu *v = ctx;

	v->lapic_out.eoi = true;
	v->lapic_out.eoi_vector = vector;
}

/* After an access to v's own LAPIC, with its LAPIC lock dropped: what it
 * sent, under the partition's lock (taken here for an exit handled
 * without it). */
static void lapic_flush(struct vcpu *v)
{
	struct lapic_out o = v->lapic_out;
	struct partition *p = v->part;

	if (!o.ipi && !o.eoi)
		return;
	v->lapic_out = (struct lapic_out){ 0 };
	if (v->unlocked_exit)
		part_lock(p);
	if (o.eoi)
		vioapic_eoi(&p->plat.ioapic, o.eoi_vector);
	if (o.ipi)
		deliver(p, v, o.dest, o.logical, o.shorthand, o.mode, o.vector, false);
	p->plat.dirty = true;
	if (v->unlocked_exit)
		part_unlock(p);
}

/* INIT parks a vCPU until a startup IPI; the startup IPI starts it in
 * real mode at vector << 12 (SDM Vol. 3A, 9.4.4). The boot vCPU is
 * parked the same way. When that leaves no vCPU running that could ever
 * send the startup IPI, the partition is stopped, saying why. */
static void init_vcpu(struct vcpu *t)
{
	struct partition *p = t->part;
	unsigned i;

	spin_lock(&t->lapic_lock);
	vlapic_init_reset(&t->lapic);
	spin_unlock(&t->lapic_lock);
	t->pending_irq = -1;
	t->nmi_pending = false;
	t->sipi_vector = -1;
	t->state = VCPU_WAIT_SIPI;
	pr_info("partition %s: vCPU %u: INIT: waiting for a startup IPI", part_name(p), t->id);
	for (i = 0; i < p->nvcpus; i++)
		if (p->vcpus[i].state != VCPU_WAIT_SIPI && p->vcpus[i].state != VCPU_STOPPED)
			return;
	part_stop(p, -1, "stopped: INIT left every vCPU waiting for a startup IPI, "
		  "and no vCPU is left to send one");
}

/* The vCPU's own CPU puts it in that state (vmm/sched.c), since only
 * that CPU may touch its vendor state. */
static void sipi_vcpu(struct vcpu *t, uint8_t vector)
{
	if (t->state != VCPU_WAIT_SIPI)
		return;
	t->sipi_vector = vector;
}

static void deliver(struct partition *p, struct vcpu *from, uint32_t dest, bool logical,
		    uint8_t shorthand, uint8_t mode, uint8_t vector, bool level)
{
	for (unsigned i = 0; i < p->nvcpus; i++) {
		struct vcpu *t = &p->vcpus[i];
		bool hit;

		switch (shorthand) {
		case VLAPIC_SH_SELF: hit = t == from; break;
		case VLAPIC_SH_ALL: hit = true; break;
		case VLAPIC_SH_OTHERS: hit = t != from; break;
		default:
			spin_lock(&t->lapic_lock);
			hit = vlapic_match_dest(&t->lapic, dest, logical);
			spin_unlock(&t->lapic_lock);
		}
		if (!hit)
			continue;
		switch (mode) {
		case VLAPIC_DM_FIXED:
		case VLAPIC_DM_LOWEST:
			spin_lock(&t->lapic_lock);
			vlapic_set_irq(&t->lapic, vector, level);
			spin_unlock(&t->lapic_lock);
			if (mode == VLAPIC_DM_LOWEST) {
				vcpu_kick(t);
				return;   /* one receiver: the first that matches */
			}
			break;
		case VLAPIC_DM_NMI:
			/* The self shorthand is for fixed interrupts only (SDM
			 * Vol. 3A, 11.6.1, Table 11-3/11-4); by destination, or
			 * to all including self, an NMI reaches the sender too. */
			if (shorthand == VLAPIC_SH_SELF) {
				pr_debug("partition %s: NMI with the self shorthand ignored", part_name(p));
				return;
			}
			t->nmi_pending = true;
			break;
		case VLAPIC_DM_INIT:
			init_vcpu(t);
			break;
		case VLAPIC_DM_STARTUP:
			sipi_vcpu(t, vector);
			break;
		default:
			pr_debug("partition %s: IPI delivery mode %u not modelled", part_name(p), mode);
			continue;
		}
		if (t != from)
			vcpu_kick(t);
	}
}

bool platform_has_ecam(const struct partition *p)
{
	return p->ram_size <= PLAT_ECAM_GPA;
}

/* The NMI button of a PC: a pulse on every local APIC's LINT1, where the
 * generated MADT says NMI arrives (its Local APIC NMI entry). Each LAPIC
 * takes it as its LINT1 entry says. Lock held. */
unsigned platform_nmi_button(struct partition *p)
{
	unsigned n = 0;

	for (unsigned i = 0; i < p->nvcpus; i++) {
		struct vcpu *t = &p->vcpus[i];
		int mode;

		spin_lock(&t->lapic_lock);
		mode = vlapic_lint(&t->lapic, 1);
		spin_unlock(&t->lapic_lock);
		if (mode == VLAPIC_DM_NMI) {
			t->nmi_pending = true;
			n++;
		} else if (mode == VLAPIC_DM_FIXED) {
			n++;
		}
		if (mode >= 0)
			vcpu_kick(t);
	}
	return n;
}

bool platform_nmi_wired(struct vcpu *v)
{
	bool lint;

	spin_lock(&v->lapic_lock);
	lint = vlapic_lint_nmi(&v->lapic);
	spin_unlock(&v->lapic_lock);
	return lint || vioapic_nmi_armed(&v->part->plat.ioapic);
}

int platform_acpi_build(struct partition *p)
{
	struct platform *pl = &p->plat;
	struct acpigen_cfg ac = {
		.ncpus = p->cfg.vcpus, .lapic_addr = (uint32_t)PLAT_LAPIC_GPA,
		.ioapic_id = 0, .ioapic_addr = (uint32_t)PLAT_IOAPIC_GPA, .sci_irq = 9,
		.pm1a_evt = VPM_PM1A_EVT, .pm1a_cnt = VPM_PM1A_CNT, .pm_tmr = VPM_PM_TMR,
		.slp_typ_s5 = VPM_SLP_TYP_S5, .reset_port = VPM_RESET_PORT,
		.reset_value = VPM_RESET_VALUE, .oem_id = "VATRA ",
		.pci_mem_base = (uint32_t)PLAT_PCI_HOLE_GPA,
		.pci_mem_end = (uint32_t)PLAT_IOAPIC_GPA - 1,
	};
	uint8_t *tables;
	int r;

	/* The guest's PM timer is the machine's, read without exits (see
	 * vmm_init). */
	if (hv.pm_tmr_passthrough)
		ac.pm_tmr = hv.pm_tmr_passthrough;
	/* The ECAM window sits below the PCI hole; a partition whose RAM
	 * reaches it has none (and no MCFG): CF8/CFC still works. */
	if (platform_has_ecam(p)) {
		ac.mcfg_base = PLAT_ECAM_GPA;
		ac.mcfg_bus_end = (uint8_t)(PLAT_ECAM_SIZE / (1u << 20) - 1);
	}
	ac.nprt = pl->nprt;
	memcpy(ac.prt, pl->prt, sizeof(ac.prt));
	pl->rsdp = 0;
	tables = gpa_ptr(p, PLAT_ACPI_GPA, PLAT_ACPI_SIZE);
	if (!tables)
		return 0;   /* too little RAM for the BIOS area: no tables */
	r = acpigen_build(&ac, tables, PLAT_ACPI_GPA, PLAT_ACPI_SIZE, &pl->rsdp);
	if (r)
		pr_err("partition %s: cannot build ACPI tables (%s)", part_name(p), err_name(r));
	return r;
}

static uint32_t pmtmr_hw_read(void *ctx)
{
	(void)ctx;
	return inl(hv.pm_tmr_passthrough);
}

int platform_init(struct partition *p)
{
	struct platform *pl = &p->plat;
	int r;

	pl->env = (struct dev_env){ env_now, env_irq, env_mem_read, env_mem_write, env_msi, p };
	vpic_init(&pl->pic, &pl->env);
	vpit_init(&pl->pit, &pl->env);
	vrtc_init(&pl->rtc, &pl->env, hv.boot_epoch && hv.tsc_khz ?
		  hv.boot_epoch + (p->start_tsc - hv.boot_tsc) / (hv.tsc_khz * 1000) : 0,
		  p->ram_size);
	vpm_init(&pl->pm, &pl->env, 9, false);
	if (hv.pm_tmr_passthrough) {
		/* Guests read the machine's counter: the virtual one starts
		 * where it is, and TMR_STS follows it. */
		uint32_t hw = pmtmr_hw_read(NULL), now_ticks;

		now_ticks = vpmtimer_read(&pl->pm.tmr, platform_now(p));
		pl->pm.tmr.base = (hw - now_ticks) & 0xffffff;
		vpm_follow_hw(&pl->pm, pmtmr_hw_read, NULL);
	}
	vpci_init(&pl->pci, &pl->reg);
	vioapic_init(&pl->ioapic, 0, ioapic_deliver, p);
	r = plat_register(p);
	if (r) {
		pr_err("partition %s: cannot register its devices (%s)", part_name(p), err_name(r));
		return r;
	}
	r = virtio_part_init(p);
	if (r)
		return r;
	pl->nprt = 0;
	return platform_acpi_build(p);
}

void platform_vcpu_init(struct vcpu *v)
{
	struct vlapic_ops ops = { lapic_ipi, lapic_eoi, v };

	/* With the TSC frequency known, the TSC-deadline timer is offered: the
	 * guest's TSC starts with the partition, like the model's clock. */
	v->lapic_lock = (struct spinlock){ 0 };
	v->lapic_out = (struct lapic_out){ 0 };
	v->lapic_due = 0;
	v->lapic_touched = true;
	vlapic_init(&v->lapic, &v->part->plat.env, &ops, v->id, v->id == 0, hv.tsc_khz,
		    LAPIC_BUS_KHZ);
}

/* A vCPU's LAPIC timer is its own CPU's to run, not one of the
 * partition's device timers: no other CPU touches it, so that timer
 * writes need no partition lock. */
EXIT_PATH uint64_t platform_lapic_poll(struct vcpu *v)
{
	uint64_t now, next;

	spin_lock(&v->lapic_lock);
	now = platform_now(v->part);
	vlapic_update(&v->lapic, now);
	next = vlapic_next_deadline(&v->lapic, now);
	spin_unlock(&v->lapic_lock);
	v->lapic_touched = false;
	v->lapic_due = next == DEV_NO_DEADLINE ? 0 : ns_to_tsc(v->part, next);
	return v->lapic_due;
}

void platform_kick(struct partition *p)
{
	if (p->nvcpus)
		platform_kick_vcpu(&p->vcpus[0]);
}

void platform_kick_vcpu(struct vcpu *v)
{
	/* Not dirty: platform_update clears that after the ticks, so a
	 * mark left while they run would be lost with it. */
	__atomic_store_n(&v->part->plat.kicked, true, __ATOMIC_SEQ_CST);
	vcpu_kick(v);
}

uint64_t platform_update(struct partition *p)
{
	struct platform *pl = &p->plat;
	uint64_t next;

	/* Cleared before the ticks run: a kick during them is seen next time. */
	__atomic_store_n(&pl->kicked, false, __ATOMIC_SEQ_CST);
	next = devreg_tick(&pl->reg, platform_now(p));

	pl->dirty = false;
	pl->next_tsc = next == DEV_NO_DEADLINE ? 0 : ns_to_tsc(p, next);
	return pl->next_tsc;
}

EXIT_PATH uint64_t platform_poll(struct partition *p)
{
	struct platform *pl = &p->plat;

	if (pl->dirty || pl->kicked || (pl->next_tsc && rdtsc() >= pl->next_tsc))
		return platform_update(p);
	return pl->next_tsc;
}

/* The PIC reaches the boot vCPU through LINT0 in ExtINT mode, or directly
 * while the LAPIC is globally off (virtual wire, MP spec 3.6.2.2). */
static bool pic_wired(struct vcpu *v)
{
	uint32_t lint0 = v->lapic.lvt[VLAPIC_LVT_LINT0];

	if (v->id != 0)
		return false;
	if (!(v->lapic.apic_base & VLAPIC_BASE_EN))
		return true;
	return !(lint0 & (1u << 16)) && ((lint0 >> 8) & 7) == VLAPIC_DM_EXTINT;
}

EXIT_PATH int platform_pending(struct vcpu *v)
{
	int vec;
	bool wired;

	spin_lock(&v->lapic_lock);
	vec = vlapic_pending(&v->lapic);
	wired = pic_wired(v);
	spin_unlock(&v->lapic_lock);
	if (vec >= 0)
		return vec;
	if (wired && vpic_has_output(&v->part->plat.pic))
		return vpic_pending(&v->part->plat.pic);
	return -1;
}

EXIT_PATH bool platform_lapic_quiet(struct vcpu *v)
{
	bool quiet;

	spin_lock(&v->lapic_lock);
	quiet = vlapic_pending(&v->lapic) < 0 && !pic_wired(v);
	spin_unlock(&v->lapic_lock);
	return quiet;
}

void platform_accept(struct vcpu *v, int vector)
{
	bool lapic;

	spin_lock(&v->lapic_lock);
	lapic = vlapic_pending(&v->lapic) == vector;
	if (lapic)
		vlapic_accept(&v->lapic, (uint8_t)vector);
	spin_unlock(&v->lapic_lock);
	/* The timer that raised it asks for no exit while its vector waits
	 * in IRR: once accepted, its deadline comes back (vlapic.c). */
	v->lapic_touched = true;
	if (!lapic) {
		vpic_ack(&v->part->plat.pic);
		v->part->plat.dirty = true;   /* a PIT edge held behind it */
	}
}

static void act(struct vcpu *v, enum vpm_action a)
{
	if (a == VPM_POWEROFF)
		part_stop(v->part, 0, "powered off by the guest (ACPI S5)");
	else if (a == VPM_RESET)
		part_reset(v->part);
}

/* ---- port I/O: the handlers each device registers ---- */

static int pio_pm(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size,
		  bool write, uint64_t *val)
{
	struct platform *pl = ctx;

	(void)off;
	/* The reset register is one byte (FADT RESET_REG). */
	if (addr == VPM_RESET_PORT)
		size = 1;
	if (write) {
		pl->dirty = true;        /* its deadline may move */
		act(who, vpm_write(&pl->pm, (uint16_t)addr, size, (uint32_t)*val));
	} else {
		/* A read catches the model up to now itself; its next
		 * deadline stays (the PM timer is Linux's clock when it
		 * trusts no TSC: read very often). */
		*val = vpm_read(&pl->pm, (uint16_t)addr, size);
	}
	return 0;
}

/* Only a dword access to 0xcf8 is CONFIG_ADDRESS (PCI Local Bus 3.0,
 * 3.2.2.3.2); narrower ones are plain I/O to nothing. */
static int pio_cf8(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size,
		   bool write, uint64_t *val)
{
	struct vpci *pci = ctx;

	if (size != 4)
		return -ENOENT;
	if (write)
		vpci_cf8_write(pci, (uint32_t)*val);
	else
		*val = vpci_cf8_read(pci);
	return 0;
}

static int pio_cfc(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size,
		   bool write, uint64_t *val)
{
	struct vpci *pci = ctx;

	if (write)
		vpci_cfc_write(pci, (unsigned)off, size, (uint32_t)*val);
	else
		*val = vpci_cfc_read(pci, (unsigned)off, size);
	return 0;
}

/* The 8259s, 8254 and RTC index/data ports take byte accesses. */
static int pio_pic(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size,
		   bool write, uint64_t *val)
{
	if (size != 1)
		return -ENOENT;
	if (write)
		vpic_write(ctx, (uint16_t)addr, (uint8_t)*val);
	else
		*val = vpic_read(ctx, (uint16_t)addr);
	return 0;
}

static int pio_pit(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size,
		   bool write, uint64_t *val)
{
	if (size != 1)
		return -ENOENT;
	if (write) {
		((struct vcpu *)who)->part->plat.dirty = true;   /* its deadlines may move */
		vpit_write(ctx, (uint16_t)addr, (uint8_t)*val);
	} else {
		*val = vpit_read(ctx, (uint16_t)addr);
	}
	return 0;
}

static int pio_rtc(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size,
		   bool write, uint64_t *val)
{
	if (size != 1)
		return -ENOENT;
	/* A read of register C clears flags: any access may move its
	 * deadlines. */
	((struct vcpu *)who)->part->plat.dirty = true;
	if (write)
		vrtc_write(ctx, (uint16_t)addr, (uint8_t)*val);
	else
		*val = vrtc_read(ctx, (uint16_t)addr);
	return 0;
}

/* No keyboard controller (the FADT says so), but its reset pulse is what
 * many systems use to reboot. */
static int pio_kbd(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size,
		   bool write, uint64_t *val)
{
	if (size != 1)
		return -ENOENT;
	if (!write)
		*val = 0xff;
	else if ((uint8_t)*val == 0xfe)
		part_reset(((struct vcpu *)who)->part);
	return 0;
}

/* COM1: wider accesses reach consecutive registers, byte by byte. */
static int pio_com1(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size,
		    bool write, uint64_t *val)
{
	struct vuart *u = ctx;

	if (!write)
		*val = 0;
	for (unsigned i = 0; i < size; i++) {
		unsigned reg = (unsigned)(off + i) & 7;

		if (write)
			vuart_write(u, reg, (uint8_t)(*val >> (8 * i)));
		else
			*val |= (uint64_t)vuart_read(u, reg) << (8 * i);
	}
	return 0;
}

/* QEMU's isa-debug-exit: a write ends the partition with that status. */
static int pio_debug_exit(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size,
			  bool write, uint64_t *val)
{
	if (!write) {
		*val = 0xffffffff;
		return 0;
	}
	part_stop(ctx, (int)(*val & 0xff), "exited with status %u (debug-exit)",
		  (unsigned)(*val & 0xff));
	return 0;
}

/* ---- MMIO ---- */

static int mmio_lapic(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size,
		      bool write, uint64_t *val)
{
	struct vcpu *v = who;
	uint32_t v32 = (uint32_t)*val;
	int r;

	/* The APIC page takes aligned 32-bit accesses (SDM 11.4.1);
	 * narrower reads see part of the register. */
	spin_lock(&v->lapic_lock);
	if (write) {
		r = size == 4 ? vlapic_mmio_write(&v->lapic, (uint32_t)off, v32) : 0;
	} else {
		r = vlapic_mmio_read(&v->lapic, (uint32_t)off & ~3u, &v32);
		*val = r ? 0 : v32 >> (8 * (off & 3));
	}
	spin_unlock(&v->lapic_lock);
	/* Most accesses (an EOI, the ICR, any read) leave the timer alone:
	 * then only whether an interrupt became deliverable is asked. */
	if (vlapic_access_moves_timer((uint32_t)off, write))
		v->lapic_touched = true;
	else
		v->lapic_recheck = true;
	lapic_flush(v);
	if (r == -ENODEV) {   /* APIC off or in x2APIC mode: nothing there */
		if (!write)
			*val = ~0ULL;
		return 0;
	}
	return r == -EINVAL ? 0 : r;
}

EXIT_PATH int platform_lapic_mmio(struct vcpu *v, uint64_t gpa, unsigned size, bool write,
				  uint64_t *val)
{
	if (!platform_lapic_page(gpa) || !platform_lapic_page(gpa + size - 1))
		return -EAGAIN;
	return mmio_lapic(NULL, v, gpa, gpa - PLAT_LAPIC_GPA, size, write, val);
}

static int mmio_ioapic(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size,
		       bool write, uint64_t *val)
{
	uint32_t v32 = (uint32_t)*val;

	if (write) {
		vioapic_write(ctx, (uint32_t)off, size, v32);
		return 0;
	}
	*val = vioapic_read(ctx, (uint32_t)off, size, &v32) ? ~0ULL : v32;
	return 0;
}

/* ECAM takes accesses of up to a dword (vpci.h); an 8-byte access is
 * two dword transactions, as a PCIe root complex splits it. */
static int mmio_ecam(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size,
		     bool write, uint64_t *val)
{
	if (size == 8) {
		uint64_t lo = (uint32_t)*val, hi = *val >> 32;

		mmio_ecam(ctx, who, addr, off, 4, write, &lo);
		mmio_ecam(ctx, who, addr + 4, off + 4, 4, write, &hi);
		if (!write)
			*val = (uint32_t)lo | hi << 32;
		return 0;
	}
	if (write)
		vpci_ecam_write(ctx, off, size, (uint32_t)*val);
	else
		*val = vpci_ecam_read(ctx, off, size);
	return 0;
}

static int mmio_testdev(void *ctx, void *who, uint64_t addr, uint64_t off, unsigned size,
			bool write, uint64_t *val)
{
	if (write)
		testdev_write(ctx, off, size, *val);
	else
		*val = testdev_read(ctx, off, size);
	return 0;
}

/* ---- timers ---- */

static uint64_t tick_pit(void *ctx, uint64_t now)
{
	vpit_update(ctx, now);
	return vpit_next_deadline(ctx, now);
}

static uint64_t tick_rtc(void *ctx, uint64_t now)
{
	vrtc_update(ctx, now);
	return vrtc_next_deadline(ctx, now);
}

static uint64_t tick_pm(void *ctx, uint64_t now)
{
	vpm_update(ctx, now);
	return vpm_next_deadline(ctx, now);
}


struct plat_pio { uint16_t base, len; devreg_fn fn; size_t ctx; };

/* The fixed devices of every partition's PC and what each decodes; ctx
 * is an offset into struct partition. */
static const struct plat_pio plat_ports[] = {
	{ 0x20, 2, pio_pic, offsetof(struct partition, plat.pic) },
	{ 0xa0, 2, pio_pic, offsetof(struct partition, plat.pic) },
	{ 0x4d0, 2, pio_pic, offsetof(struct partition, plat.pic) },
	{ 0x40, 4, pio_pit, offsetof(struct partition, plat.pit) },
	{ 0x61, 1, pio_pit, offsetof(struct partition, plat.pit) },
	{ 0x70, 2, pio_rtc, offsetof(struct partition, plat.rtc) },
	{ 0x64, 1, pio_kbd, 0 },
	{ 0x3f8, 8, pio_com1, offsetof(struct partition, uart) },
	{ VPM_PM1A_EVT, VPM_PM_TMR + 4 - VPM_PM1A_EVT, pio_pm, offsetof(struct partition, plat) },
	{ VPM_RESET_PORT, 1, pio_pm, offsetof(struct partition, plat) },
	{ 0xcf8, 1, pio_cf8, offsetof(struct partition, plat.pci) },
	{ 0xcfc, 4, pio_cfc, offsetof(struct partition, plat.pci) },
};

/* Registers every device of the partition's PC. The table is fixed, so a
 * failure is a bug in it: reported, and the partition refused. */
static int plat_register(struct partition *p)
{
	struct platform *pl = &p->plat;
	struct devreg *reg = &pl->reg;
	int r = 0;

	devreg_init(reg);
	for (size_t i = 0; i < sizeof(plat_ports) / sizeof(plat_ports[0]) && r >= 0; i++)
		r = devreg_add(reg, DEVREG_PIO, plat_ports[i].base, plat_ports[i].len,
			       plat_ports[i].fn, (char *)p + plat_ports[i].ctx);
	if (r >= 0)
		r = devreg_add(reg, DEVREG_MMIO, PLAT_LAPIC_GPA, 0x1000, mmio_lapic, NULL);
	if (r >= 0)
		r = devreg_add(reg, DEVREG_MMIO, PLAT_IOAPIC_GPA, 0x1000, mmio_ioapic, &pl->ioapic);
	if (r >= 0 && platform_has_ecam(p))
		r = devreg_add(reg, DEVREG_MMIO, PLAT_ECAM_GPA, PLAT_ECAM_SIZE, mmio_ecam, &pl->pci);
	/* The test devices exist for test partitions only. */
	if (r >= 0 && p->cfg.debug_exit)
		r = devreg_add(reg, DEVREG_PIO, PLAT_DEBUG_EXIT_PORT, 4, pio_debug_exit, p);
	if (r >= 0 && p->cfg.debug_exit)
		r = devreg_add(reg, DEVREG_MMIO, TESTDEV_GPA, TESTDEV_SIZE, mmio_testdev, &p->testdev);
	if (r >= 0 && p->cfg.debug_exit)
		r = testdev_pci_add(&p->testdev, &pl->pci, &pl->env);
	if (r >= 0)
		r = devreg_timer_add(reg, tick_pit, &pl->pit);
	if (r >= 0)
		r = devreg_timer_add(reg, tick_rtc, &pl->rtc);
	if (r >= 0)
		r = devreg_timer_add(reg, tick_pm, &pl->pm);
	return r < 0 ? r : 0;
}

EXIT_PATH int platform_io(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *val)
{
	uint64_t v64 = *val;
	int r = devreg_access(&v->part->plat.reg, DEVREG_PIO, v, port, size, !in, &v64);

	if (r)
		return r;
	if (in)
		*val = (uint32_t)v64;
	/* The devices whose timers an access may move (PIT, RTC, PM)
	 * mark the platform dirty themselves; so does any device that
	 * changes an interrupt line (env_irq). */
	return 0;
}

EXIT_PATH bool platform_port_unclaimed(struct partition *p, uint16_t port)
{
	return devreg_pio_unclaimed(&p->plat.reg, port);
}

/* PCI configuration mechanism #1 (0xcf8 and 0xcfc-0xcff, always the
 * PC's: no BAR may be placed over them) is what a guest's bus scan
 * hammers: a dword at CONFIG_ADDRESS, then CONFIG_DATA of a function that
 * is mostly not there. */
EXIT_PATH bool platform_port_private(struct partition *p, uint16_t port, unsigned size, bool in)
{
	if (port == 0xcf8 && size == 4)
		return true;
	if (port >= 0xcfc && port <= 0xcff)
		return vpci_cfc_none(&p->plat.pci, port - 0xcfc, size);
	/* The ACPI PM timer: Linux's clock when it trusts no TSC. */
	if (port >= VPM_PM_TMR && port < VPM_PM_TMR + 4)
		return in && vpm_timer_peekable(&p->plat.pm, port, size);
	return platform_port_unclaimed(p, port);
}

EXIT_PATH uint32_t platform_port_private_io(struct partition *p, uint16_t port, unsigned size,
					    bool in, uint32_t val)
{
	if (port == 0xcf8 && size == 4) {
		if (in)
			return vpci_cf8_read(&p->plat.pci);
		vpci_cf8_write(&p->plat.pci, val);
	}
	/* The port first: the clock is read for the PM timer only. */
	if (in && port >= VPM_PM_TMR && port < VPM_PM_TMR + 4 &&
	    vpm_timer_peek(&p->plat.pm, port, size, platform_now(p), &val))
		return val;
	return UINT32_MAX;
}

int platform_io_direct(struct partition *p, uint16_t port, unsigned len)
{
	if (devreg_busy(&p->plat.reg, DEVREG_PIO, port, len))
		return -EBUSY;
	vmm->part_io(p, port, len, true);
	return 0;
}

/* Between the top of 32-bit RAM and the IOAPIC is where PCI BARs live:
 * an address there that no device decodes master-aborts, reading all
 * ones (PCI Local Bus 3.0, 6.2.1), as on a PC. */
static bool plat_pci_hole(uint64_t gpa)
{
	return gpa >= PLAT_PCI_HOLE_GPA && gpa < PLAT_IOAPIC_GPA;
}

bool platform_mmio_owns(struct partition *p, uint64_t gpa)
{
	return devreg_find(&p->plat.reg, DEVREG_MMIO, gpa, 1) || plat_pci_hole(gpa);
}

int platform_mmio(struct vcpu *v, uint64_t gpa, unsigned size, bool write, uint64_t *val)
{
	int r = devreg_access(&v->part->plat.reg, DEVREG_MMIO, v, gpa, size, write, val);

	/* No MMIO device keeps a platform timer (the LAPIC's is its vCPU's). */
	if (r != -ENOENT)
		return r;
	/* An access that runs past the end of a device's range (an 8-byte
	 * read at the LAPIC's last dword): nothing answers for the bytes
	 * beyond, and a register read that way is undefined. Reads give all
	 * ones and writes are dropped, as for any unclaimed bus cycle; a
	 * guest is not stopped for it. */
	if (devreg_find(&v->part->plat.reg, DEVREG_MMIO, gpa, 1) ||
	    devreg_find(&v->part->plat.reg, DEVREG_MMIO, gpa + size - 1, 1)) {
		if (!write)
			*val = ~0ULL;
		return 0;
	}
	if (!plat_pci_hole(gpa) || !plat_pci_hole(gpa + size - 1))
		return -EFAULT;
	if (!write)
		*val = ~0ULL;
	return 0;
}

int platform_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *val)
{
	if (msr != VLAPIC_MSR_APIC_BASE && msr != VLAPIC_MSR_TSC_DEADLINE &&
	    (msr < VLAPIC_MSR_X2APIC_FIRST || msr > VLAPIC_MSR_X2APIC_LAST))
		return -ENOENT;
	int r;

	spin_lock(&v->lapic_lock);
	if (msr >= VLAPIC_MSR_X2APIC_FIRST && !(v->lapic.apic_base & VLAPIC_BASE_EXTD))
		r = -EINVAL;
	else
		r = write ? vlapic_msr_write(&v->lapic, msr, *val) : vlapic_msr_read(&v->lapic, msr, val);
	spin_unlock(&v->lapic_lock);
	/* x2APIC MSR 0x800 + n is the xAPIC page's register at n << 4. */
	if (msr >= VLAPIC_MSR_X2APIC_FIRST && !vlapic_access_moves_timer((msr & 0xff) << 4, write))
		v->lapic_recheck = true;
	else
		v->lapic_touched = true;
	lapic_flush(v);
	return r;
}
