/* Port I/O exits. Ports no device claims read as all ones and ignore
 * writes, as on a PC bus with nothing behind the address. */
#include "vmm/vcpu.h"
#include "vmm/vmm_ops.h"
#include "vmm/platform.h"
#include "vmm/gla.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/errno.h"
#include "include/vatra/hotpath.h"

/* Every device of the partition's PC decodes through one registry
 * (vmm/platform.c); nothing there reads as all ones. */
static void port_access(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *val)
{
	if (platform_io(v, port, size, in, val) && in)
		*val = size == 4 ? 0xffffffff : (1u << (8 * size)) - 1;
}

/* INS/OUTS: the whole repetition in one exit, at most 4096 elements, so a
 * huge count cannot hold the CPU (the guest re-executes the rest). Each
 * element's memory side goes through the guest's paging with the rights
 * of the access; INS checks its destination before reading the port, so a
 * fault has no device side effect. A fault ends the exit with the
 * registers of the elements done and RIP on the instruction, and the
 * guest takes it (SDM Vol. 2B, REP: a fault mid-REP leaves the state
 * for a restart). Out of line: io_exit's one-port exits, the common
 * ones, need no frame for it. */
static __attribute__((noinline)) int string_io(struct vcpu *v, const struct vm_exit *e)
{
	uint64_t mask = e->io.addr_size == 8 ? ~0ULL : e->io.addr_size == 4 ? 0xffffffffULL : 0xffff;
	uint64_t count = e->io.rep ? v->regs.gpr[REG_RCX] & mask : 1;
	int reg = e->io.in ? REG_RDI : REG_RSI;
	uint64_t base = vmm->seg_base(v, e->io.in ? SEG_ES : e->io.seg);
	int64_t step = (v->regs.rflags & RFLAGS_DF) ? -(int64_t)e->io.size : e->io.size;
	unsigned done = 0;
	struct gla_fault f;

	while (count && done < 4096 && v->part->state == PART_RUNNING) {
		uint64_t off = v->regs.gpr[reg] & mask, gla = base + off;
		uint32_t val = 0;

		if (e->io.in) {
			if (gla_write(v, gla, NULL, e->io.size, &f))
				goto fault;
			port_access(v, e->io.port, e->io.size, true, &val);
			if (gla_write(v, gla, &val, e->io.size, &f))
				goto fault;
		} else {
			if (gla_read(v, gla, &val, e->io.size, GWALK_READ, &f))
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
	gla_raise(v, &f, e->io.in ? "INS" : "OUTS");
	return 0;
}

EXIT_PATH int io_exit(struct vcpu *v, const struct vm_exit *e)
{
	uint32_t val;

	if (e->io.string)
		return string_io(v, e);
	val = (uint32_t)v->regs.gpr[REG_RAX];
	/* Without the lock only what platform_port_private found comes
	 * here (exit_private): a port that stays what it was found, whatever
	 * a BAR move on another vCPU registers there meanwhile, and
	 * CONFIG_ADDRESS or a function that was not there. */
	if (v->unlocked_exit)
		val = platform_port_private_io(v->part, e->io.port, e->io.size, e->io.in, val);
	else
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
