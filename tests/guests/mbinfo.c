/*
 * mbinfo: the Multiboot v1 information Vatra hands a kernel.
 *   - EAX magic 0x2BADB002; flags have mem, cmdline, mmap (and mods when
 *     there are modules)
 *   - mem_lower 639 (= the [0, 0x9fc00) entry), mem_upper = (mem - 1 MiB)
 *     / 1024 for mem=SIZE from the cmdline (default 16M)
 *   - the cmdline: in RAM, NUL-terminated, no leading/trailing blanks, not
 *     prefixed with the kernel path; printed as `mbinfo: cmdline "..."` for
 *     the test script to compare with the configuration
 *   - the memory map: available exactly [0, 0x9fc00) and [1 MiB, mem),
 *     no overlapping entries
 *   - modules: mods=N of them; each page-aligned, in RAM, clear of the
 *     kernel and of each other; module K (K from 0) is a text file whose
 *     first line is `module K` and last line `end of module K`, without
 *     NUL bytes; its string starts with its path
 *   - none of the information (the info structure, the cmdline, the
 *     memory map, the module list and strings) lies in the kernel's own
 *     image [__image_start, __bss_end), wherever the kernel was linked
 *     (also built linked at 0x10000 and 0x1000: tests/guests/Makefile)
 * Flag `bare` (QEMU -kernel): the cmdline starts with the kernel path and
 * the BIOS keeps the top of RAM: those are allowed.
 */
#include "rt.h"

extern char __image_start[], __bss_end[];

/* Whether [a, a + len) stays clear of the kernel's image. */
static bool clear_of_image(uint64_t a, uint64_t len)
{
	return a + len <= (uint64_t)__image_start || a >= (uint64_t)__bss_end;
}

static bool in_ram(uint64_t a, uint64_t len, uint64_t mem)
{
	return a < mem && len <= mem - a;
}

static void check_cmdline(uint64_t mem)
{
	const char *c = (const char *)(uint64_t)rt_mbi->cmdline;
	size_t n = 0;
	while (n < 4096 && c[n])
		n++;
	rt_printf("mbinfo: cmdline \"%s\"\n", rt_cmdline);
	EXPECT(in_ram(rt_mbi->cmdline, n + 1, mem));
	EXPECT(n < 4096);
	EXPECT(n > 0 && c[0] != ' ' && c[n - 1] != ' ');
	if (!rt_bare)
		EXPECT(c[0] != '/');
}

static void check_mmap(uint64_t mem)
{
	struct {
		uint64_t start, end;
		uint32_t type;
	} e[32];
	int n = 0;
	uint64_t p = rt_mbi->mmap_addr, end = p + rt_mbi->mmap_length;

	EXPECT(in_ram(p, rt_mbi->mmap_length, mem));
	while (p < end && n < 32) {
		struct mb_mmap *m = (struct mb_mmap *)p;
		rt_printf("mbinfo: mmap [0x%lx, 0x%lx) type %u\n", m->addr, m->addr + m->len, m->type);
		EXPECT(m->size >= 20);
		e[n].start = m->addr;
		e[n].end = m->addr + m->len;
		e[n].type = m->type;
		n++;
		p += m->size + 4;
	}
	EXPECT_EQ(p, end);

	int avail = 0;
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < i; j++)
			if (!EXPECT(e[i].end <= e[j].start || e[j].end <= e[i].start))
				rt_printf("  entries %d and %d overlap\n", j, i);
		if (e[i].type != 1)
			continue;
		avail++;
		if (e[i].start == 0) {
			EXPECT_EQ(e[i].end, 0x9fc00);
		} else {
			EXPECT_EQ(e[i].start, 0x100000);
			if (rt_bare)
				EXPECT(e[i].end <= mem && e[i].end > mem - 0x100000);
			else
				EXPECT_EQ(e[i].end, mem);
		}
	}
	EXPECT_EQ(avail, 2);
}

/* A test module is a text file: first line "module K", last line
 * "end of module K", no NUL bytes (a lost or extra tail shows). */
static bool module_text_ok(const char *t, uint64_t len, unsigned k)
{
	char head[16] = "module ", tail[24] = "end of module ";
	int hn = 7, tn = 14;
	if (k >= 10) {
		head[hn++] = '0' + k / 10 % 10;
		tail[tn++] = '0' + k / 10 % 10;
	}
	head[hn++] = '0' + k % 10;
	tail[tn++] = '0' + k % 10;
	head[hn++] = '\n';
	tail[tn++] = '\n';
	if (len < (uint64_t)(hn + tn) || memcmp(t, head, hn) || memcmp(t + len - tn, tail, tn))
		return false;
	for (uint64_t i = 0; i < len; i++)
		if (t[i] == 0)
			return false;
	return true;
}

