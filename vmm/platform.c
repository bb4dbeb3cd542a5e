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
#include "include/vatra/hv.h"
#include "arch/x86/cpu.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/errno.h"

#define LAPIC_BUS_KHZ 100000     /* the guest LAPIC timer's input clock */

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

static void ioapic_deliver(void *ctx, uint32_t dest, bool logical, uint8_t mode,
			   uint8_t vector, bool level)
{
	deliver(part_of(ctx), NULL, dest, logical, VLAPIC_SH_NONE, mode, vector, level);
}

static void lapic_ipi(void *ctx, uint32_t dest, bool logical, uint8_t shorthand,
		      uint8_t mode, uint8_t vector, bool level_assert)
{
	struct vcpu *v = ctx;

	/* The INIT level de-assert (SDM Vol. 3A, 11.6.1) does nothing. */
	if (mode == VLAPIC_DM_INIT && !level_assert)
		return;
	deliver(v->part, v, dest, logical, shorthand, mode, vector, false);
}

static void lapic_eoi(void *ctx, uint8_t vector)
{
	vioapic_eoi(&((struct vcpu *)ctx)->part->plat.ioapic, vector);
}

/* INIT parks a vCPU until a startup IPI; the startup IPI starts it in
 * real mode at vector << 12 (SDM Vol. 3A, 9.4.4). */
