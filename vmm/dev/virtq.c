/* Split virtqueues, device side. See vmm/dev/virtq.h.
 *
 * Layout (virtio 1.x, 2.7): the descriptor table is size entries of
 * { le64 addr, le32 len, le16 flags, le16 next }; the available ring is
 * { le16 flags, le16 idx, le16 ring[size], le16 used_event }; the used
 * ring is { le16 flags, le16 idx, { le32 id, le32 len } ring[size],
 * le16 avail_event }. The event fields exist with
 * VIRTIO_F_RING_EVENT_IDX only, but their space is always checked. */
#include "vmm/dev/virtq.h"
#include "lib/string.h"
#include "lib/errno.h"

#define DESC_SIZE 16

struct vdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/* Orders this device's reads and writes of the rings against the
 * driver's on other CPUs (2.7.13.3.1's barriers, seen from the device). */
static void virtq_fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static bool in_ram(const struct virtq *q, uint64_t gpa, uint64_t len)
{
	return gpa < q->ram_size && len <= q->ram_size - gpa;
}

static int fail(struct virtq *q, const char *why)
{
	if (!q->broken)
		q->why = why;
	q->broken = true;
	return -EIO;
}

static int rd16(struct virtq *q, uint64_t gpa, uint16_t *v)
{
	uint8_t b[2];

	if (q->env->mem_read(q->env->ctx, gpa, b, 2))
		return fail(q, "ring outside the partition's RAM");
	*v = (uint16_t)(b[0] | b[1] << 8);
	return 0;
}

static int wr16(struct virtq *q, uint64_t gpa, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	if (q->env->mem_write(q->env->ctx, gpa, b, 2))
		return fail(q, "ring outside the partition's RAM");
	return 0;
}

static int read_desc(struct virtq *q, uint64_t gpa, struct vdesc *d)
{
	uint8_t b[DESC_SIZE];

	if (q->env->mem_read(q->env->ctx, gpa, b, DESC_SIZE))
		return fail(q, "descriptor outside the partition's RAM");
	d->addr = 0;
	for (int i = 7; i >= 0; i--)
		d->addr = d->addr << 8 | b[i];
	d->len = (uint32_t)b[8] | (uint32_t)b[9] << 8 | (uint32_t)b[10] << 16 |
		 (uint32_t)b[11] << 24;
	d->flags = (uint16_t)(b[12] | b[13] << 8);
	d->next = (uint16_t)(b[14] | b[15] << 8);
	return 0;
}

void virtq_reset(struct virtq *q)
{
	memset(q, 0, sizeof(*q));
}

int virtq_start(struct virtq *q, const struct dev_env *env, uint64_t ram_size, uint16_t size,
		uint64_t desc, uint64_t avail, uint64_t used, bool event_idx)
{
	virtq_reset(q);
	q->env = env;
	q->ram_size = ram_size;
	q->size = size;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	q->event_idx = event_idx;
	if (!size || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
		return fail(q, "queue size not a power of two up to 256");
	if ((desc & 15) || (avail & 1) || (used & 3))
		return fail(q, "misaligned ring");
	if (!in_ram(q, desc, (uint64_t)DESC_SIZE * size) || !in_ram(q, avail, 6 + 2ull * size) ||
	    !in_ram(q, used, 6 + 8ull * size))
		return fail(q, "ring outside the partition's RAM");
	return 0;
}

/* Adds one buffer to the chain, checking it against RAM and the order of
 * readable before writable buffers. */
static int add_seg(struct virtq *q, struct virtq_req *r, const struct vdesc *d)
{
	unsigned n = r->nout + r->nin;
	bool w = d->flags & VIRTQ_DESC_F_WRITE;

	if (!in_ram(q, d->addr, d->len))
		return fail(q, "buffer outside the partition's RAM");
	if (!w && r->nin)
		return fail(q, "readable buffer after a writable one");
	if (n >= VIRTQ_MAX_SIZE || n >= q->size)
		return fail(q, "chain longer than the queue");
	r->seg[n].addr = d->addr;
	r->seg[n].len = d->len;
	if (w) {
		r->nin++;
		r->in_bytes += d->len;
	} else {
		r->nout++;
		r->out_bytes += d->len;
	}
	return 0;
}

/* An indirect table (2.7.5.3): len / 16 descriptors in RAM, chained by
 * next within the table; none may be indirect itself. */
static int walk_indirect(struct virtq *q, struct virtq_req *r, const struct vdesc *t)
{
	unsigned n = t->len / DESC_SIZE, i = 0, steps = 0;
	struct vdesc d;

	if (!t->len || t->len % DESC_SIZE)
		return fail(q, "indirect table length not a non-zero multiple of 16");
	if (!in_ram(q, t->addr, t->len))
		return fail(q, "indirect table outside the partition's RAM");
	for (;;) {
		if (++steps > n)
			return fail(q, "loop in an indirect table");
		if (read_desc(q, t->addr + (uint64_t)i * DESC_SIZE, &d))
			return -EIO;
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return fail(q, "indirect descriptor inside an indirect table");
		if (add_seg(q, r, &d))
			return -EIO;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= n)
			return fail(q, "next index past the indirect table");
		i = d.next;
	}
}

