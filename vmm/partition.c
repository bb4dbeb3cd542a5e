/* Partition lifecycle: guest RAM, nested page tables, devices, vCPUs and
 * the guest image; and stopping, which gives everything back. */
#include <stdarg.h>
#include "vmm/partition.h"
#include "vmm/fpu.h"
#include "vmm/vcpu.h"
#include "vmm/vmm_ops.h"
#include "vmm/sched.h"
#include "vmm/passthru.h"
#include "vmm/loader/loader.h"
#include "vmm/loader/multiboot.h"
#include "vmm/loader/flat.h"
#include "vmm/loader/linux.h"
#include "include/vatra/hv.h"
#include "vmm/vmm.h"
#include "arch/x86/cpu.h"
#include "arch/x86/mmu.h"
#include "mm/mem.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/errno.h"
#include "include/vatra/hotpath.h"

struct partition partitions[PART_MAX];
unsigned npartitions;
/* Outside struct partition: part_start clears the struct while holding it. */
static EXIT_DATA struct spinlock locks[PART_MAX];

/* Each partition's RAM: reserved once, before any partition starts, and
 * kept across stops and restarts, so a partition that fitted at boot
 * always fits again. Zeroed at every start (so a partition that never
 * starts costs no time to clear). */
static struct {
	uint64_t hpa, size;
} ram_res[PART_MAX];

int part_reserve(unsigned id, const struct part_config *c, char *err, size_t errlen)
{
	uint64_t pages = c->memory / 4096;

	if (id >= PART_MAX)
		return -EINVAL;
	if (ram_res[id].hpa)
		return 0;
	/* Contiguous, 2 MiB aligned when the size allows: the nested tables
	 * then map it with large pages. */
	ram_res[id].hpa = page_alloc_unzeroed(pages, (c->memory % (2 << 20)) ? 1 : 512);
	if (!ram_res[id].hpa) {
		snprintf(err, errlen, "its %llu MiB of memory do not fit (%llu MiB free%s)",
			 (unsigned long long)(c->memory >> 20),
			 (unsigned long long)(mem_free_pages() >> 8),
			 mem_free_pages() >= pages ? ", but not in one piece" : "");
		return -ENOMEM;
	}
	ram_res[id].size = c->memory;
	return 0;
}

EXIT_PATH void part_lock(struct partition *p)
{
	spin_lock(&locks[p - partitions]);
}

EXIT_PATH void part_unlock(struct partition *p)
{
	spin_unlock(&locks[p - partitions]);
}

const char *part_name(const struct partition *p)
{
	return p->cfg.name[0] ? p->cfg.name : "?";
}

struct partition *part_find(const char *name)
{
	for (unsigned i = 0; i < npartitions; i++)
		if (partitions[i].cfg.name[0] && !strcmp(partitions[i].cfg.name, name))
			return &partitions[i];
	return NULL;
}

void part_console_putc(struct partition *p, uint8_t c)
{
	if (vmm_hooks && vmm_hooks->console_put)
		vmm_hooks->console_put(p->id, part_name(p), c);
}

static void uart_out(void *ctx, uint8_t c)
{
	part_console_putc(ctx, c);
}

static void uart_irq(void *ctx, bool level)
{
	struct partition *p = ctx;

	p->plat.env.irq_line(p, 4, level);   /* COM1 is ISA IRQ 4 */
}

static const struct bi_file *file_find(const char *path)
{
	for (uint32_t i = 0; i < hv.bi->nfiles; i++)
		if (!strcmp(hv.bi->files[i].path, path) && !hv.bi->files[i].status)
			return &hv.bi->files[i];
	return NULL;
}

static void *gpt_alloc(void *ctx, uint64_t *phys)
{
	struct partition *p = ctx;

	*phys = page_alloc(1, 1);
	if (*phys && p)
		p->gpt_pages++;
	return *phys ? phys_to_virt(*phys) : NULL;
}

