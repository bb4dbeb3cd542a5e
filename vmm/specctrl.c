/* The speculation controls' policy (vmm/specctrl.h). Pure code. */
#include "vmm/specctrl.h"

/* LS_CFG's SSBD bit per family (AMD, "Speculative Store Bypass Disable"
 * white paper): the families before VIRT_SPEC_CTRL and AMD_SSBD. */
static uint64_t ls_cfg_bit(uint32_t family)
{
	switch (family) {
	case 0x15: return 1ull << 54;
	case 0x16: return 1ull << 33;
	case 0x17: return 1ull << 10;
	default:   return 0;
	}
}

void specctrl_probe(struct specctrl_host *h, bool amd, uint32_t family, uint32_t l7d,
		    uint32_t x8b, bool ls_cfg)
{
	*h = (struct specctrl_host){ 0 };
	/* Intel's enumeration, which some AMD CPUs repeat, and AMD's. */
	if ((l7d & SPEC_L7D_IBRS_IBPB) || (amd && (x8b & SPEC_X8B_IBRS)))
		h->spec_ctrl |= SPEC_CTRL_IBRS;
	if ((l7d & SPEC_L7D_STIBP) || (amd && (x8b & SPEC_X8B_STIBP)))
		h->spec_ctrl |= SPEC_CTRL_STIBP;
	if ((l7d & SPEC_L7D_SSBD) || (amd && (x8b & SPEC_X8B_AMD_SSBD)))
		h->spec_ctrl |= SPEC_CTRL_SSBD;
	h->ibpb = (l7d & SPEC_L7D_IBRS_IBPB) || (amd && (x8b & SPEC_X8B_IBPB));
	h->flush_l1d = l7d & SPEC_L7D_L1D_FLUSH;
	h->arch_cap = l7d & SPEC_L7D_ARCH_CAP;
	if (!amd)
		return;
	/* VIRT_SPEC_CTRL for AMD guests, on whatever the host sets SSBD with. */
	if (h->spec_ctrl & SPEC_CTRL_SSBD) {
		h->ssbd = SPEC_SSBD_SPEC_CTRL;
	} else if (x8b & SPEC_X8B_VIRT_SSBD) {
		h->ssbd = SPEC_SSBD_VIRT_SPEC_CTRL;
	} else if (ls_cfg && ls_cfg_bit(family)) {
		h->ssbd = SPEC_SSBD_LS_CFG;
		h->ls_cfg_ssbd = ls_cfg_bit(family);
	}
	h->virt = h->ssbd != SPEC_SSBD_NONE;
}

uint32_t specctrl_l7d(const struct specctrl_host *h, uint32_t l7d)
{
	/* CORE_CAPABILITIES 30: not provided. IBRS/IBPB 26 needs both of
	 * its MSR bits. */
	l7d &= ~(1u << 30);
	if (!h->flush_l1d)
		l7d &= ~SPEC_L7D_L1D_FLUSH;
	if (!h->arch_cap)
		l7d &= ~SPEC_L7D_ARCH_CAP;
	if (!(h->spec_ctrl & SPEC_CTRL_IBRS) || !h->ibpb)
		l7d &= ~SPEC_L7D_IBRS_IBPB;
	if (!(h->spec_ctrl & SPEC_CTRL_STIBP))
		l7d &= ~SPEC_L7D_STIBP;
	if (!(h->spec_ctrl & SPEC_CTRL_SSBD))
		l7d &= ~SPEC_L7D_SSBD;
	return l7d;
}

uint32_t specctrl_x8b(const struct specctrl_host *h, uint32_t x8b)
{
	if (!h->ibpb)
		x8b &= ~SPEC_X8B_IBPB;
	if (!(h->spec_ctrl & SPEC_CTRL_IBRS))
		x8b &= ~SPEC_X8B_IBRS;
	if (!(h->spec_ctrl & SPEC_CTRL_STIBP))
		x8b &= ~SPEC_X8B_STIBP;
	if (!(h->spec_ctrl & SPEC_CTRL_SSBD))
		x8b &= ~SPEC_X8B_AMD_SSBD;
	x8b &= ~SPEC_X8B_VIRT_SSBD;
	if (h->virt)
		x8b |= SPEC_X8B_VIRT_SSBD;
	return x8b;
}

bool specctrl_spec_ctrl_ok(const struct specctrl_host *h, uint64_t val)
{
	return h->spec_ctrl && !(val & ~h->spec_ctrl);
}

bool specctrl_pred_cmd_ok(const struct specctrl_host *h, uint64_t val)
{
	return h->ibpb && !(val & ~PRED_CMD_IBPB);
}

bool specctrl_virt_ok(const struct specctrl_host *h, uint64_t val)
{
	return h->virt && !(val & ~VIRT_SPEC_CTRL_SSBD);
}

bool specctrl_flush_ok(const struct specctrl_host *h, uint64_t val)
{
	return h->flush_l1d && !(val & ~FLUSH_CMD_L1D);
}

uint64_t specctrl_arch_cap(uint64_t host)
{
	const uint64_t info = 0x7full |          /* bits 0-6 */
			      (1ull << 8) | (7ull << 13) | (1ull << 17) | (3ull << 19) |
			      (1ull << 24) | (7ull << 26);
	return host & info;
}

void specctrl_guest_regs(const struct specctrl_host *h, const struct specctrl_regs *host,
			 uint64_t g_spec, uint64_t g_virt, struct specctrl_regs *out)
{
	bool ssbd = h->virt && (g_virt & VIRT_SPEC_CTRL_SSBD);

	*out = *host;
	if (h->spec_ctrl)
		out->spec_ctrl = g_spec & h->spec_ctrl;
	switch (h->ssbd) {
	case SPEC_SSBD_SPEC_CTRL:
		if (ssbd)
			out->spec_ctrl |= SPEC_CTRL_SSBD;
		break;
	case SPEC_SSBD_VIRT_SPEC_CTRL:
		out->virt_spec_ctrl = ssbd ? VIRT_SPEC_CTRL_SSBD : 0;
		break;
	case SPEC_SSBD_LS_CFG:
		out->ls_cfg = ssbd ? host->ls_cfg | h->ls_cfg_ssbd : host->ls_cfg & ~h->ls_cfg_ssbd;
		break;
	case SPEC_SSBD_NONE:
		break;
	}
}
