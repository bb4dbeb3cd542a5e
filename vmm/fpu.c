/* The guest's FPU and extended state on the machine (vmm/fpu.h).
 *
 * FPU, SSE and AVX state belongs to guests: the hypervisor is built
 * without it. With XSAVE, each vCPU has its own XCR0 (checked at its
 * XSETBV exits, which both vendors intercept) and an XSAVE area; XCR0
 * is not switched by VMRUN or VM entry on either vendor (AMD APM Vol. 2,
 * 15.5.1; Intel SDM Vol. 3C, 27.3 and 28.5 name no XCR0 field), so it
 * is loaded with the rest of the state and stays loaded while the
 * hypervisor handles the vCPU's exits. The state itself is moved with
 * XCR0 covering everything guests may use: a guest's SSE registers and
 * PKRU are live whatever its own XCR0 enables. Without XSAVE, FXSAVE/FXRSTOR
 * move x87 and SSE state as before. */
#include "vmm/fpu.h"
#include "vmm/vcpu.h"
#include "vmm/vmm_ops.h"
#include "arch/x86/cpu.h"
#include "arch/x86/caps.h"
#include "arch/x86/percpu.h"
#include "lib/log.h"
#include "lib/string.h"

static struct xstate_layout layout;
static uint64_t guest_mask;
static uint32_t area_size;
/* Protection keys offered (PKRU is then one of the components moved). */
static bool pku;
/* AMD CPUs without XSaveErPtr (CPUID 0x80000008 EBX[2]) save and restore
 * the x87 FIP, FDP and FOP only when FSW.ES is set (AMD APM Vol. 4,
 * FXSAVE/FXRSTOR; the leak known as CVE-2006-1056): before a vCPU's
 * state goes in, an x87 load of the hypervisor's own sets them, so no
 * guest reads another's. */
static bool x87_ptr_leak;
static const uint32_t x87_scrub;

/* The power-up state: x87 reset (FCW 0x037f), MXCSR 0x1f80, every other
 * register zero; with XSAVE, an all-zero XSTATE_BV puts every component
 * in its initial configuration and MXCSR is still read from the legacy
 * area (SDM Vol. 1, 13.8.1). */
static const uint8_t fpu_clean[FPU_AREA_MAX] __attribute__((aligned(64))) = {
	[0] = 0x7f, [1] = 0x03,                   /* FCW 0x037f */
	[24] = 0x80, [25] = 0x1f,                 /* MXCSR 0x1f80 */
};

void fpu_init(void)
{
	struct cpuid_regs r;
	uint64_t mask;

	x87_ptr_leak = !memcmp(caps_get()->vendor, "AuthenticAMD", 12) &&
		       !(cpuid(0x80000000, 0).a >= 0x80000008 && (cpuid(0x80000008, 0).b & (1u << 2)));
	if (x87_ptr_leak)
		pr_info("fpu: x87 error pointers are cleared before each vCPU's state goes in "
			"(no XSaveErPtr)");

	if (!(cpuid(1, 0).c & (1u << 26)) || !(read_cr4() & CR4_OSXSAVE)) {
		pr_info("fpu: no XSAVE on this CPU: guests get x87 and SSE state (FXSAVE), no AVX");
		return;
	}
	r = cpuid(0xd, 0);
	layout.supported = ((uint64_t)r.d << 32) | r.a;
	layout.ext_features = cpuid(0xd, 1).a;
	for (unsigned i = 2; i < 64; i++) {
		if (!(layout.supported & (1ULL << i)))
			continue;
		r = cpuid(0xd, i);
		layout.size[i] = r.a;
		layout.offset[i] = r.b;
		layout.align64[i] = r.c & 0x2;
	}
	pku = (cpuid(7, 0).c & (1u << 3)) && (read_cr4() & CR4_PKE);
	mask = xstate_guest_mask(layout.supported, pku);
	/* A component past the end of the vCPU's area is not offered
	 * (nothing offered today comes near: AVX-512 ends at 2688). */
	while (mask && xstate_size(&layout, mask, false) > FPU_AREA_MAX)
		mask = xstate_guest_mask(mask & ~(1ULL << (63 - __builtin_clzll(mask))), pku);
	pku = pku && (mask & XFEATURE_PKRU);
	guest_mask = mask;
	area_size = xstate_size(&layout, mask, false);
	pr_info("fpu: XSAVE: guests may enable XCR0 %#llx (x87 SSE%s%s%s), %u-byte areas",
		(unsigned long long)mask, mask & XFEATURE_YMM ? " AVX" : "",
		mask & XFEATURE_OPMASK ? " AVX-512" : "", pku ? " PKRU" : "", area_size);
}

