/*
 * Vatra guest test runtime: start-up, descriptor tables, traps, checks,
 * hypercalls, command line.
 */
#include "rt.h"

uint32_t rt_mb_magic;
struct mb_info *rt_mbi;
bool rt_is_amd, rt_is_intel, rt_bare;
char rt_vendor[13];
char rt_cmdline[1024];
unsigned rt_checks, rt_failures;
volatile uint32_t rt_irq_count[256];
volatile uint64_t rt_trap_vec, rt_trap_err, rt_trap_rip, rt_trap_cr2;
volatile uint64_t rt_trap_rcx, rt_trap_rsi, rt_trap_rdi;

uint64_t rt_pml4[512] __attribute__((aligned(4096)));
uint64_t rt_pdpt[512] __attribute__((aligned(4096)));
uint64_t rt_pd[4][512] __attribute__((aligned(4096)));

/* Defined in boot.asm. */
extern const uint64_t rt_isr_table[256];
extern uint64_t rt_try_buf[9];
extern volatile uint8_t rt_try_active;
noreturn void rt_user_enter(void (*fn)(void), uint64_t user_rsp);

struct rt_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vec, err, rip, cs, rflags, rsp, ss;
};

/* ---- GDT, TSS, IDT ------------------------------------------------------ */

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iopb;
} packed;

struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
} packed;

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} packed;

static uint64_t gdt[8];
static struct tss64 tss;
static struct idt_gate idt[256];
static uint8_t kernel_trap_stack[8192] __attribute__((aligned(16)));
static uint8_t user_stack[4096] __attribute__((aligned(16)));

static void setup_cpu_tables(void)
{
	uint64_t t = (uint64_t)&tss;

	gdt[0] = 0;
	gdt[1] = 0x00AF9A000000FFFFull; /* 0x08 kernel code, 64-bit */
	gdt[2] = 0x00CF92000000FFFFull; /* 0x10 kernel data */
	gdt[3] = 0x00CFF2000000FFFFull; /* 0x18 user data, DPL 3 */
	gdt[4] = 0x00AFFA000000FFFFull; /* 0x20 user code, 64-bit, DPL 3 */
	gdt[5] = (sizeof(tss) - 1) | (t & 0xffffff) << 16 | 0x89ull << 40 |
		 ((t >> 24) & 0xff) << 56; /* 0x28 available 64-bit TSS */
	gdt[6] = t >> 32;
	tss.rsp[0] = (uint64_t)kernel_trap_stack + sizeof(kernel_trap_stack);
	tss.iopb = sizeof(tss); /* no I/O bitmap: IN/OUT at CPL 3 fault */

	struct desc_ptr g = {sizeof(gdt) - 1, (uint64_t)gdt};
	asm volatile("lgdt %0\n\t"
		     "pushq $0x08\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:\n\t"
		     "movw $0x10, %%ax\n\t"
		     "movw %%ax, %%ds\n\t"
		     "movw %%ax, %%es\n\t"
		     "movw %%ax, %%ss\n\t"
		     "movw $0x28, %%ax\n\t"
		     "ltr %%ax"
		     :
		     : "m"(g)
		     : "rax", "memory");

	for (int v = 0; v < 256; v++) {
		uint64_t a = rt_isr_table[v];
		idt[v] = (struct idt_gate){
			.off0 = a & 0xffff,
			.sel = SEL_KCODE,
			.type = 0x8e, /* present, DPL 0, 64-bit interrupt gate */
			.off1 = (a >> 16) & 0xffff,
			.off2 = a >> 32,
		};
	}
	struct desc_ptr i = {sizeof(idt) - 1, (uint64_t)idt};
	asm volatile("lidt %0" ::"m"(i));
}

uint64_t *rt_pde(uint64_t va)
{
	return &rt_pd[(va >> 30) & 3][(va >> 21) & 511];
}

/* ---- traps -------------------------------------------------------------- */

uint32_t rt_irq_total(void)
{
	uint32_t n = 0;
	for (int v = 32; v < 256; v++)
		n += rt_irq_count[v];
	return n;
}

bool (*rt_exc_hook)(uint64_t vec, uint64_t err, uint64_t *rip, uint64_t *rflags);
bool (*rt_irq_hook)(uint64_t vec);

void rt_set_ist(int vec, int ist, uint64_t top)
{
	if (ist)
		tss.ist[ist - 1] = top;
	idt[vec & 255].ist = (uint8_t)ist;
}

void rt_set_tss_ist(int ist, uint64_t top)
{
	if (ist >= 1 && ist <= 7)
		tss.ist[ist - 1] = top;
}

void rt_trap(struct rt_frame *f)
{
	if (f->vec >= 32) {
		rt_irq_count[f->vec]++;
		/* A hook returning true ends the running rt_try (a watchdog). */
		if (!rt_irq_hook || !rt_irq_hook(f->vec) || !rt_try_active)
			return;
	} else if (rt_exc_hook && rt_exc_hook(f->vec, f->err, &f->rip, &f->rflags)) {
		return;
	}
	rt_trap_vec = f->vec;
	rt_trap_err = f->err;
	rt_trap_rip = f->rip;
	rt_trap_cr2 = read_cr2();
	rt_trap_rcx = f->rcx;
	rt_trap_rsi = f->rsi;
	rt_trap_rdi = f->rdi;
	if (rt_try_active) { /* longjmp back into rt_try, returning vec + 1 */
		rt_try_active = 0;
		f->rbx = rt_try_buf[0];
		f->rbp = rt_try_buf[1];
		f->r12 = rt_try_buf[2];
		f->r13 = rt_try_buf[3];
		f->r14 = rt_try_buf[4];
		f->r15 = rt_try_buf[5];
		f->rsp = rt_try_buf[6];
		f->rip = rt_try_buf[7];
		f->rflags = rt_try_buf[8];
		f->cs = SEL_KCODE;
		f->ss = SEL_KDATA;
		f->rax = f->vec + 1;
		return;
	}
	rt_printf("\nUNEXPECTED EXCEPTION vec %lu err 0x%lx rip 0x%lx cr2 0x%lx\n",
		  f->vec, f->err, f->rip, rt_trap_cr2);
	rt_exit(3);
}

