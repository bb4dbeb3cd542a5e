/*
 * oob: touches a guest-physical address outside RAM and every device; Vatra
 * must stop the partition ("partition NAME: stopped: ..."). Prints
 * `touching guest-physical ADDR` first. If the access completes, prints
 * `FAIL: read returned` (or `write`) and exits 1.
 *   addr=0x...  the address (default 0x40000000; below 4 GiB: identity-mapped)
 *   write       write to it instead of reading
 *   bounds      the edges of RAM instead: the first byte, the last byte and
 *               the last 8 bytes are written and read back (they are RAM
 *               and must behave as RAM), then the first byte past RAM is
 *               touched, which must stop the partition
 *   ignore      (REP OUTSB from there reads 0xff, REP INSB there is
 *               dropped: one read and one write more)
 *               the partition has `unmapped = ignore`: 1-, 2-, 4- and
 *               8-byte reads return all ones, a 4- and an 8-byte write are
 *               dropped (a read after them still sees all ones): 6 reads,
 *               2 writes, each counted by Vatra; ends with PASS
 * Under bare QEMU the read returns (there is no Vatra to stop it): exit 1.
 */
#include "rt.h"

/* A byte at guest-physical a, also a = 0, without a C null dereference. */
static uint8_t peek8(uint64_t a)
{
	uint8_t v;

	asm volatile("movb (%1), %0" : "=q"(v) : "r"(a) : "memory");
	return v;
}

static void poke8(uint64_t a, uint8_t v)
{
	asm volatile("movb %1, (%0)" : : "r"(a), "q"(v) : "memory");
}

static void ram_edges(uint64_t mem)
{
	uint8_t first = peek8(0);

	poke8(0, 0xa5);
	EXPECT_EQ(peek8(0), 0xa5);
	poke8(0, first);
	poke8(mem - 1, 0x5a);
	EXPECT_EQ(peek8(mem - 1), 0x5a);
	*(volatile uint64_t *)(mem - 8) = 0x0123456789abcdefULL;
	EXPECT_EQ(*(volatile uint64_t *)(mem - 8), 0x0123456789abcdefULL);
	EXPECT_EQ(peek8(mem - 1), 0x01);
	rt_printf("oob: RAM from 0x0 to 0x%lx reads back (%u failures)\n", mem - 1, rt_failures);
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;
	uint64_t addr = rt_arg_ul("addr=", 0x40000000);
	bool write = rt_has_flag("write");

	if (rt_has_flag("bounds")) {
		uint64_t mem = (uint64_t)(rt_mbi->mem_upper + 1024) * 1024;

		ram_edges(mem);
		addr = mem;
	}
	if (addr >= 1ull << 32) {
		rt_printf("oob: addr 0x%lx is not below 4 GiB (not mapped)\n", addr);
		rt_exit(2);
	}
	if (rt_has_flag("ignore")) {
		volatile uint8_t *p = (volatile uint8_t *)addr;

		rt_printf("oob: ignored accesses at 0x%lx: 7 reads, 3 writes\n", addr);
		EXPECT_EQ(*p, 0xff);
		EXPECT_EQ(*(volatile uint16_t *)p, 0xffff);
		EXPECT_EQ(*(volatile uint32_t *)p, 0xffffffffu);
		EXPECT_EQ(*(volatile uint64_t *)p, ~0ull);
		*(volatile uint32_t *)p = 0x0badf00d;
		*(volatile uint64_t *)(p + 8) = 0;
		EXPECT_EQ(*(volatile uint32_t *)p, 0xffffffffu);
		EXPECT_EQ(*(volatile uint64_t *)(p + 8), ~0ull);
		/* String I/O with its buffer there: OUTSB reads a 0xff (into
		 * the COM1 scratch register), INSB's byte is dropped. */
		{
			uint64_t si = addr + 16, di = addr + 24, n = 1;
			outb(0x3ff, 0x12);
			asm volatile("rep outsb" : "+S"(si), "+c"(n) : "d"((uint16_t)0x3ff) : "memory");
			EXPECT_EQ(inb(0x3ff), 0xff);
			EXPECT_EQ(si, addr + 17);
			n = 1;
			asm volatile("rep insb" : "+D"(di), "+c"(n) : "d"((uint16_t)0x2f0) : "memory");
			EXPECT_EQ(di, addr + 25);
			EXPECT_EQ(n, 0);
		}
		rt_done();
	}
	rt_printf("touching guest-physical 0x%lx (%s)\n", addr, write ? "write" : "read");
	if (write) {
		poke8(addr, 0x0d);
		rt_printf("FAIL: write returned\n");
	} else {
		uint8_t v = peek8(addr);
		rt_printf("FAIL: read returned 0x%x\n", v);
	}
	rt_exit(1);
}