uint64_t fpu_guest_mask(void)
{
	return guest_mask;
}

const struct xstate_layout *fpu_layout(void)
{
	return &layout;
}

void fpu_vcpu_reset(struct vcpu *v)
{
	v->xcr0 = XFEATURE_X87;
	v->fpu_valid = false;
}

static void set_xcr0(struct cpu *c, uint64_t val)
{
	if (c->xcr0 != val) {
		xsetbv(0, val);
		c->xcr0 = val;
	}
}

/* XSAVE and XRSTOR move only what XCR0 enables, while a guest's SSE
 * registers (and its PKRU) are live whatever its own XCR0 says: the
 * state is moved with XCR0 = every component guests may use, and the
 * guest's own XCR0 is put back just before it runs (SDM Vol. 1, 13.7,
 * 13.8). */
void fpu_load(struct cpu *c, struct vcpu *v)
{
	const uint8_t *img = v->fpu_valid ? v->fpu : fpu_clean;

	if (!(c->fpu_owner == v && c->fpu_owner_starts == v->part->starts && v->fpu_valid)) {
		if (x87_ptr_leak)
			__asm__ volatile("fnclex; emms; fildl %0" : : "m"(x87_scrub));
		if (guest_mask) {
			set_xcr0(c, guest_mask);
			xrstor64(img, guest_mask);
		} else {
			__asm__ volatile("fxrstor64 %0" : : "m"(*(const uint8_t (*)[512])img));
		}
		c->fpu_owner = v;
		c->fpu_owner_starts = v->part->starts;
	}
	if (guest_mask)
		set_xcr0(c, v->xcr0);
}

/* Both vendors intercept XSETBV, so XCR0 changes only at an exit
 * (xsetbv_exit). An emulator whose SVM lacks that intercept (QEMU 7.2's
 * TCG) lets the guest write XCR0 itself, checked only against the
 * emulated CPU's own components: follow the register then, and say so
 * once. */
static void follow_xcr0(struct vcpu *v)
{
	static bool told;
	uint64_t hw = xgetbv(0);

	if (hw == v->xcr0)
		return;
	if (hw & ~guest_mask) {
		/* A component Vatra does not switch: not the guest's to have. */
		xsetbv(0, v->xcr0);
		return;
	}
	if (!told) {
		told = true;
		pr_info("fpu: this CPU let a guest write XCR0 without the XSETBV intercept "
			"(an emulator's gap): guests' XCR0 is read back from the register");
	}
	v->xcr0 = hw;
	this_cpu()->xcr0 = hw;
}

uint64_t fpu_guest_xcr0(struct vcpu *v)
{
	if (guest_mask)
		follow_xcr0(v);
	return v->xcr0;
}

uint32_t fpu_guest_pkru(struct vcpu *v)
{
	(void)v;        /* its PKRU is in the register until fpu_save */
	return pku ? rdpkru() : 0;
}

void fpu_save(struct vcpu *v)
{
	if (guest_mask) {
		follow_xcr0(v);
		set_xcr0(this_cpu(), guest_mask);
		xsave64(v->fpu, guest_mask);
	} else {
		__asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t (*)[512])v->fpu));
	}
	v->fpu_valid = true;
}

/* XSETBV (0F 01 D1). #UD without CR4.OSXSAVE and #GP(0) above CPL 0 come
 * before the intercept on real hardware (SDM Vol. 3C, 26.1.1; APM Vol. 2,
 * 15.7); they are checked again here for emulators that take the exit
 * first. The guest's state is in the registers: the new XCR0 takes
 * effect at once. */
int xsetbv_exit(struct vcpu *v, const struct vm_exit *e)
{
	struct guest_ctl c;
	uint64_t val = (v->regs.gpr[REG_RDX] << 32) | (uint32_t)v->regs.gpr[REG_RAX];

	vmm->get_ctl(v, &c);
	if (!guest_mask || !(c.cr4 & CR4_OSXSAVE)) {
		vcpu_ud(v);
		return 0;
	}
	if (c.cpl != 0 ||
	    xstate_xsetbv_check(guest_mask, (uint32_t)v->regs.gpr[REG_RCX], val)) {
		vcpu_gp(v);
		return 0;
	}
	v->xcr0 = val;
	xsetbv(0, val);
	this_cpu()->xcr0 = val;
	vcpu_skip(v, e, 3);
	return 0;
}
