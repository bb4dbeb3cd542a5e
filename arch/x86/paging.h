/* One table-driven page-table engine for every radix-tree translation
 * format Vatra builds: host 4-level paging now, EPT (Intel), NPT (AMD)
 * and IOMMU second-level tables later.
 *
 * The engine knows only the tree shape (512 entries of 8 bytes per 4 KiB
 * table, 9 address bits per level, 4 KiB at level 1); everything about
 * the bits inside an entry comes from a struct pt_format. Memory is
 * reached only through struct pt_env callbacks, so the same code runs on
 * the hypervisor's direct map and in host unit tests on a fake array.
 *
 * Adding EPT or NPT is another const struct pt_format, nothing else:
 *  - EPT (Intel SDM Vol. 3C, "EPT Translation Mechanism"): leaf_entry
 *    sets bits 0/1/2 (read/write/execute) from PT_R/PT_W/PT_X, the memory
 *    type in bits 5:3 (6 = WB, 0 = UC for PT_UC), bit 7 for 2M/1G leaves;
 *    present() is "any of bits 2:0 set"; table_entry is RWX with no
 *    memory type; sign_extended = false because guest-physical addresses
 *    are plain numbers below 2^48.
 *  - NPT (AMD APM Vol. 2, "Nested Paging") uses the host long-mode
 *    entry layout with the U/S bit set in every entry (guest accesses
 *    count as user accesses), so it is pt_x86_64 with PT_USER forced on.
 * pt_map() and friends then work unchanged; only the TLB flush differs
 * (INVLPG/CR3 reload vs INVEPT vs INVLPGA/ASID), and that stays with the
 * caller.
 *
 * The engine relies on two things every format shares: a zero entry is
 * not present (fresh tables come zeroed from env->alloc, and unmapping
 * writes 0), and leaves are only ever allowed at a contiguous run of
 * levels starting at 1, so any large leaf can be split one level down.
 *
 * Locking and TLBs: the engine neither locks nor flushes. The caller
 * serialises calls on one struct pt and invalidates translations after
 * pt_unmap()/pt_protect() (Intel SDM Vol. 3A, 4.10.4). Table pages freed
 * by those calls may still be cached in paging-structure caches until that
 * invalidation, so on live tables env->free must defer reuse of the page
 * until after the flush.
 */
#ifndef VATRA_ARCH_X86_PAGING_H
#define VATRA_ARCH_X86_PAGING_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Access and attribute flags, format-neutral. A format that cannot express
 * a flag ignores it (host paging: every present page is readable, so PT_R
 * is implied). */
enum pt_flags {
	PT_R = 1,
	PT_W = 2,
	PT_X = 4,
	PT_USER = 8,
	PT_UC = 16,             /* uncached (device memory) */
	PT_GLOBAL = 32,
};
#define PT_FLAGS_ALL (PT_R | PT_W | PT_X | PT_USER | PT_UC | PT_GLOBAL)

/* Bits for leaf_levels: bit n set = leaves allowed at level n. */
#define PT_LEAF_4K (1u << 1)
#define PT_LEAF_2M (1u << 2)
#define PT_LEAF_1G (1u << 3)

#define PT_MAX_LEVELS 5         /* 12 + 9 * 5 = 57 address bits */

struct pt_env {
	void *(*alloc)(void *ctx, uint64_t *phys);       /* a zeroed 4 KiB table page, or NULL */
	void (*free)(void *ctx, uint64_t phys);
	void *(*phys_to_virt)(void *ctx, uint64_t phys); /* where the engine reads/writes a table */
	void *ctx;
};

struct pt_format {
	const char *name;
	unsigned levels;          /* 4: level 4 = root (PML4), level 1 = 4 KiB leaves */
	unsigned leaf_levels;     /* bitmask: bit n set = leaves allowed at level n (bit1 4K, bit2 2M, bit3 1G) */
	/* Input addresses are sign-extended from bit 12 + 9 * levels - 1
	 * (linear addresses: "canonical"). false for guest-physical and I/O
	 * virtual addresses, which must simply be below 2^(12 + 9 * levels). */
	bool sign_extended;
	uint64_t (*table_entry)(uint64_t phys);                       /* non-leaf entry pointing at a table */
	/* Instead of table_entry, for formats whose non-leaf entries name
	 * the level of the table they point at: the entry at level for a
	 * table (of level - 1) at phys. */
	uint64_t (*table_entry_lvl)(uint64_t phys, unsigned level);
	uint64_t (*leaf_entry)(uint64_t phys, unsigned level, unsigned flags);
	bool (*present)(uint64_t e);
	bool (*is_leaf)(uint64_t e, unsigned level);                  /* level 1 entries are always leaves */
	uint64_t (*addr)(uint64_t e, unsigned level);
	unsigned (*flags)(uint64_t e, unsigned level);                /* back to enum pt_flags */
};

