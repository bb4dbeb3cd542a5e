/* Unit tests for vmm/dev/virtq.c: chains direct and indirect, the used
 * ring, both kinds of notification suppression, and hostile rings (loops,
 * chains longer than the queue, indices past it, buffers past RAM,
 * indirect inside indirect, bad indirect lengths), then a fuzz loop over
 * random rings that must never reach outside the partition's RAM. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "vmm/dev/virtq.h"
#include "lib/errno.h"

#define RAM_SIZE 0x10000u
#define QSZ	 8
#define DESC	 0x1000u
#define AVAIL	 0x2000u
#define USED	 0x3000u

static uint8_t ram[RAM_SIZE];
static unsigned bad_accesses;

static int mread(void *ctx, uint64_t gpa, void *buf, uint64_t len)
{
	(void)ctx;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa) {
		bad_accesses++;
		return -EFAULT;
	}
	memcpy(buf, ram + gpa, len);
	return 0;
}

static int mwrite(void *ctx, uint64_t gpa, const void *buf, uint64_t len)
{
	(void)ctx;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa) {
		bad_accesses++;
		return -EFAULT;
	}
	memcpy(ram + gpa, buf, len);
	return 0;
}

static const struct dev_env env = { .mem_read = mread, .mem_write = mwrite };
static struct virtq q;
static struct virtq_req req;

static void put16(uint64_t a, uint16_t v) { ram[a] = (uint8_t)v; ram[a + 1] = (uint8_t)(v >> 8); }
static uint16_t get16(uint64_t a) { return (uint16_t)(ram[a] | ram[a + 1] << 8); }
static uint32_t get32(uint64_t a) { return get16(a) | (uint32_t)get16(a + 2) << 16; }

static void desc_at(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		    uint16_t next)
{
	uint8_t *d = ram + table + 16 * i;

	for (int k = 0; k < 8; k++)
		d[k] = (uint8_t)(addr >> (8 * k));
	for (int k = 0; k < 4; k++)
		d[8 + k] = (uint8_t)(len >> (8 * k));
	put16(table + 16 * i + 12, flags);
	put16(table + 16 * i + 14, next);
}

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	desc_at(DESC, i, addr, len, flags, next);
}

/* The driver makes head available. */
static void offer(uint16_t head)
{
	uint16_t idx = get16(AVAIL + 2);

	put16(AVAIL + 4 + 2 * (idx % QSZ), head);
	put16(AVAIL + 2, (uint16_t)(idx + 1));
}

static int setup(void **state)
{
	(void)state;
	memset(ram, 0, sizeof(ram));
	bad_accesses = 0;
	assert_int_equal(virtq_start(&q, &env, RAM_SIZE, QSZ, DESC, AVAIL, USED, false), 0);
	return 0;
}

static void test_start_checks(void **state)
{
	(void)state;
	assert_int_equal(virtq_start(&q, &env, RAM_SIZE, 6, DESC, AVAIL, USED, false), -EIO);
	assert_string_equal(q.why, "queue size not a power of two up to 256");
	assert_int_equal(virtq_start(&q, &env, RAM_SIZE, 512, DESC, AVAIL, USED, false), -EIO);
	assert_int_equal(virtq_start(&q, &env, RAM_SIZE, 0, DESC, AVAIL, USED, false), -EIO);
	assert_int_equal(virtq_start(&q, &env, RAM_SIZE, QSZ, DESC + 8, AVAIL, USED, false), -EIO);
	assert_string_equal(q.why, "misaligned ring");
	assert_int_equal(virtq_start(&q, &env, RAM_SIZE, QSZ, DESC, AVAIL + 1, USED, false), -EIO);
	assert_int_equal(virtq_start(&q, &env, RAM_SIZE, QSZ, DESC, AVAIL, USED + 2, false), -EIO);
	assert_int_equal(virtq_start(&q, &env, RAM_SIZE, QSZ, RAM_SIZE - 64, AVAIL, USED, false), -EIO);
	assert_string_equal(q.why, "ring outside the partition's RAM");
	assert_int_equal(virtq_start(&q, &env, RAM_SIZE, QSZ, DESC, ~0ull - 1, USED, false), -EIO);
	/* A broken queue gives nothing and takes nothing. */
	assert_int_equal(virtq_pop(&q, &req), -EIO);
	assert_int_equal(virtq_push(&q, 0, 0), -EIO);
	assert_false(virtq_should_signal(&q));
	assert_int_equal(bad_accesses, 0);
}