static void gpt_free(void *ctx, uint64_t phys)
{
	struct partition *p = ctx;

	if (p && p->gpt_pages)
		p->gpt_pages--;
	/* A page unlinked from live tables may still be walked by a vCPU in
	 * guest mode on another CPU, or cached in its paging-structure
	 * caches (arch/x86/paging.h): reused now, whatever is written into
	 * it next would be taken for nested entries. */
	if (p && p->gpt_live) {
		if (p->gpt_ndeferred == sizeof(p->gpt_deferred) / sizeof(p->gpt_deferred[0]))
			part_gpt_sync(p);
		if (p->gpt_ndeferred < sizeof(p->gpt_deferred) / sizeof(p->gpt_deferred[0])) {
			p->gpt_deferred[p->gpt_ndeferred++] = phys;
			return;
		}
		/* Still full: a vCPU never left guest mode. Never reused. */
		if (!p->gpt_leaked++)
			pr_warn("partition %s: nested-table pages kept for good: a vCPU did not "
				"leave guest mode when kicked", part_name(p));
		return;
	}
	page_free(phys, 1);
}

/* How long a kicked vCPU may take to leave guest mode: a kick is a host
 * interrupt, which ends guest mode at once; only an emulator that lets
 * a guest with interrupts off keep its CPU (docs/security.md) is slower. */
#define GPT_SYNC_WAIT_US 100000

void part_gpt_sync(struct partition *p)
{
	uint64_t seq[VCPU_MAX], deadline;
	bool out = true;

	for (unsigned i = 0; i < p->nvcpus; i++) {
		if (p->vcpus[i].arch)
			vmm->gpt_changed(&p->vcpus[i]);
		/* Read after the flush request: an entry that missed it
		 * started before this read, and is waited for below. */
		__asm__ volatile("mfence" ::: "memory");
		seq[i] = p->vcpus[i].guest_seq;
	}
	sched_kick_partition(p);
	deadline = rdtsc() + (hv.tsc_khz ? hv.tsc_khz : 2000000) * GPT_SYNC_WAIT_US / 1000;
	for (unsigned i = 0; i < p->nvcpus; i++) {
		if (!(seq[i] & 1))
			continue;    /* not in guest mode: it flushes at its next entry */
		while (p->vcpus[i].guest_seq == seq[i] && rdtsc() < deadline)
			cpu_relax();
		out = out && p->vcpus[i].guest_seq != seq[i];
	}
	if (!out)
		return;      /* kept until the next sync or the teardown */
	for (unsigned i = 0; i < p->gpt_ndeferred; i++)
		page_free(p->gpt_deferred[i], 1);
	p->gpt_ndeferred = 0;
}

static void *gpt_virt(void *ctx, uint64_t phys)
{
	(void)ctx;
	return phys_to_virt(phys);
}

static const struct pt_env gpt_env = { gpt_alloc, gpt_free, gpt_virt, NULL };

int part_check_files(const struct part_config *c, char *err, size_t errlen)
{
	if (!file_find(c->kernel)) {
		snprintf(err, errlen, "kernel %s was not loaded from the ESP", c->kernel);
		return -ENOENT;
	}
	if (c->initrd[0] && !file_find(c->initrd)) {
		snprintf(err, errlen, "initrd %s was not loaded from the ESP", c->initrd);
		return -ENOENT;
	}
	for (unsigned i = 0; i < c->nmodules; i++)
		if (!file_find(c->modules[i].path)) {
			snprintf(err, errlen, "module %s was not loaded from the ESP",
				 c->modules[i].path);
			return -ENOENT;
		}
	for (unsigned i = 0; i < c->ndisks; i++)
		if (!file_find(c->disks[i].path)) {
			snprintf(err, errlen, "disk %s was not loaded from the ESP", c->disks[i].path);
			return -ENOENT;
		}
	return 0;
}

const struct bi_file *part_file(const char *path)
{
	return file_find(path);
}

/* The guest image: multiboot or flat, by the config's format or by what
 * the file looks like. */
