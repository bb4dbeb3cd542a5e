/* Decoding of VT-d fault records and AMD-Vi event-log entries. Pure
 * code (see iommu_priv.h); the drivers read the registers or the log. */
#include "drivers/iommu_priv.h"

/* VT-d 4.0 Appendix A, the reasons of legacy-mode DMA remapping and of
 * interrupt remapping. */
const char *vtd_fault_reason(unsigned r)
{
	switch (r) {
	case 0x1: return "root entry not present";
	case 0x2: return "context entry not present";
	case 0x3: return "context entry invalid";
	case 0x4: return "address beyond the domain's width";
	case 0x5: return "write not permitted (page not mapped writable)";
	case 0x6: return "read not permitted (page not mapped)";
	case 0x7: return "second-level table unreadable";
	case 0x8: return "root table unreadable";
	case 0x9: return "context table unreadable";
	case 0xa: return "reserved bits set in a root entry";
	case 0xb: return "reserved bits set in a context entry";
	case 0xc: return "reserved bits set in a second-level entry";
	case 0xd: return "translation type not allowed";
	case 0x20: return "interrupt index beyond the remapping table";
	case 0x21: return "interrupt remapping entry not present";
	case 0x22: return "interrupt remapping table unreadable";
	case 0x23: return "reserved bits set in an interrupt remapping entry";
	case 0x24: return "compatibility-format interrupt blocked";
	case 0x25: return "interrupt source-ID check failed";
	case 0x26: return "posted-interrupt descriptor unreadable";
	case 0x27: return "reserved bits in a posted-interrupt descriptor";
	default: return "unknown reason";
	}
}

bool vtd_fault_decode(uint64_t lo, uint64_t hi, uint16_t seg, struct iommu_fault *f)
{
	if (!(hi >> 63))
		return false;
	f->seg = seg;
	f->rid = (uint16_t)hi;			/* SID, bits 79:64 */
	f->reason = (unsigned)(hi >> 32) & 0xff;	/* FR, bits 103:96 */
	/* T, bit 126: 0 a write, 1 a read (or an atomic). */
	f->write = !((hi >> 62) & 1);
	/* FI, bits 63:12: the page of a DMA fault; for an interrupt
	 * remapping fault bits 63:48 hold the interrupt index. */
	f->addr = f->reason >= 0x20 ? lo >> 48 : lo & ~0xfffULL;
	f->what = vtd_fault_reason(f->reason);
	return true;
}

/* AMD IOMMU 3.0, 2.5 Table 43: event codes in bits 63:60. */
const char *amdvi_event_name(unsigned code)
{
	switch (code) {
	case 0x1: return "illegal device table entry";
	case 0x2: return "I/O page fault";
	case 0x3: return "device table hardware error";
	case 0x4: return "page table hardware error";
	case 0x5: return "illegal command";
	case 0x6: return "command hardware error";
	case 0x7: return "IOTLB invalidation timeout";
	case 0x8: return "invalid device request";
	case 0x9: return "invalid PPR request";
	case 0xa: return "event counter zero";
	default: return "unknown event";
	}
}

bool amdvi_event_decode(const uint32_t ev[4], uint16_t seg, struct iommu_fault *f)
{
	unsigned code = ev[1] >> 28;

	if (!ev[0] && !ev[1] && !ev[2] && !ev[3])
		return false;
	f->seg = seg;
	f->reason = code;
	f->what = amdvi_event_name(code);
	f->addr = (uint64_t)ev[3] << 32 | ev[2];
	f->write = false;
	switch (code) {
	case 0x1:	/* ILLEGAL_DEV_TABLE_ENTRY, 2.5.2 */
	case 0x2:	/* IO_PAGE_FAULT, 2.5.3: RW is bit 21 of dword 1 */
	case 0x8:	/* INVALID_DEVICE_REQUEST */
		f->rid = (uint16_t)ev[0];
		f->write = (ev[1] >> 21) & 1;
		break;
	case 0x3:	/* DEV_TAB_HARDWARE_ERROR, 2.5.4 */
	case 0x4:	/* PAGE_TAB_HARDWARE_ERROR, 2.5.5 */
	case 0x7:	/* IOTLB_INV_TIMEOUT */
		f->rid = (uint16_t)ev[0];
		f->write = (ev[1] >> 21) & 1;
		break;
	default:	/* command errors name no device */
		f->rid = 0;
		break;
	}
	return true;
}