static void user_trampoline(void *fn)
{
	rt_user_enter((void (*)(void))fn, (uint64_t)user_stack + sizeof(user_stack) - 8);
}

int rt_user_run(void (*fn)(void))
{
	return rt_try(user_trampoline, (void *)fn);
}

/* ---- console, checks, exit ---------------------------------------------- */

void rt_putc(char c)
{
	for (int i = 0; i < 100000 && !(inb(0x3fd) & 0x20); i++)
		;
	outb(0x3f8, c);
}

void rt_puts(const char *s)
{
	while (*s)
		rt_putc(*s++);
}

bool rt_expect(bool ok, const char *file, int line, const char *expr)
{
	rt_checks++;
	if (!ok) {
		rt_failures++;
		rt_printf("FAIL %s:%d: %s\n", file, line, expr);
	}
	return ok;
}

bool rt_expect_eq(uint64_t got, uint64_t want, const char *file, int line, const char *expr)
{
	rt_checks++;
	if (got != want) {
		rt_failures++;
		rt_printf("FAIL %s:%d: %s: got 0x%lx want 0x%lx\n", file, line, expr, got, want);
	}
	return got == want;
}

noreturn void rt_exit(unsigned status)
{
	outb(0xf4, status);
	for (;;)
		asm volatile("cli; hlt");
}

noreturn void rt_done(void)
{
	if (rt_failures == 0) {
		rt_printf("PASS: %u checks\n", rt_checks);
		rt_exit(0);
	}
	rt_printf("FAIL: %u of %u checks failed\n", rt_failures, rt_checks);
	rt_exit(1);
}

/* ---- hypercalls --------------------------------------------------------- */

long rt_hypercall(long nr, long a1, long a2, long a3, long a4)
{
	long ret;
	if (rt_is_amd)
		asm volatile("vmmcall"
			     : "=a"(ret)
			     : "a"(nr), "b"(a1), "c"(a2), "d"(a3), "S"(a4)
			     : "memory");
	else
		asm volatile("vmcall"
			     : "=a"(ret)
			     : "a"(nr), "b"(a1), "c"(a2), "d"(a3), "S"(a4)
			     : "memory");
	return ret;
}

/* ---- command line -------------------------------------------------------- */

/* Finds the word starting with prefix (the whole word if exact). */
static const char *find_word(const char *prefix, bool exact)
{
	size_t n = strlen(prefix);
	for (const char *p = rt_cmdline; *p;) {
		while (*p == ' ')
			p++;
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		size_t len = p - w;
		if (len >= n && !strncmp(w, prefix, n) && (!exact || len == n))
			return w + n;
	}
	return NULL;
}

bool rt_has_flag(const char *flag)
{
	return find_word(flag, true) != NULL;
}

bool rt_parse_ul(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			d = (*s | 0x20) - 'a' + 10;
		else
			break;
		v = v * base + d;
	}
	switch (*s) {
	case 'K': v <<= 10; s++; break;
	case 'M': v <<= 20; s++; break;
	case 'G': v <<= 30; s++; break;
	}
	*out = v;
	return *s == 0;
}

bool rt_arg_str(const char *prefix, char *buf, size_t size)
{
	const char *v = find_word(prefix, false);
	if (!v || size == 0)
		return false;
	size_t i = 0;
	while (v[i] && v[i] != ' ' && i + 1 < size) {
		buf[i] = v[i];
		i++;
	}
	buf[i] = 0;
	return true;
}

uint64_t rt_arg_ul(const char *prefix, uint64_t def)
{
	char buf[32];
	uint64_t v;
	if (!rt_arg_str(prefix, buf, sizeof(buf)))
		return def;
	if (!rt_parse_ul(buf, &v)) {
		rt_printf("bad number in %s%s, using %lu\n", prefix, buf, def);
		return def;
	}
	return v;
}

/* ---- start ---------------------------------------------------------------- */

void rt_start(uint32_t magic, uint32_t info)
{
	struct cpuid_regs r = cpuid(0, 0);

	memcpy(rt_vendor + 0, &r.ebx, 4);
	memcpy(rt_vendor + 4, &r.edx, 4);
	memcpy(rt_vendor + 8, &r.ecx, 4);
	rt_is_intel = !strcmp(rt_vendor, "GenuineIntel");
	rt_is_amd = !strcmp(rt_vendor, "AuthenticAMD") || !strcmp(rt_vendor, "HygonGenuine");

	setup_cpu_tables();

	rt_mb_magic = magic;
	if (magic == MB_BOOT_MAGIC) {
		rt_mbi = (struct mb_info *)(uint64_t)info;
		if (rt_mbi->flags & MBI_CMDLINE) {
			const char *c = (const char *)(uint64_t)rt_mbi->cmdline;
			size_t i = 0;
			while (c[i] && i + 1 < sizeof(rt_cmdline)) {
				rt_cmdline[i] = c[i];
				i++;
			}
			rt_cmdline[i] = 0;
		}
	}
	rt_bare = rt_has_flag("bare");

	rt_exit(main(magic, info));
}
