/*
 * ports: a port opened for one partition only. Run as two partitions:
 *   role=direct   (direct_test_port = yes): 100 reads and 100 writes of
 *                 port 0x80 cause no port-I/O exit (TEST_IO_EXITS does
 *                 not move), while each access to port 0x2f0 still exits
 *   role=trapped  (a sibling without it, started after the other): each
 *                 of the same accesses to port 0x80 exits, and reads all
 *                 ones (no device model decodes it)
 * Both print "ports: port 0x80 ROLE: N exits for 200 accesses".
 * Vatra only; flag `bare`: print "skipped".
 */
#include "rt.h"

#define HC_TEST_IO_EXITS 0x101
#define TEST_PORT 0x80
#define TRAPPED_PORT 0x2f0
#define N 100

static long io_exits(void)
{
	return rt_hypercall(HC_TEST_IO_EXITS, 0, 0, 0, 0);
}

int main(uint32_t mb_magic, uint64_t mb_info)
{
	char role[16] = "";
	long before, after;
	unsigned ones = 0;

	(void)mb_magic, (void)mb_info;
	if (rt_has_flag("bare")) {
		rt_printf("ports: skipped\n");
		rt_done();
	}
	if (!rt_arg_str("role=", role, sizeof(role)) ||
	    (strcmp(role, "direct") && strcmp(role, "trapped")))
		rt_exit(2);
	before = io_exits();
	EXPECT(before >= 0);
	for (int i = 0; i < N; i++) {
		ones += inb(TEST_PORT) == 0xff;
		outb(TEST_PORT, (uint8_t)i);
	}
	after = io_exits();
	rt_printf("ports: port 0x%x %s: %ld exits for %d accesses\n", TEST_PORT, role,
		  after - before, 2 * N);
	if (!strcmp(role, "direct")) {
		EXPECT_EQ(after - before, 0);
	} else {
		EXPECT_EQ(after - before, 2 * N);
		EXPECT_EQ(ones, N);
	}
	/* Any other port exits for both. */
	before = io_exits();
	for (int i = 0; i < N; i++)
		EXPECT_EQ(inb(TRAPPED_PORT), 0xff);
	EXPECT_EQ(io_exits() - before, N);
	rt_done();
}
