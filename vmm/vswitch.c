/* The virtual switch. See vmm/vswitch.h. */
#include "vmm/vswitch.h"
#include "lib/string.h"
#include "lib/strutil.h"
#include "lib/errno.h"

void vsw_init(struct vswitch *s, const char *name)
{
	memset(s, 0, sizeof(*s));
	str_copy(s->name, name, sizeof(s->name));
}

int vsw_port_add(struct vswitch *s, const char *label, vsw_rx_fn rx, void *ctx)
{
	for (unsigned i = 0; i < VSW_MAX_PORTS; i++) {
		struct vsw_port *p = &s->ports[i];

		if (p->used)
			continue;
		memset(p, 0, sizeof(*p));
		p->used = true;
		str_copy(p->label, label, sizeof(p->label));
		p->rx = rx;
		p->ctx = ctx;
		return (int)i;
	}
	return -ENOSPC;
}

void vsw_port_del(struct vswitch *s, unsigned port)
{
	if (port >= VSW_MAX_PORTS)
		return;
	s->ports[port].used = false;
	for (unsigned i = 0; i < VSW_MAC_ENTRIES; i++)
		if (s->macs[i].used && s->macs[i].port == port)
			s->macs[i].used = false;
}

static bool fresh(const struct vsw_mac *m, uint64_t now)
{
	return m->used && now - m->seen < VSW_AGE_NS;
}

int vsw_lookup(const struct vswitch *s, const uint8_t *mac, uint64_t now)
{
	for (unsigned i = 0; i < VSW_MAC_ENTRIES; i++)
		if (fresh(&s->macs[i], now) && !memcmp(s->macs[i].mac, mac, 6))
			return (int)s->macs[i].port;
	return -1;
}

/* Source MACs are learnt (unicast ones only: a multicast source is
 * invalid); a full table replaces its oldest entry. */
static void learn(struct vswitch *s, unsigned port, const uint8_t *mac, uint64_t now)
{
	struct vsw_mac *slot = NULL, *oldest = &s->macs[0];

	if (mac[0] & 1)
		return;
	for (unsigned i = 0; i < VSW_MAC_ENTRIES; i++) {
		struct vsw_mac *m = &s->macs[i];

		if (m->used && !memcmp(m->mac, mac, 6)) {
			slot = m;
			break;
		}
		if (!slot && !fresh(m, now))
			slot = m;
		if (m->seen < oldest->seen)
			oldest = m;
	}
	if (!slot)
		slot = oldest;
	slot->used = true;
	memcpy(slot->mac, mac, 6);
	slot->port = port;
	slot->seen = now;
}

static unsigned deliver(struct vswitch *s, unsigned to, const uint8_t *frame, size_t len)
{
	struct vsw_port *p = &s->ports[to];

	if (!p->used)
		return 0;
	if (p->rx(p->ctx, frame, len)) {
		p->drops++;
		return 0;
	}
	p->rx_frames++;
	p->rx_bytes += len;
	return 1;
}

unsigned vsw_input(struct vswitch *s, unsigned port, const uint8_t *frame, size_t len,
		   uint64_t now)
{
	struct vsw_port *in;
	unsigned n = 0;
	int to;

	if (port >= VSW_MAX_PORTS || !s->ports[port].used)
		return 0;
	in = &s->ports[port];
	if (len < VSW_FRAME_MIN || len > VSW_FRAME_MAX) {
		in->bad++;
		return 0;
	}
	in->tx_frames++;
	in->tx_bytes += len;
	learn(s, port, frame + 6, now);
	to = frame[0] & 1 ? -1 : vsw_lookup(s, frame, now);
	if (to >= 0)
		/* Known: to that port, or nowhere when it is the sender's own
		 * (the destination is on the segment it came from). */
		return (unsigned)to == port ? 0 : deliver(s, (unsigned)to, frame, len);
	s->floods++;
	if (!(frame[0] & 1))
		s->unknown++;
	for (unsigned i = 0; i < VSW_MAX_PORTS; i++)
		if (i != port)
			n += deliver(s, i, frame, len);
	return n;
}