static int load_image(struct partition *p, struct boot_state *bs)
{
	const struct part_config *c = &p->cfg;
	const struct bi_file *k = file_find(c->kernel);
	/* What the platform put in RAM before the loader runs. */
	const struct loader_range acpi = { PLAT_ACPI_GPA, PLAT_ACPI_GPA + PLAT_ACPI_SIZE,
					   "the ACPI tables" };
	struct guest_image img = { p->ram, p->ram_size, &acpi, p->plat.rsdp ? 1 : 0 };
	struct loader_module mods[PART_MAX_MODULES];
	static char args[PART_MAX_MODULES][2 * PART_PATH_MAX + 2];
	const uint8_t *data;
	enum part_format fmt = c->format;
	int r;

	if (!k) {
		snprintf(bs->err, sizeof(bs->err), "kernel %s was not loaded from the ESP", c->kernel);
		return -ENOENT;
	}
	data = phys_to_virt(k->phys);
	if (fmt == PART_FMT_AUTO)
		fmt = mb_detect(data, k->size) ? PART_FMT_MULTIBOOT :
		      linux_detect(data, k->size) ? PART_FMT_LINUX : PART_FMT_AUTO;
	switch (fmt) {
	case PART_FMT_MULTIBOOT:
		for (unsigned i = 0; i < c->nmodules; i++) {
			const struct bi_file *m = file_find(c->modules[i].path);
			if (!m) {
				snprintf(bs->err, sizeof(bs->err), "module %s was not loaded from the ESP",
					 c->modules[i].path);
				return -ENOENT;
			}
			snprintf(args[i], sizeof(args[i]), "%s%s%s", c->modules[i].path,
				 c->modules[i].args[0] ? " " : "", c->modules[i].args);
			mods[i] = (struct loader_module){ phys_to_virt(m->phys), m->size, args[i] };
		}
		r = mb_load(&img, data, k->size, c->cmdline, mods, c->nmodules, bs);
		break;
	case PART_FMT_FLAT:
		r = flat_load(&img, data, k->size, c->load_addr, bs);
		break;
	case PART_FMT_LINUX: {
		const struct bi_file *rd = c->initrd[0] ? file_find(c->initrd) : NULL;
		struct linux_layout lay = { .acpi_rsdp = p->plat.rsdp };

		if (platform_has_ecam(p)) {
			lay.ecam_base = PLAT_ECAM_GPA;
			lay.ecam_size = PLAT_ECAM_SIZE;
		}
		if (c->initrd[0] && !rd) {
			snprintf(bs->err, sizeof(bs->err), "initrd %s was not loaded from the ESP",
				 c->initrd);
			return -ENOENT;
		}
		r = linux_load(&img, data, k->size, c->cmdline,
			       rd ? phys_to_virt(rd->phys) : NULL, rd ? rd->size : 0, &lay, bs);
		break;
	}
	default:
		snprintf(bs->err, sizeof(bs->err),
			 "%s is neither a multiboot kernel nor a Linux bzImage "
			 "(set format = flat for a raw binary)", c->kernel);
		return -ENOSYS;
	}
	return r;
}

/* The partition's permission maps: everything exits but the MSRs the
 * hardware switches, the machine's PM timer (read-only, shared; see
 * vmm_init) and, for test partitions that ask, the direct test port. */
static int part_open_hw(struct partition *p)
{
	int r = vmm->part_create(p);

	if (r)
		return r;
	r = msr_part_init(p);
	if (r)
		return r;
	if (hv.pm_tmr_passthrough)
		vmm->part_io(p, hv.pm_tmr_passthrough, 4, true);
	if (p->cfg.debug_exit && p->cfg.direct_test_port)
		return platform_io_direct(p, PLAT_DIRECT_TEST_PORT, 1);
	return 0;
}

int part_start(struct partition *p, unsigned id, const struct part_config *settings)

