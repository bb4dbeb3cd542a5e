/*
 * hcall: the hypercall interface (docs/hypercalls.md).
 *   - VERSION = 0x10000, the same as CPUID 0x40000001 EAX
 *   - CONSOLE_WRITE "hello from a hypercall\n" returns its length (the line
 *     shows on the console); longer than 4096 -> -EINVAL; a buffer not
 *     wholly in RAM (past the end, straddling it, the test device,
 *     wrapping around) -> -EFAULT
 *   - PARTITION_INFO: version 1, name = the cmdline's name=, memory = the
 *     multiboot memory size, 1 vCPU, vcpu 0, nothing written past 64
 *     bytes; outside RAM -> -EFAULT; optional id=N checks the id
 *   - YIELD returns 0; an unknown number returns -ENOSYS
 *   - every register but RAX is preserved
 *   - from CPL 3 a call fails with -EPERM
 * Flag `bare`: only check that the CPL 3 machinery works, then pass.
 */
#include "rt.h"

static volatile long user_ret[2];
static volatile uint16_t user_cs;

static void user_fn(void)
{
	asm volatile("movw %%cs, %0" : "=r"(user_cs));
	if (!rt_bare) {
		user_ret[0] = rt_hypercall(HC_VERSION, 0, 0, 0, 0);
		user_ret[1] = rt_hypercall(HC_CONSOLE_WRITE, (long)"user\n", 5, 0, 0);
	}
	asm volatile("hlt"); /* #GP at CPL 3: back to rt_user_run */
}

static uint64_t ram_size(void)
{
	if (!rt_mbi || !(rt_mbi->flags & MBI_MEM))
		return 0;
	return ((uint64_t)rt_mbi->mem_upper + 1024) * 1024;
}

static void test_registers(long nr, long want)
{
	struct rt_regs r = {
		.rax = nr, .rbx = 0x1111111111111111, .rcx = 0x2222222222222222,
		.rdx = 0x3333333333333333, .rsi = 0x4444444444444444, .rdi = 0x5555555555555555,
		.rbp = 0x6666666666666666, .r8 = 0x8888888888888888, .r9 = 0x9999999999999999,
		.r10 = 0xaaaaaaaaaaaaaaaa, .r11 = 0xbbbbbbbbbbbbbbbb, .r12 = 0xcccccccccccccccc,
		.r13 = 0xdddddddddddddddd, .r14 = 0xeeeeeeeeeeeeeeee, .r15 = 0xffffffffffffffff,
	};
	struct rt_regs in = r;
	rt_hypercall_regs(&r);
	EXPECT_EQ(r.rax, want);
	in.rax = r.rax;
	uint64_t *a = (uint64_t *)&r, *b = (uint64_t *)&in;
	for (size_t i = 0; i < sizeof(r) / 8; i++)
		if (!EXPECT_EQ(a[i], b[i]))
			rt_printf("  register %zu changed by call 0x%lx\n", i, nr);
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	(void)mb_magic, (void)mb_info;

	int r = rt_user_run(user_fn);
	EXPECT_EQ(r, 13 + 1);
	EXPECT_EQ(user_cs, SEL_UCODE);
	if (rt_bare) {
		rt_printf("hcall: CPL 3 entry and exit work; hypercalls skipped (bare)\n");
		rt_done();
	}

	long v = rt_hypercall(HC_VERSION, 0, 0, 0, 0);
	rt_printf("hcall: VERSION 0x%lx\n", v);
	EXPECT_EQ(v, 0x10000);
	EXPECT_EQ(v, cpuid(0x40000001, 0).eax);

	static const char hello[] = "hello from a hypercall\n";
	EXPECT_EQ(rt_hypercall(HC_CONSOLE_WRITE, (long)hello, sizeof(hello) - 1, 0, 0),
		  sizeof(hello) - 1);
	static char big[4097];
	memset(big, '!', sizeof(big));
	EXPECT_EQ(rt_hypercall(HC_CONSOLE_WRITE, (long)big, sizeof(big), 0, 0), HC_EINVAL);

	uint64_t mem = ram_size();
	rt_printf("hcall: multiboot memory 0x%lx\n", mem);
	EXPECT(mem != 0);
	EXPECT_EQ(rt_hypercall(HC_CONSOLE_WRITE, mem, 4, 0, 0), HC_EFAULT);
	EXPECT_EQ(rt_hypercall(HC_CONSOLE_WRITE, mem - 2, 4, 0, 0), HC_EFAULT);
	EXPECT_EQ(rt_hypercall(HC_CONSOLE_WRITE, TESTDEV_BASE, 4, 0, 0), HC_EFAULT);
	EXPECT_EQ(rt_hypercall(HC_CONSOLE_WRITE, -16, 32, 0, 0), HC_EFAULT);
	rt_printf("hcall: CONSOLE_WRITE length and address checks done\n");

	static uint8_t buf[64 + 16];
	memset(buf, 0xaa, sizeof(buf));
	EXPECT_EQ(rt_hypercall(HC_PARTITION_INFO, (long)buf, 64, 0, 0), 0);
	struct vatra_pinfo pi;
	memcpy(&pi, buf, sizeof(pi));
	bool terminated = false;
	for (size_t i = 0; i < sizeof(pi.name); i++)
		terminated |= pi.name[i] == 0;
	if (!terminated)
		pi.name[sizeof(pi.name) - 1] = 0;
	rt_printf("hcall: PARTITION_INFO version %u id %u name \"%s\" memory 0x%lx vcpus %u vcpu %u\n",
		  pi.version, pi.id, pi.name, pi.memory, pi.vcpus, pi.vcpu);
	EXPECT_EQ(pi.version, 1);
	EXPECT(terminated);
	char name[32];
	if (EXPECT(rt_arg_str("name=", name, sizeof(name))))
		EXPECT(!strcmp(pi.name, name));
	uint64_t id = rt_arg_ul("id=", ~0ull);
	if (id != ~0ull)
		EXPECT_EQ(pi.id, id);
	EXPECT_EQ(pi.memory, mem);
	EXPECT_EQ(pi.vcpus, 1);
	EXPECT_EQ(pi.vcpu, 0);
	int untouched = 0;
	for (size_t i = 64; i < sizeof(buf); i++)
		untouched += buf[i] == 0xaa;
	EXPECT_EQ(untouched, sizeof(buf) - 64);
	EXPECT_EQ(rt_hypercall(HC_PARTITION_INFO, mem - 32, 64, 0, 0), HC_EFAULT);

	EXPECT_EQ(rt_hypercall(HC_YIELD, 0, 0, 0, 0), 0);
	EXPECT_EQ(rt_hypercall(0x12345, 0, 0, 0, 0), HC_ENOSYS);
	EXPECT_EQ(rt_hypercall(4, 0, 0, 0, 0), HC_ENOSYS);
	EXPECT_EQ(rt_hypercall(-1, 0, 0, 0, 0), HC_ENOSYS);
	rt_printf("hcall: YIELD, unknown numbers done\n");

	test_registers(HC_VERSION, 0x10000);
	test_registers(HC_YIELD, 0);
	test_registers(0x12345, HC_ENOSYS);
	rt_printf("hcall: registers preserved\n");

	rt_printf("hcall: from CPL 3: VERSION %ld, CONSOLE_WRITE %ld\n", user_ret[0], user_ret[1]);
	EXPECT_EQ(user_ret[0], HC_EPERM);
	EXPECT_EQ(user_ret[1], HC_EPERM);
	rt_done();
}
