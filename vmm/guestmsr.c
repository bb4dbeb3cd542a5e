/* Rules for guest PAT and EFER values. See vmm/guestmsr.h. */
#include "vmm/guestmsr.h"

#define EFER_SCE    (1ULL << 0)
#define EFER_LME    (1ULL << 8)
#define EFER_LMA    (1ULL << 10)
#define EFER_NXE    (1ULL << 11)
#define EFER_FFXSR  (1ULL << 14)

bool guestmsr_pat_valid(uint64_t pat)
{
	for (int i = 0; i < 8; i++) {
		uint8_t t = (uint8_t)(pat >> (8 * i));

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

bool guestmsr_efer_valid(uint64_t efer, enum cpu_vendor v)
{
	uint64_t ok = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;

	if (v == CPU_VENDOR_AMD)
		ok |= EFER_FFXSR;
	return !(efer & ~ok);
}
