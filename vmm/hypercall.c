/* The hypercall ABI of docs/hypercalls.md: RAX = number, RBX RCX RDX RSI
 * = arguments, result in RAX. Unknown numbers return -ENOSYS. */
#include "vmm/vcpu.h"
#include "vmm/vmm_ops.h"
#include "lib/string.h"
#include "lib/strutil.h"
#include "lib/errno.h"
#include "include/vatra/hotpath.h"

enum {
	HC_VERSION = 0,
	HC_CONSOLE_WRITE = 1,
	HC_PARTITION_INFO = 2,
	HC_YIELD = 3,
	HC_TEST_INJECT = 0x100,
	HC_TEST_IO_EXITS = 0x101,
};

#define HC_INTERFACE_VERSION 0x00010000
#define HC_CONSOLE_MAX 4096

struct vatra_pinfo {
	uint32_t version;
	uint32_t id;
	char name[32];
	uint64_t memory;
	uint32_t vcpus;
	uint32_t vcpu;
	uint32_t starts;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct vatra_pinfo) == 64, "docs/hypercalls.md layout");

static int64_t hc_console(struct vcpu *v, uint64_t gpa, uint64_t len)
{
	const uint8_t *s;

	if (len > HC_CONSOLE_MAX)
		return -EINVAL;
	s = gpa_ptr(v->part, gpa, len);
	if (!s)
		return -EFAULT;
	for (uint64_t i = 0; i < len; i++)
		part_console_putc(v->part, s[i]);
	return (int64_t)len;
}

static int64_t hc_info(struct vcpu *v, uint64_t gpa, uint64_t size)
{
	struct vatra_pinfo *pi;

	if (size < sizeof(*pi))
		return -EINVAL;
	pi = gpa_ptr(v->part, gpa, sizeof(*pi));
	if (!pi)
		return -EFAULT;
	memset(pi, 0, sizeof(*pi));
	pi->version = 1;
	pi->id = v->part->id;
	str_copy(pi->name, part_name(v->part), sizeof(pi->name));
	pi->memory = v->part->ram_size;
	pi->vcpus = v->part->nvcpus;
	pi->vcpu = v->id;
	pi->starts = v->part->starts;
	return 0;
}

static int64_t hc_inject(struct vcpu *v, uint64_t vector)
{
	if (!v->part->cfg.debug_exit)
		return -EPERM;
	if (vector < 32 || vector > 255)
		return -EINVAL;
	v->pending_irq = (int)vector;
	return 0;
}

/* Test partitions count their own port I/O exits: what proves a port
 * direct (no exit) or trapped. */
static int64_t hc_io_exits(struct vcpu *v)
{
	if (!v->part->cfg.debug_exit)
		return -EPERM;
	return (int64_t)v->exits[EXIT_IO];
}

/* VERSION answers from a constant; the others reach the console, guest
 * memory shared with other vCPUs' hypercalls, or interrupt state. */
EXIT_PATH bool hypercall_private(const struct vcpu *v)
{
	return (uint32_t)v->regs.gpr[REG_RAX] == HC_VERSION;
}

EXIT_PATH int hypercall_exit(struct vcpu *v, const struct vm_exit *e)
{
	struct guest_ctl c;
	uint64_t *g = v->regs.gpr;
	uint64_t mask, nr, a1, a2;
	int64_t r;

	vmm->get_ctl(v, &c);
	if (e->inst_len)
		v->regs.rip += e->inst_len;
	else
		vcpu_skip_decode_ctl(v, &c, 3);
	/* Outside 64-bit mode only the low halves are defined. */
	mask = c.mode == MODE_LONG64 ? ~0ULL : 0xffffffffULL;
	nr = g[REG_RAX] & mask;
	a1 = g[REG_RBX] & mask;
	a2 = g[REG_RCX] & mask;
	if (c.cpl) {
		r = -EPERM;
	} else {
		switch (nr) {
		case HC_VERSION:
			r = HC_INTERFACE_VERSION;
			break;
		case HC_CONSOLE_WRITE:
			r = hc_console(v, a1, a2);
			break;
		case HC_PARTITION_INFO:
			r = hc_info(v, a1, a2);
			break;
		case HC_YIELD:
			v->yield = true;
			r = 0;
			break;
		case HC_TEST_INJECT:
			r = hc_inject(v, a1);
			break;
		case HC_TEST_IO_EXITS:
			r = hc_io_exits(v);
			break;
		default:
			r = -ENOSYS;
		}
	}
	g[REG_RAX] = (uint64_t)r & mask;
	return 0;
}