{
	static unsigned starts[PART_MAX];
	/* Copied first: settings may be p's own (a restart). */
	const struct part_config set = *settings, *c = &p->cfg;
	struct boot_state bs;
	int r;

	/* An earlier run must have given everything back first. */
	while (p->teardown && !part_reap(p)) {
		part_unlock(p);
		cpu_relax();
		part_lock(p);
	}
	memset(p, 0, sizeof(*p));
	memset(&bs, 0, sizeof(bs));
	p->starts = id < PART_MAX ? ++starts[id] : 1;
	p->id = id;
	p->cfg = set;
	p->state = PART_RUNNING;
	p->start_tsc = rdtsc();
	if (!vmm || hv.virt_off) {
		part_stop(p, -1, "not started: %s", hv.virt_off);
		return -ENODEV;
	}
	if (!c->valid) {
		part_stop(p, -1, "not started: its section in vatra.cfg (line %u) has errors", c->line);
		return -EINVAL;
	}
	if (c->vcpus > VCPU_MAX) {
		part_stop(p, -1, "not started: %u vCPUs asked, this build runs at most %u",
			  c->vcpus, VCPU_MAX);
		return -E2BIG;
	}
	r = part_reserve(id, c, bs.err, sizeof(bs.err));
	if (r) {
		part_stop(p, -1, "not started: %s", bs.err);
		return r;
	}
	p->ram_hpa = ram_res[id].hpa;
	p->ram_size = ram_res[id].size;
	p->ram = phys_to_virt(p->ram_hpa);
	/* Nothing of an earlier run (or of whatever used this memory
	 * before) survives into this one. */
	memset(p->ram, 0, p->ram_size);
	p->gpt_env = gpt_env;
	p->gpt_env.ctx = p;
	r = pt_init(&p->gpt, vmm->gpt_format, &p->gpt_env, vmm->gpt_leaf_levels());
	if (!r) {
		p->gpt_ready = true;
		p->gpt_live = true;
		r = pt_map(&p->gpt, 0, p->ram_hpa, p->ram_size, PT_R | PT_W | PT_X | PT_USER);
	}
	if (r) {
		part_stop(p, -1, "not started: cannot build nested page tables (%s)", err_name(r));
		return r;
	}
	vuart_init(&p->uart, uart_out, p);
	p->uart.irq = uart_irq;
	testdev_reset(&p->testdev);
	r = platform_init(p);
	if (r) {
		part_stop(p, -1, "not started: its virtual PC could not be set up (%s)", err_name(r));
		return r;
	}
	r = part_open_hw(p);
	if (r) {
		part_stop(p, -1, "not started: its I/O and MSR permission maps could not be set up "
			  "(%s)", err_name(r));
		return r;
	}
	r = passthru_start(p, bs.err, sizeof(bs.err));
	if (r) {
		part_stop(p, -1, "not started: %s", bs.err);
		return r;
	}

	r = load_image(p, &bs);
	if (r) {
		part_stop(p, -1, "not started: %s", bs.err[0] ? bs.err : err_name(r));
		return r;
	}
	p->nvcpus = c->vcpus;
	for (unsigned i = 0; i < p->nvcpus; i++) {
		struct vcpu *v = &p->vcpus[i];
		v->part = p;
		v->id = i;
		v->pending_irq = -1;
		v->sipi_vector = -1;
		fpu_vcpu_reset(v);
		msr_mtrr_init(v);
		v->spec_ctrl = v->virt_spec_ctrl = 0;
		tlbtag_init(&v->tag);
		memset(v->cpuid_cache, 0, sizeof(v->cpuid_cache));
		r = vmm->vcpu_create(v);
		if (r) {
			part_stop(p, -1, "not started: cannot create vCPU %u (%s)", i, err_name(r));
			return r;
		}
		platform_vcpu_init(v);
		/* Secondary vCPUs wait for INIT and a startup IPI, as the
		 * application processors of a PC do. */
		v->state = i == 0 ? VCPU_RUNNABLE : VCPU_WAIT_SIPI;
	}
	r = vcpu_reset(&p->vcpus[0], &bs);
	if (r) {
		part_stop(p, -1, "not started: the boot vCPU state was refused (%s)", err_name(r));
		return r;
	}
	r = sched_place(p, bs.err, sizeof(bs.err));
	if (r) {
		part_stop(p, -1, "not started: %s", bs.err);
		return r;
	}
	pr_info("partition %s: started (%u vCPU%s on CPU %s, %llu MiB, %s)", part_name(p),
		p->nvcpus, p->nvcpus == 1 ? "" : "s", sched_cpus_str(p),
		(unsigned long long)(p->ram_size >> 20),
		bs.mode == BOOT_REAL16 ? "real mode" : bs.mode == BOOT_PROT32 ?
		"multiboot" : "Linux, 64-bit boot protocol");
	pr_info("partition %s: memory overhead %llu KiB (nested page tables %llu KiB, "
		"%s control blocks %u KiB, permission maps %u KiB, partition state %llu KiB)",
		part_name(p),
		(unsigned long long)((p->gpt_pages + p->nvcpus) * 4 + vmm->part_map_kib +
				     sizeof(*p) / 1024),
		(unsigned long long)(p->gpt_pages * 4), vmm->name,
		p->nvcpus * 4, vmm->part_map_kib, (unsigned long long)(sizeof(*p) / 1024));
	sched_kick_partition(p);
	return 0;
}