static void test_empty_and_simple_chain(void **state)
{
	(void)state;
	assert_int_equal(virtq_pop(&q, &req), 0);
	/* out 16 bytes at 0x4000, then in 32 bytes at 0x5000. */
	desc(3, 0x4000, 16, VIRTQ_DESC_F_NEXT, 5);
	desc(5, 0x5000, 32, VIRTQ_DESC_F_WRITE, 0);
	memcpy(ram + 0x4000, "hello, virtqueue", 16);
	offer(3);
	assert_int_equal(virtq_pop(&q, &req), 1);
	assert_int_equal(req.head, 3);
	assert_int_equal(req.nout, 1);
	assert_int_equal(req.nin, 1);
	assert_int_equal(req.out_bytes, 16);
	assert_int_equal(req.in_bytes, 32);
	char buf[17] = { 0 };
	assert_int_equal(virtq_read(&q, &req, 7, buf, 9), 0);
	assert_string_equal(buf, "virtqueue");
	assert_int_equal(virtq_read(&q, &req, 8, buf, 9), -EFAULT);
	assert_int_equal(virtq_write(&q, &req, 30, "ok", 2), 0);
	assert_memory_equal(ram + 0x5000 + 30, "ok", 2);
	assert_int_equal(virtq_write(&q, &req, 31, "ok", 2), -EFAULT);
	assert_int_equal(virtq_pop(&q, &req), 0);
	assert_int_equal(virtq_push(&q, 3, 2), 0);
	assert_int_equal(get16(USED + 2), 1);
	assert_int_equal(get32(USED + 4), 3);
	assert_int_equal(get32(USED + 8), 2);
	assert_true(virtq_should_signal(&q));
	/* The driver asks for no interrupts. */
	put16(AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_int_equal(virtq_push(&q, 3, 0), 0);
	assert_false(virtq_should_signal(&q));
	assert_int_equal(bad_accesses, 0);
}

static void test_wraps_around(void **state)
{
	(void)state;
	desc(0, 0x4000, 4, 0, 0);
	for (unsigned n = 0; n < 3 * 65536 / QSZ; n++) {
		offer(0);
		assert_int_equal(virtq_pop(&q, &req), 1);
		assert_int_equal(virtq_push(&q, 0, 4), 0);
	}
	assert_int_equal(q.last_avail, (uint16_t)(3 * 65536 / QSZ));
	assert_int_equal(get16(USED + 2), q.last_avail);
}

static void test_indirect(void **state)
{
	(void)state;
	/* Table at 0x6000: out 8, in 8, in 4 (chained 0 -> 2 -> 1). */
	desc_at(0x6000, 0, 0x7000, 8, VIRTQ_DESC_F_NEXT, 2);
	desc_at(0x6000, 2, 0x7100, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	desc_at(0x6000, 1, 0x7200, 4, VIRTQ_DESC_F_WRITE, 0);
	desc(1, 0x6000, 48, VIRTQ_DESC_F_INDIRECT, 0);
	offer(1);
	assert_int_equal(virtq_pop(&q, &req), 1);
	assert_int_equal(req.nout, 1);
	assert_int_equal(req.nin, 2);
	assert_int_equal(req.seg[1].addr, 0x7100);
	assert_int_equal(req.seg[2].addr, 0x7200);
	assert_int_equal(req.in_bytes, 12);
	/* A write spanning both writable buffers. */
	assert_int_equal(virtq_write(&q, &req, 6, "abcdef", 6), 0);
	assert_memory_equal(ram + 0x7106, "ab", 2);
	assert_memory_equal(ram + 0x7200, "cdef", 4);
}

/* Each hostile ring: pop fails with the reason, the queue stays broken,
 * nothing outside RAM was touched. */
static void expect_bad(const char *why)
{
	offer(0);
	assert_int_equal(virtq_pop(&q, &req), -EIO);
	assert_string_equal(q.why, why);
	assert_true(q.broken);
	assert_int_equal(virtq_pop(&q, &req), -EIO);
	assert_int_equal(virtq_push(&q, 0, 0), -EIO);
	assert_int_equal(bad_accesses, 0);
}

static void test_loop(void **state)
{
	(void)state;
	desc(0, 0x4000, 4, VIRTQ_DESC_F_NEXT, 1);
	desc(1, 0x4000, 4, VIRTQ_DESC_F_NEXT, 0);
	expect_bad("loop in a descriptor chain");
}

static void test_self_loop(void **state)
{
	(void)state;
	desc(0, 0x4000, 4, VIRTQ_DESC_F_NEXT, 0);
	expect_bad("loop in a descriptor chain");
}

static void test_next_past_queue(void **state)
{
	(void)state;
	desc(0, 0x4000, 4, VIRTQ_DESC_F_NEXT, QSZ);
	expect_bad("next index past the queue size");
}

static void test_head_past_queue(void **state)
{
	(void)state;
	put16(AVAIL + 4, QSZ + 3);
	put16(AVAIL + 2, 1);
	assert_int_equal(virtq_pop(&q, &req), -EIO);
	assert_string_equal(q.why, "descriptor index past the queue size");
}

static void test_avail_idx_too_far(void **state)
{
	(void)state;
	put16(AVAIL + 2, QSZ + 1);
	assert_int_equal(virtq_pop(&q, &req), -EIO);
	assert_string_equal(q.why, "available index more than the queue size ahead");
}

static void test_buffer_past_ram(void **state)
{
	(void)state;
	desc(0, RAM_SIZE - 8, 16, 0, 0);
	expect_bad("buffer outside the partition's RAM");
}

static void test_buffer_wraps(void **state)
{
	(void)state;
	desc(0, ~0ull - 3, 16, 0, 0);
	expect_bad("buffer outside the partition's RAM");
}

static void test_huge_length(void **state)
{
	(void)state;
	desc(0, 0x4000, 0xffffffffu, VIRTQ_DESC_F_WRITE, 0);
	expect_bad("buffer outside the partition's RAM");
}

static void test_readable_after_writable(void **state)
{
	(void)state;
	desc(0, 0x4000, 4, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	desc(1, 0x4000, 4, 0, 0);
	expect_bad("readable buffer after a writable one");
}

static void test_indirect_in_indirect(void **state)
{
	(void)state;
	desc_at(0x6000, 0, 0x6000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	desc(0, 0x6000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	expect_bad("indirect descriptor inside an indirect table");
}

static void test_indirect_with_next(void **state)
{
	(void)state;
	desc(0, 0x6000, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	expect_bad("indirect descriptor with NEXT set");
}

static void test_indirect_zero_len(void **state)
{
	(void)state;
	desc(0, 0x6000, 0, VIRTQ_DESC_F_INDIRECT, 0);
	expect_bad("indirect table length not a non-zero multiple of 16");
}

static void test_indirect_odd_len(void **state)
{
	(void)state;
	desc(0, 0x6000, 20, VIRTQ_DESC_F_INDIRECT, 0);
	expect_bad("indirect table length not a non-zero multiple of 16");
}

static void test_indirect_past_ram(void **state)
{
	(void)state;
	desc(0, RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_bad("indirect table outside the partition's RAM");
}

static void test_indirect_loop(void **state)
{
	(void)state;
	desc_at(0x6000, 0, 0x4000, 4, VIRTQ_DESC_F_NEXT, 1);
	desc_at(0x6000, 1, 0x4000, 4, VIRTQ_DESC_F_NEXT, 0);
	desc(0, 0x6000, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_bad("loop in an indirect table");
}

static void test_indirect_next_past_table(void **state)
{
	(void)state;
	desc_at(0x6000, 0, 0x4000, 4, VIRTQ_DESC_F_NEXT, 2);
	desc(0, 0x6000, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_bad("next index past the indirect table");
}

/* An indirect table longer than the queue: a chain longer than it. */
static void test_indirect_longer_than_queue(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 2 * QSZ; i++)
		desc_at(0x6000, i, 0x4000, 4, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
	desc_at(0x6000, 2 * QSZ - 1, 0x4000, 4, 0, 0);
	desc(0, 0x6000, 16 * 2 * QSZ, VIRTQ_DESC_F_INDIRECT, 0);
	expect_bad("chain longer than the queue");
}

static void test_reset_clears_broken(void **state)
{
	(void)state;
	desc(0, 0x4000, 4, VIRTQ_DESC_F_NEXT, 0);
	expect_bad("loop in a descriptor chain");
	virtq_reset(&q);
	assert_false(q.broken);
	assert_int_equal(virtq_pop(&q, &req), 0);   /* not started: nothing */
}

static void test_event_idx(void **state)
{
	(void)state;
	assert_int_equal(virtq_start(&q, &env, RAM_SIZE, QSZ, DESC, AVAIL, USED, true), 0);
	desc(0, 0x4000, 4, 0, 0);
	/* Device side: avail_event is where we will look next. */
	assert_false(virtq_notify(&q, true));
	assert_int_equal(get16(USED + 4 + 8 * QSZ), 0);
	offer(0);
	assert_true(virtq_notify(&q, true));   /* arrived meanwhile: look again */
	assert_int_equal(virtq_pop(&q, &req), 1);
	assert_false(virtq_notify(&q, true));
	assert_int_equal(get16(USED + 4 + 8 * QSZ), 1);
	/* Driver side: used_event = 2 means "interrupt when entry 2 is used". */
	put16(AVAIL + 4 + 2 * QSZ, 2);
	assert_int_equal(virtq_push(&q, 0, 0), 0);   /* used idx 1 */
	assert_true(virtq_should_signal(&q));        /* the first decision always signals */
	assert_int_equal(virtq_push(&q, 0, 0), 0);   /* 2 */
	assert_false(virtq_should_signal(&q));       /* entry 2 not used yet */
	assert_int_equal(virtq_push(&q, 0, 0), 0);   /* 3: used_event 2 crossed */
	assert_true(virtq_should_signal(&q));
	assert_int_equal(virtq_push(&q, 0, 0), 0);   /* 4 */
	assert_false(virtq_should_signal(&q));
	/* The driver moves used_event to 10; pushes 5..10 in one batch cross it. */
	put16(AVAIL + 4 + 2 * QSZ, 9);
	for (int i = 0; i < 6; i++)
		assert_int_equal(virtq_push(&q, 0, 0), 0);
	assert_true(virtq_should_signal(&q));
}

static void test_no_notify_flag(void **state)
{
	(void)state;
	assert_false(virtq_notify(&q, false));
	assert_int_equal(get16(USED), VIRTQ_USED_F_NO_NOTIFY);
	assert_false(virtq_notify(&q, true));
	assert_int_equal(get16(USED), 0);
}

/* A random descriptor: mostly plausible (in RAM, small, a next inside
 * the table), sometimes not, so both good chains and every kind of bad
 * one come up. */
static void fuzz_desc(uint64_t table, unsigned i, unsigned n)
{
	uint64_t addr = (uint64_t)(rand() % (RAM_SIZE - 0x200));
	uint32_t len = (uint32_t)(rand() % 0x200);
	uint16_t flags = 0, next = (uint16_t)(rand() % n);
	int r = rand() % 100;

	if (r < 3)
		addr = RAM_SIZE - (uint64_t)(rand() % 64);
	else if (r < 5)
		addr = ~0ull - (uint64_t)(rand() % 64);
	else if (r < 7)
		len = 0xffffffffu - (uint32_t)(rand() % 64);
	if (rand() % 2)
		flags |= VIRTQ_DESC_F_NEXT;
	if (rand() % 3 == 0)
		flags |= VIRTQ_DESC_F_WRITE;
	if (rand() % 12 == 0) {
		/* An indirect table in 0x6000-0x7fff, now and then malformed. */
		flags = (uint16_t)(VIRTQ_DESC_F_INDIRECT | (rand() % 20 ? 0 : VIRTQ_DESC_F_NEXT));
		addr = 0x6000 + 16 * (uint64_t)(rand() % 64);
		len = 16 * (uint32_t)(1 + rand() % 16) + (rand() % 20 ? 0 : 4);
	}
	if (rand() % 25 == 0)
		next = (uint16_t)(n + rand() % 4);
	desc_at(table, i, addr, len, flags, next);
}

/* Random rings: every chain the queue hands out lies in RAM, no access
 * ever reaches outside it, and both good chains and broken queues occur
 * (the loop is not vacuous). */
static void test_fuzz(void **state)
{
	unsigned pops = 0, broken = 0, rounds = 20000;

	(void)state;
	srand(1234);
	for (unsigned round = 0; round < rounds; round++) {
		uint16_t size = (uint16_t)(1u << (rand() % 9));
		bool ev = rand() & 1;
		uint16_t idx = (uint16_t)rand();

		for (unsigned i = 0; i < size; i++)
			fuzz_desc(DESC, i, size);
		for (unsigned i = 0; i < 64; i++)
			fuzz_desc(0x6000, i, 1 + rand() % 64);
		for (unsigned i = 0; i < size; i++)
			put16(AVAIL + 4 + 2 * i, (uint16_t)(rand() % 40 ? rand() % size : rand()));
		if (virtq_start(&q, &env, RAM_SIZE, size, DESC, AVAIL, USED, ev))
			continue;
		/* Start the queue's indices anywhere: wrap-around included. */
		q.last_avail = q.used_idx = idx;
		put16(AVAIL + 2, (uint16_t)(idx + (rand() % 30 ? rand() % (size + 1) : size + 1 + rand() % 9)));
		for (int k = 0; k < 8; k++) {
			uint8_t buf[64];
			int r = virtq_pop(&q, &req);

			if (r < 0)
				broken++;
			if (r <= 0)
				break;
			pops++;
			assert_true(req.nout + req.nin <= size);
			for (unsigned s2 = 0; s2 < req.nout + req.nin; s2++)
				assert_true(req.seg[s2].addr + req.seg[s2].len <= RAM_SIZE);
			virtq_read(&q, &req, 0, buf, sizeof(buf));
			virtq_write(&q, &req, 0, buf, sizeof(buf));
			virtq_push(&q, req.head, 1);
			virtq_should_signal(&q);
			virtq_notify(&q, rand() & 1);
		}
	}
	assert_int_equal(bad_accesses, 0);
	assert_true(pops > rounds / 4);
	assert_true(broken > rounds / 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_start_checks, setup),
		cmocka_unit_test_setup(test_empty_and_simple_chain, setup),
		cmocka_unit_test_setup(test_wraps_around, setup),
		cmocka_unit_test_setup(test_indirect, setup),
		cmocka_unit_test_setup(test_loop, setup),
		cmocka_unit_test_setup(test_self_loop, setup),
		cmocka_unit_test_setup(test_next_past_queue, setup),
		cmocka_unit_test_setup(test_head_past_queue, setup),
		cmocka_unit_test_setup(test_avail_idx_too_far, setup),
		cmocka_unit_test_setup(test_buffer_past_ram, setup),
		cmocka_unit_test_setup(test_buffer_wraps, setup),
		cmocka_unit_test_setup(test_huge_length, setup),
		cmocka_unit_test_setup(test_readable_after_writable, setup),
		cmocka_unit_test_setup(test_indirect_in_indirect, setup),
		cmocka_unit_test_setup(test_indirect_with_next, setup),
		cmocka_unit_test_setup(test_indirect_zero_len, setup),
		cmocka_unit_test_setup(test_indirect_odd_len, setup),
		cmocka_unit_test_setup(test_indirect_past_ram, setup),
		cmocka_unit_test_setup(test_indirect_loop, setup),
		cmocka_unit_test_setup(test_indirect_next_past_table, setup),
		cmocka_unit_test_setup(test_indirect_longer_than_queue, setup),
		cmocka_unit_test_setup(test_reset_clears_broken, setup),
		cmocka_unit_test_setup(test_event_idx, setup),
		cmocka_unit_test_setup(test_no_notify_flag, setup),
		cmocka_unit_test_setup(test_fuzz, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