static void check_modules(uint64_t mem)
{
	uint64_t want = rt_arg_ul("mods=", 0);
	uint32_t count = (rt_mbi->flags & MBI_MODS) ? rt_mbi->mods_count : 0;

	EXPECT_EQ(count, want);
	if (want)
		EXPECT(rt_mbi->flags & MBI_MODS);
	if (count > 16)
		count = 16;
	struct mb_module *mods = (struct mb_module *)(uint64_t)rt_mbi->mods_addr;
	if (count)
		EXPECT(in_ram(rt_mbi->mods_addr, count * sizeof(*mods), mem));
	for (unsigned i = 0; i < count; i++) {
		struct mb_module *m = &mods[i];
		const char *s = (const char *)(uint64_t)m->string;
		const char *t = (const char *)(uint64_t)m->mod_start;
		uint64_t len = m->mod_end - m->mod_start;
		size_t line = 0;
		while (line < len && line < 40 && t[line] != '\n')
			line++;
		rt_printf("mbinfo: module %u [0x%x, 0x%x) \"%s\": %.*s\n", i, m->mod_start,
			  m->mod_end, m->string ? s : "", (int)line, t);
		bool ok = EXPECT_EQ(m->mod_start & 0xfff, 0);
		ok &= EXPECT(m->mod_end > m->mod_start && in_ram(m->mod_start, len, mem));
		ok &= EXPECT(m->mod_start >= (uint64_t)__bss_end || m->mod_end <= 0x100000);
		for (unsigned j = 0; j < i; j++)
			ok &= EXPECT(m->mod_end <= mods[j].mod_start || mods[j].mod_end <= m->mod_start);
		ok &= EXPECT(m->string && in_ram(m->string, 1, mem));
		if (!ok)
			continue;
		EXPECT(s[0] != 0 && s[0] != ' ');
		if (!rt_bare)
			EXPECT_EQ(s[0], '/');
		if (!EXPECT(module_text_ok(t, len, i)))
			rt_printf("  module %u: not \"module %u\" ... \"end of module %u\"\n", i, i, i);
	}
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_info;
	rt_printf("mbinfo: magic 0x%x info 0x%lx\n", mb_magic, mb_info);
	if (!EXPECT_EQ(mb_magic, MB_BOOT_MAGIC) || !EXPECT(rt_mbi != NULL))
		rt_done();

	uint64_t mem = rt_arg_ul("mem=", 16 << 20);
	uint32_t f = rt_mbi->flags;
	rt_printf("mbinfo: flags 0x%x mem_lower %u mem_upper %u (mem=%luK)\n", f,
		  rt_mbi->mem_lower, rt_mbi->mem_upper, mem >> 10);
	EXPECT(f & MBI_MEM);
	EXPECT(f & MBI_CMDLINE);
	EXPECT(f & MBI_MMAP);
	EXPECT(in_ram(mb_info, sizeof(struct mb_info), mem));
	rt_printf("mbinfo: kernel image [0x%lx, 0x%lx), info at 0x%lx\n",
		  (uint64_t)__image_start, (uint64_t)__bss_end, mb_info);
	EXPECT(clear_of_image(mb_info, sizeof(struct mb_info)));
	if (f & MBI_CMDLINE)
		EXPECT(clear_of_image(rt_mbi->cmdline, 1));
	if (f & MBI_MMAP)
		EXPECT(clear_of_image(rt_mbi->mmap_addr, rt_mbi->mmap_length));
	if (f & MBI_MODS) {
		const struct mb_module *m = (const struct mb_module *)(uint64_t)rt_mbi->mods_addr;
		EXPECT(clear_of_image(rt_mbi->mods_addr, rt_mbi->mods_count * 16));
		for (uint32_t i = 0; i < rt_mbi->mods_count; i++)
			EXPECT(clear_of_image(m[i].string, 1));
	}
	EXPECT_EQ(rt_mbi->mem_lower, 0x9fc00 / 1024); /* 639: the low mmap entry */
	if (rt_bare)
		EXPECT(rt_mbi->mem_upper <= (mem - 0x100000) / 1024 &&
		       rt_mbi->mem_upper > (mem - 0x200000) / 1024);
	else
		EXPECT_EQ(rt_mbi->mem_upper, (mem - 0x100000) / 1024);
	if (f & MBI_CMDLINE)
		check_cmdline(mem);
	if (f & MBI_MMAP)
		check_mmap(mem);
	check_modules(mem);
	rt_done();
}