/* One line: exits by reason over all vCPUs, largest first. */
static void exits_report(const struct partition *p)
{
	uint64_t sum[EXIT_NREASONS] = { 0 };
	char line[256];
	size_t n = 0;
	bool used[EXIT_NREASONS] = { false };

	for (unsigned i = 0; i < p->nvcpus; i++)
		for (int r = 0; r < EXIT_NREASONS; r++)
			sum[r] += p->vcpus[i].exits[r];
	for (;;) {
		int best = -1;
		for (int r = 0; r < EXIT_NREASONS; r++)
			if (!used[r] && sum[r] && (best < 0 || sum[r] > sum[best]))
				best = r;
		if (best < 0 || n >= sizeof(line) - 32)
			break;
		used[best] = true;
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s %llu", n ? ", " : "",
				      exit_reason_name(best), (unsigned long long)sum[best]);
	}
	pr_info("partition %s: exits by reason: %s", part_name(p), line);
	if (p->cfg.unmapped == PART_UNMAPPED_IGNORE) {
		uint64_t rd = 0, wr = 0;

		for (unsigned i = 0; i < p->nvcpus; i++) {
			rd += p->vcpus[i].unmapped_reads;
			wr += p->vcpus[i].unmapped_writes;
		}
		pr_info("partition %s: unmapped accesses ignored: %llu reads, %llu writes", part_name(p),
			(unsigned long long)rd, (unsigned long long)wr);
	}
}

bool part_reap(struct partition *p)
{
	if (!p->teardown)
		return true;
	for (unsigned i = 0; i < p->nvcpus; i++)
		if (p->vcpus[i].in_slice)
			return false;
	/* Its devices first: quiesced, reset and blocked while its nested
	 * tables and permission maps still exist. */
	passthru_stop(p);
	for (unsigned i = 0; i < p->nvcpus; i++) {
		struct vcpu *v = &p->vcpus[i];
		if (v->arch && vmm)
			vmm->vcpu_destroy(v);
	}
	if (p->arch && vmm)
		vmm->part_destroy(p);
	sched_unplace(p);
	/* No vCPU is in a slice: nothing walks the tables any more. */
	p->gpt_live = false;
	for (unsigned i = 0; i < p->gpt_ndeferred; i++)
		page_free(p->gpt_deferred[i], 1);
	p->gpt_ndeferred = 0;
	if (p->gpt_ready) {
		pt_destroy(&p->gpt);
		p->gpt_ready = false;
	}
	mmu_check("after a partition's teardown");
	/* The RAM stays reserved for the next start. */
	p->ram_hpa = 0;
	p->ram = NULL;
	p->teardown = false;
	return true;
}

void part_reset(struct partition *p)
{
	if (p->state != PART_RUNNING)
		return;   /* already stopped (destroyed, powered off): stays so */
	part_stop(p, 0, "reset by the guest; starting again");
	p->restart = true;
}

void part_stop(struct partition *p, int status, const char *fmt, ...)
{
	uint64_t exits = 0;
	va_list ap;

	if (p->state == PART_STOPPED)
		return;
	if (vmm_hooks && vmm_hooks->console_flush)
		vmm_hooks->console_flush(p->id, part_name(p));
	va_start(ap, fmt);
	vsnprintf(p->stop_reason, sizeof(p->stop_reason), fmt, ap);
	va_end(ap);
	p->state = PART_STOPPED;
	p->status = status;
	p->stop_tsc = rdtsc();
	p->teardown = true;
	for (unsigned i = 0; i < p->nvcpus; i++) {
		struct vcpu *v = &p->vcpus[i];
		exits += vcpu_exits(v);
		v->state = VCPU_STOPPED;
	}
	/* Other CPUs in one of its slices leave at their next exit. */
	sched_kick_partition(p);
	part_reap(p);
	if (status < 0)
		pr_err("partition %s: %s", part_name(p), p->stop_reason);
	else
		pr_info("partition %s: %s (%llu exits)", part_name(p), p->stop_reason,
			(unsigned long long)exits);
	if (exits)
		exits_report(p);
}