int virtq_pop(struct virtq *q, struct virtq_req *r)
{
	uint16_t aidx, head, i;
	unsigned steps = 0;
	struct vdesc d;

	if (q->broken)
		return -EIO;
	if (!q->size)
		return 0;
	if (rd16(q, q->avail + 2, &aidx))
		return -EIO;
	if (aidx == q->last_avail)
		return 0;
	/* The driver can be at most a whole ring ahead (2.7.6). */
	if ((uint16_t)(aidx - q->last_avail) > q->size)
		return fail(q, "available index more than the queue size ahead");
	/* The ring entry only after the index that published it. */
	virtq_fence();
	if (rd16(q, q->avail + 4 + 2ull * (q->last_avail % q->size), &head))
		return -EIO;
	if (head >= q->size)
		return fail(q, "descriptor index past the queue size");
	r->head = head;
	r->nout = r->nin = 0;
	r->out_bytes = r->in_bytes = 0;
	for (i = head;;) {
		if (++steps > q->size)
			return fail(q, "loop in a descriptor chain");
		if (read_desc(q, q->desc + (uint64_t)i * DESC_SIZE, &d))
			return -EIO;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* Not both INDIRECT and NEXT (2.7.5.3.1). */
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return fail(q, "indirect descriptor with NEXT set");
			if (walk_indirect(q, r, &d))
				return -EIO;
			break;
		}
		if (add_seg(q, r, &d))
			return -EIO;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		if (d.next >= q->size)
			return fail(q, "next index past the queue size");
		i = d.next;
	}
	q->last_avail++;
	return 1;
}

int virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
	uint64_t e = q->used + 4 + 8ull * (q->used_idx % q->size);
	uint8_t b[8];

	if (q->broken)
		return -EIO;
	if (!q->size)
		return -EIO;
	for (int k = 0; k < 4; k++) {
		b[k] = (uint8_t)((uint32_t)head >> (8 * k));
		b[4 + k] = (uint8_t)(len >> (8 * k));
	}
	if (q->env->mem_write(q->env->ctx, e, b, 8))
		return fail(q, "ring outside the partition's RAM");
	/* The entry before the index that publishes it (2.7.8.2). */
	virtq_fence();
	q->used_idx++;
	return wr16(q, q->used + 2, q->used_idx);
}

bool virtq_should_signal(struct virtq *q)
{
	uint16_t flags, ev, old = q->signalled, now = q->used_idx;
	bool valid = q->signalled_valid;

	if (q->broken || !q->size)
		return false;
	/* The used index is out before the driver's wishes are read. */
	virtq_fence();
	q->signalled = now;
	q->signalled_valid = true;
	if (!q->event_idx)
		return !rd16(q, q->avail, &flags) && !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
	if (rd16(q, q->avail + 4 + 2ull * q->size, &ev))
		return false;
	if (!valid)
		return true;
	/* 2.7.10: interrupt when used_event lies in (old, now]. */
	return (uint16_t)(now - ev - 1) < (uint16_t)(now - old);
}

bool virtq_notify(struct virtq *q, bool enable)
{
	uint16_t aidx;

	if (q->broken || !q->size)
		return false;
	if (q->event_idx) {
		if (!enable)
			return false;   /* the driver notifies only when it passes avail_event */
		if (wr16(q, q->used + 4 + 8ull * q->size, q->last_avail))
			return false;
	} else if (wr16(q, q->used, enable ? 0 : VIRTQ_USED_F_NO_NOTIFY)) {
		return false;
	}
	if (!enable)
		return false;
	/* Our wish is out before we look at the index again. */
	virtq_fence();
	return !rd16(q, q->avail + 2, &aidx) && aidx != q->last_avail;
}

static int copy(const struct virtq *q, const struct virtq_req *r, bool out, uint64_t off,
		void *buf, uint64_t len)
{
	unsigned first = out ? 0 : r->nout, n = out ? r->nout : r->nin;
	uint8_t *p = buf;

	for (unsigned k = first; k < first + n && len; k++) {
		const struct virtq_seg *s = &r->seg[k];
		uint64_t chunk;
		int e;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		chunk = s->len - off < len ? s->len - off : len;
		e = out ? q->env->mem_read(q->env->ctx, s->addr + off, p, chunk) :
			  q->env->mem_write(q->env->ctx, s->addr + off, p, chunk);
		if (e)
			return -EFAULT;
		p += chunk;
		len -= chunk;
		off = 0;
	}
	return len ? -EFAULT : 0;
}

int virtq_read(const struct virtq *q, const struct virtq_req *r, uint64_t off, void *buf,
	       uint64_t len)
{
	return copy(q, r, true, off, buf, len);
}

int virtq_write(const struct virtq *q, const struct virtq_req *r, uint64_t off,
		const void *buf, uint64_t len)
{
	return copy(q, r, false, off, (void *)buf, len);
}