/* Host 4-level paging (Intel SDM Vol. 3A, 4.5): P, RW, US, PWT|PCD for
 * PT_UC, PS for large pages, G, XD (bit 63) when !PT_X; non-leaf entries
 * are P|RW|US with XD clear so the leaf decides. XD needs IA32_EFER.NXE = 1
 * (otherwise bit 63 is reserved and every access faults); PT_GLOBAL needs
 * CR4.PGE = 1 to have an effect; PT_UC assumes IA32_PAT entry 3 still
 * holds its power-up value UC. leaf_levels includes 1G: mask it off with
 * pt_init() when CPUID.80000001H:EDX.Page1GB[bit 26] is 0. */
extern const struct pt_format pt_x86_64;

/* AMD nested page tables: pt_x86_64's layout with U/S set in every leaf,
 * for guest-physical addresses below 2^48 (AMD APM Vol. 2, 15.25). */
extern const struct pt_format pt_npt;

/* Intel extended page tables: R/W/X bits, write-back memory type unless
 * PT_UC, for guest-physical addresses below 2^48 (Intel SDM Vol. 3C, 29.3).
 * PT_USER and PT_GLOBAL have no meaning there and are dropped. */
extern const struct pt_format pt_ept;

struct pt {
	const struct pt_format *fmt;
	const struct pt_env *env;
	uint64_t root;            /* physical address of the root table */
	unsigned leaf_levels;     /* what this instance may use: fmt->leaf_levels masked by what the CPU supports (e.g. no 1 GiB pages) */
};

/* Allocate an empty root. leaf_levels is what the CPU supports; the
 * instance uses fmt->leaf_levels & leaf_levels. -EINVAL if that lacks 4K
 * leaves or has a hole (a large size whose next smaller size is missing,
 * which would make splitting impossible) or the format is malformed;
 * -ENOMEM if the root cannot be allocated. */
int pt_init(struct pt *pt, const struct pt_format *fmt, const struct pt_env *env, unsigned leaf_levels);

/* Maps [va, va+size) to [pa, ...) with flags, using the largest page sizes
 * that alignment of both va and pa and size allow. va, pa, size must be
 * 4K-aligned, size > 0, flags a non-empty subset of PT_FLAGS_ALL with at
 * least one of PT_R/PT_W/PT_X, pa representable by the format (-EINVAL).
 * Overlap with an existing mapping: -EEXIST and nothing changed by this
 * call (check first, then map). -ENOMEM if a table allocation fails: what
 * this call had built is torn down again, so the tables are exactly as
 * before. va must be canonical for 4-level (48-bit sign-extended) and the
 * range may not cross the non-canonical hole. */
int pt_map(struct pt *pt, uint64_t va, uint64_t pa, uint64_t size, unsigned flags);

/* Unmaps [va, va+size); splits a large page that is only partly covered
 * (keeping the rest mapped with the same flags). Unmapping a hole is fine.
 * Frees table pages that become empty (never the root). The table pages
 * splits need are allocated up front, so -ENOMEM changes nothing. */
int pt_unmap(struct pt *pt, uint64_t va, uint64_t size);

/* Changes flags on an already fully-mapped range (splitting large pages as
 * needed) - used to make a region RX or RO after mapping. -ENOENT if any
 * part is unmapped, -ENOMEM if split tables cannot be allocated; in both
 * cases nothing is changed. */
int pt_protect(struct pt *pt, uint64_t va, uint64_t size, unsigned flags);

/* Translates va; -ENOENT if unmapped, -EINVAL if va is not a valid input
 * address for the format. Outputs may be NULL. */
int pt_lookup(const struct pt *pt, uint64_t va, uint64_t *pa, unsigned *flags, uint64_t *page_size);
/* The physical addresses of the table pages the walk for va reads, root
 * first, at most max of them; how many, or -ENOENT when an entry on the
 * way is not present (tables[] then holds the walk up to it). */
int pt_walk_tables(const struct pt *pt, uint64_t va, uint64_t *tables, unsigned max);

/* Frees every table including the root. The struct may be reused with
 * pt_init(); a second pt_destroy() is harmless. */
void pt_destroy(struct pt *pt);

#endif