static void init_vcpu(struct vcpu *t)
{
	vlapic_init_reset(&t->lapic);
	t->pending_irq = -1;
	t->sipi_vector = -1;
	t->state = VCPU_WAIT_SIPI;
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
		default: hit = vlapic_match_dest(&t->lapic, dest, logical);
		}
		if (!hit)
			continue;
		switch (mode) {
		case VLAPIC_DM_FIXED:
		case VLAPIC_DM_LOWEST:
			vlapic_set_irq(&t->lapic, vector, level);
			if (mode == VLAPIC_DM_LOWEST) {
				vcpu_kick(t);
				return;   /* one receiver: the first that matches */
			}
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

int platform_init(struct partition *p)
{
	struct platform *pl = &p->plat;
	struct acpigen_cfg ac = {
		.ncpus = p->cfg.vcpus, .lapic_addr = (uint32_t)PLAT_LAPIC_GPA,
		.ioapic_id = 0, .ioapic_addr = (uint32_t)PLAT_IOAPIC_GPA, .sci_irq = 9,
		.pm1a_evt = VPM_PM1A_EVT, .pm1a_cnt = VPM_PM1A_CNT, .pm_tmr = VPM_PM_TMR,
		.slp_typ_s5 = VPM_SLP_TYP_S5, .reset_port = VPM_RESET_PORT,
		.reset_value = VPM_RESET_VALUE, .oem_id = "VATRA ",
	};
	uint8_t *tables;
	int r;

	/* The guest's PM timer is the machine's, read without exits (see
	 * vmm_init). */
	if (hv.pm_tmr_passthrough)
		ac.pm_tmr = hv.pm_tmr_passthrough;

	pl->env = (struct dev_env){ env_now, env_irq, p };
	vpic_init(&pl->pic, &pl->env);
	vpit_init(&pl->pit, &pl->env);
	vrtc_init(&pl->rtc, &pl->env, hv.boot_epoch && hv.tsc_khz ?
		  hv.boot_epoch + (p->start_tsc - hv.boot_tsc) / (hv.tsc_khz * 1000) : 0,
		  p->ram_size);
	vpm_init(&pl->pm, &pl->env, 9, false);
	if (hv.pm_tmr_passthrough) {
		/* Guests read the machine's counter; TMR_STS must follow it. */
		uint32_t hw, now_ticks;
		__asm__ volatile("inl %1, %0" : "=a"(hw) : "Nd"(hv.pm_tmr_passthrough));
		now_ticks = vpmtimer_read(&pl->pm.tmr, platform_now(p));
		pl->pm.tmr.base = (hw - now_ticks) & 0xffffff;
	}
	vpci_init(&pl->pci);
	vioapic_init(&pl->ioapic, 0, ioapic_deliver, p);
	pl->rsdp = 0;
	tables = gpa_ptr(p, PLAT_ACPI_GPA, PLAT_ACPI_SIZE);
	if (!tables)
		return 0;   /* too little RAM for the BIOS area: no tables */
	r = acpigen_build(&ac, tables, PLAT_ACPI_GPA, PLAT_ACPI_SIZE, &pl->rsdp);
	if (r)
		pr_err("partition %s: cannot build ACPI tables (%s)", part_name(p), err_name(r));
	return r;
}

void platform_vcpu_init(struct vcpu *v)
{
	struct vlapic_ops ops = { lapic_ipi, lapic_eoi, v };

	/* With the TSC frequency known, the TSC-deadline timer is offered: the
	 * guest's TSC starts with the partition, like the model's clock. */
	vlapic_init(&v->lapic, &v->part->plat.env, &ops, v->id, v->id == 0, hv.tsc_khz,
		    LAPIC_BUS_KHZ);
}

uint64_t platform_update(struct partition *p)
{
	struct platform *pl = &p->plat;
	uint64_t now = platform_now(p), next = DEV_NO_DEADLINE, d;

	vpit_update(&pl->pit, now);
	vrtc_update(&pl->rtc, now);
	vpm_update(&pl->pm, now);
	d = vpit_next_deadline(&pl->pit, now);
	next = d < next ? d : next;
	d = vrtc_next_deadline(&pl->rtc, now);
	next = d < next ? d : next;
	d = vpm_next_deadline(&pl->pm, now);
	next = d < next ? d : next;
	for (unsigned i = 0; i < p->nvcpus; i++) {
		vlapic_update(&p->vcpus[i].lapic, now);
		d = vlapic_next_deadline(&p->vcpus[i].lapic, now);
		next = d < next ? d : next;
	}
	pl->dirty = false;
	pl->next_tsc = next == DEV_NO_DEADLINE ? 0 : ns_to_tsc(p, next);
	return pl->next_tsc;
}

uint64_t platform_poll(struct partition *p)
{
	struct platform *pl = &p->plat;

	if (pl->dirty || (pl->next_tsc && rdtsc() >= pl->next_tsc))
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

int platform_pending(struct vcpu *v)
{
	int vec = vlapic_pending(&v->lapic);

	if (vec >= 0)
		return vec;
	if (pic_wired(v) && vpic_has_output(&v->part->plat.pic))
		return vpic_pending(&v->part->plat.pic);
	return -1;
}

void platform_accept(struct vcpu *v, int vector)
{
	if (vlapic_pending(&v->lapic) == vector)
		vlapic_accept(&v->lapic, (uint8_t)vector);
	else
		vpic_ack(&v->part->plat.pic);
}

static void act(struct vcpu *v, enum vpm_action a)
{
	if (a == VPM_POWEROFF)
		part_stop(v->part, 0, "powered off by the guest (ACPI S5)");
	else if (a == VPM_RESET)
		part_reset(v->part);
}

static int io(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *val);

int platform_io(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *val)
{
	int r = io(v, port, size, in, val);

	if (!r)
		v->part->plat.dirty = true;   /* a device was touched */
	return r;
}

static int io(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *val)
{
	struct platform *pl = &v->part->plat;
	uint8_t b;

	if (port >= VPM_PM1A_EVT && port < VPM_PM_TMR + 4) {
		if (in)
			*val = vpm_read(&pl->pm, port, size);
		else
			act(v, vpm_write(&pl->pm, port, size, *val));
		return 0;
	}
	if (port == 0xcf8 && size == 4) {
		if (in)
			*val = vpci_cf8_read(&pl->pci);
		else
			vpci_cf8_write(&pl->pci, *val);
		return 0;
	}
	if (port >= 0xcfc && port <= 0xcff) {
		if (in)
			*val = vpci_cfc_read(&pl->pci, port - 0xcfc, size);
		else
			vpci_cfc_write(&pl->pci, port - 0xcfc, size, *val);
		return 0;
	}
	if (port == VPM_RESET_PORT) {
		if (in)
			*val = vpm_read(&pl->pm, port, 1);
		else
			act(v, vpm_write(&pl->pm, port, 1, *val));
		return 0;
	}
	if (size != 1)
		return -ENOENT;
	switch (port) {
	case 0x20: case 0x21: case 0xa0: case 0xa1: case 0x4d0: case 0x4d1:
		if (in)
			*val = vpic_read(&pl->pic, port);
		else
			vpic_write(&pl->pic, port, (uint8_t)*val);
		return 0;
	case 0x40: case 0x41: case 0x42: case 0x43: case 0x61:
		if (in)
			*val = vpit_read(&pl->pit, port);
		else
			vpit_write(&pl->pit, port, (uint8_t)*val);
		return 0;
	case 0x70: case 0x71:
		if (in)
			*val = vrtc_read(&pl->rtc, port);
		else
			vrtc_write(&pl->rtc, port, (uint8_t)*val);
		return 0;
	case 0x64:
		/* No keyboard controller (the FADT says so), but its reset
		 * pulse is what many systems use to reboot. */
		b = (uint8_t)*val;
		if (in)
			*val = 0xff;
		else if (b == 0xfe)
			part_reset(v->part);
		return 0;
	default:
		return -ENOENT;
	}
}

bool platform_mmio_owns(struct partition *p, uint64_t gpa)
{
	(void)p;
	return (gpa >= PLAT_LAPIC_GPA && gpa < PLAT_LAPIC_GPA + 0x1000) ||
	       (gpa >= PLAT_IOAPIC_GPA && gpa < PLAT_IOAPIC_GPA + 0x1000);
}

int platform_mmio(struct vcpu *v, uint64_t gpa, unsigned size, bool write, uint64_t *val)
{
	uint32_t v32 = (uint32_t)*val;
	int r;

	v->part->plat.dirty = true;
	if (gpa >= PLAT_LAPIC_GPA && gpa < PLAT_LAPIC_GPA + 0x1000) {
		uint32_t off = (uint32_t)(gpa - PLAT_LAPIC_GPA);
		/* The APIC page takes aligned 32-bit accesses (SDM 11.4.1);
		 * narrower reads see part of the register. */
		if (write) {
			r = size == 4 ? vlapic_mmio_write(&v->lapic, off, v32) : 0;
		} else {
			r = vlapic_mmio_read(&v->lapic, off & ~3u, &v32);
			*val = r ? 0 : v32 >> (8 * (off & 3));
		}
		if (r == -ENODEV) {   /* APIC off or in x2APIC mode: nothing there */
			if (!write)
				*val = ~0ULL;
			return 0;
		}
		return r == -EINVAL ? 0 : r;
	}
	if (write)
		return vioapic_write(&v->part->plat.ioapic, (uint32_t)(gpa - PLAT_IOAPIC_GPA),
				     size, v32) == -EINVAL ? 0 : 0;
	r = vioapic_read(&v->part->plat.ioapic, (uint32_t)(gpa - PLAT_IOAPIC_GPA), size, &v32);
	*val = r ? ~0ULL : v32;
	return 0;
}

int platform_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *val)
{
	if (msr != VLAPIC_MSR_APIC_BASE && msr != VLAPIC_MSR_TSC_DEADLINE &&
	    (msr < VLAPIC_MSR_X2APIC_FIRST || msr > VLAPIC_MSR_X2APIC_LAST))
		return -ENOENT;
	v->part->plat.dirty = true;
	if (msr >= VLAPIC_MSR_X2APIC_FIRST && !(v->lapic.apic_base & VLAPIC_BASE_EXTD))
		return -EINVAL;
	return write ? vlapic_msr_write(&v->lapic, msr, *val) : vlapic_msr_read(&v->lapic, msr, val);
}
