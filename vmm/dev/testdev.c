/* The test device's registers: a byte-addressable 8-byte scratch register
 * at 0x000, a read-only ID at 0x008, a write counter at 0x010 and a
 * 256-byte scratch array at 0x100. Everything else reads all ones. */
#include "vmm/dev/testdev.h"
#include "lib/string.h"

void testdev_reset(struct testdev *d)
{
	memset(d, 0, sizeof(*d));
}

static uint8_t byte_at(const struct testdev *d, uint64_t off)
{
	if (off < 8)
		return d->scratch[off];
	if (off < 16)
		return (uint8_t)(TESTDEV_ID >> (8 * (off - 8)));
	if (off < 24)
		return (uint8_t)(d->writes >> (8 * (off - 16)));
	if (off >= 0x100 && off < 0x200)
		return d->array[off - 0x100];
	return 0xff;
}

uint64_t testdev_read(struct testdev *d, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)byte_at(d, off + i) << (8 * i);
	return v;
}

void testdev_write(struct testdev *d, uint64_t off, unsigned size, uint64_t val)
{
	d->writes++;
	for (unsigned i = 0; i < size; i++) {
		uint64_t o = off + i;
		uint8_t b = (uint8_t)(val >> (8 * i));
		if (o < 8)
			d->scratch[o] = b;
		else if (o >= 0x100 && o < 0x200)
			d->array[o - 0x100] = b;
	}
}
