/* Port I/O: a dispatch table of the partition's devices. Ports no device
 * claims read as all ones and ignore writes, as on a PC bus with nothing
 * behind the address. */
#include "vmm/vcpu.h"
#include "vmm/vmm_ops.h"
#include "vmm/platform.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/errno.h"

#define DEBUG_EXIT_PORT 0xf4

struct port_range {
	uint16_t base, len;
	/* One access of size bytes; in: fill *val. */
	void (*access)(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *val);
	bool test_only;     /* only for partitions with debug_exit = yes */
};

static void com1(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *val)
{
	struct vuart *u = &v->part->uart;

	/* Wider accesses reach consecutive registers, byte by byte. */
	if (in) {
		*val = 0;
		for (unsigned i = 0; i < size; i++)
			*val |= (uint32_t)vuart_read(u, (port - 0x3f8 + i) & 7) << (8 * i);
	} else {
		for (unsigned i = 0; i < size; i++)
			vuart_write(u, (port - 0x3f8 + i) & 7, (uint8_t)(*val >> (8 * i)));
	}
}

static void debug_exit(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *val)
{
	(void)port;
	(void)size;
	if (in) {
		*val = 0xffffffff;
		return;
	}
	part_stop(v->part, *val & 0xff, "exited with status %u (debug-exit)", *val & 0xff);
}

static const struct port_range ports[] = {
	{ 0x3f8, 8, com1, false },
	{ DEBUG_EXIT_PORT, 4, debug_exit, true },
};

static void port_access(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *val)
{
	if (!platform_io(v, port, size, in, val))
		return;
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		const struct port_range *r = &ports[i];
		if (port < r->base || port >= r->base + r->len)
			continue;
		if (r->test_only && !v->part->cfg.debug_exit)
			break;
		r->access(v, port, size, in, val);
		return;
	}
	if (in)
		*val = size == 4 ? 0xffffffff : (1u << (8 * size)) - 1;
}

/* INS/OUTS: the whole repetition in one exit, at most 4096 elements, so a
 * huge count cannot hold the CPU (the guest re-executes the rest). */
static int string_io(struct vcpu *v, const struct vm_exit *e)
{
	uint64_t mask = e->io.addr_size == 8 ? ~0ULL : e->io.addr_size == 4 ? 0xffffffffULL : 0xffff;
	uint64_t count = e->io.rep ? v->regs.gpr[REG_RCX] & mask : 1;
	int reg = e->io.in ? REG_RDI : REG_RSI;
	uint64_t base = vmm->seg_base(v, e->io.in ? SEG_ES : e->io.seg);
	int64_t step = (v->regs.rflags & RFLAGS_DF) ? -(int64_t)e->io.size : e->io.size;
	unsigned done = 0;

	while (count && done < 4096 && v->part->state == PART_RUNNING) {
		uint64_t off = v->regs.gpr[reg] & mask;
		uint32_t val = 0;

		if (e->io.in) {
			port_access(v, e->io.port, e->io.size, true, &val);
			if (gla_write(v, base + off, &val, e->io.size))
				goto fault;
		} else {
			if (gla_read(v, base + off, &val, e->io.size))
				goto fault;
			port_access(v, e->io.port, e->io.size, false, &val);
		}
		v->regs.gpr[reg] = (v->regs.gpr[reg] & ~mask) | ((off + step) & mask);
		count--;
		done++;
		if (e->io.rep)
			v->regs.gpr[REG_RCX] = (v->regs.gpr[REG_RCX] & ~mask) | count;
	}
	if (!count)
		vcpu_skip(v, e, 1);
	return 0;
fault:
	vcpu_fail(v, "string I/O to port %#x with a buffer outside guest RAM", e->io.port);
	return 0;
}

int io_exit(struct vcpu *v, const struct vm_exit *e)
{
	uint32_t val;

	if (e->io.string)
		return string_io(v, e);
	val = (uint32_t)v->regs.gpr[REG_RAX];
	port_access(v, e->io.port, e->io.size, e->io.in, &val);
	if (v->part->state != PART_RUNNING)
		return 0;
	if (e->io.in) {
		/* 8/16-bit IN merges into AL/AX; 32-bit zero-extends. */
		uint64_t mask = e->io.size == 4 ? ~0ULL : (1ULL << (8 * e->io.size)) - 1;
		if (e->io.size == 4)
			v->regs.gpr[REG_RAX] = val;
		else
			v->regs.gpr[REG_RAX] = (v->regs.gpr[REG_RAX] & ~mask) | (val & mask);
	}
	vcpu_skip(v, e, 1);
	return 0;
}
