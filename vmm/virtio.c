/* A partition's virtio devices. See vmm/virtio.h. */
#include "vmm/virtio.h"
#include "vmm/partition.h"
#include "include/vatra/bootinfo.h"
#include "include/vatra/hv.h"
#include "vmm/vswitch.h"
#include "vmm/sched.h"
#include "mm/mem.h"
#include "lib/spinlock.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/strutil.h"
#include "lib/printf.h"
#include "lib/errno.h"

/* The disks, one per image file, kept for the hypervisor's life. owner
 * is the partition using it, -1 for none; a disk is one partition's at a
 * time. Guarded by the owner's lock (and by the start path, which runs
 * under the starting partition's lock and checks the owner's state). */
static struct {
	struct vdisk disk;
	char path[PART_PATH_MAX];
	int owner;
} disks[BI_MAX_FILES];
static unsigned ndisks;

static struct vdisk *disk_get(struct partition *p, const struct part_disk *pd)
{
	const struct bi_file *f = part_file(pd->path);
	unsigned i;
	const char *base = pd->path;

	for (i = 0; i < ndisks; i++)
		if (!strcmp(disks[i].path, pd->path))
			break;
	if (i == ndisks) {
		if (!f || ndisks == BI_MAX_FILES)
			return NULL;
		str_copy(disks[i].path, pd->path, sizeof(disks[i].path));
		disks[i].disk.data = phys_to_virt(f->phys);
		disks[i].disk.size = f->size;
		/* Its ID (get-id) is the file name, as much as fits. */
		for (const char *c = pd->path; *c; c++)
			if (*c == '/')
				base = c + 1;
		str_copy(disks[i].disk.id, base, sizeof(disks[i].disk.id));
		disks[i].owner = -1;
		ndisks++;
	}
	if (disks[i].owner >= 0 && disks[i].owner != (int)p->id &&
	    partitions[disks[i].owner].state == PART_RUNNING) {
		pr_err("partition %s: disk %s is in use by partition %s", part_name(p), pd->path,
		       part_name(&partitions[disks[i].owner]));
		return NULL;
	}
	disks[i].owner = (int)p->id;
	disks[i].disk.ro = pd->ro;
	return &disks[i].disk;
}

/* ---- switches and their ports ---- */

#define INQ_SLOTS	256		/* frames waiting for a NIC's receive buffers: a TCP window's burst */
#define INQ_SLOT	2048		/* le16 length, then the frame */
#define INQ_PAGES	(INQ_SLOTS * INQ_SLOT / 4096)

/* The switches, for the hypervisor's life; lock guards the switch's
 * table and counters. Lock order: a partition's lock, then a switch's,
 * then a port's inbound queue lock. */
static struct vsw {
	struct vswitch sw;
	struct spinlock lock;
} switches[PART_MAX_SWITCHES];
static unsigned nswitches;

/* One switch port per NIC slot of each partition, kept across restarts
 * (the partition itself is cleared at each start). The inbound queue is
 * filled by senders on any CPU and drained by the owner's CPU, both under
 * lock. */
static struct nic_port {
	struct vsw *sw;
	int port;
	struct partition *part;
	unsigned nic;
	struct spinlock lock;
	uint8_t *q;			/* INQ_SLOTS slots */
	unsigned head, count;
	volatile bool pending;
} nic_ports[PART_MAX][PART_MAX_NICS];

void virtio_switches_init(const char (*names)[PART_NAME_MAX], unsigned n)
{
	for (unsigned i = 0; i < n && nswitches < PART_MAX_SWITCHES; i++)
		vsw_init(&switches[nswitches++].sw, names[i]);
}

static struct vsw *switch_find(const char *name)
{
	for (unsigned i = 0; i < nswitches; i++)
		if (!strcmp(switches[i].sw.name, name))
			return &switches[i];
	return NULL;
}

void virtio_default_mac(const char *name, unsigned i, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ull;   /* FNV-1a */

	for (const char *c = name; *c; c++)
		h = (h ^ (uint8_t)*c) * 0x100000001b3ull;
	h = (h ^ (0x80 + i)) * 0x100000001b3ull;
	mac[0] = 0x02;
	for (int k = 1; k < 6; k++)
		mac[k] = (uint8_t)(h >> (8 * k));
}

/* The switch hands this port a frame: into its inbound queue, or refused
 * when the queue is full or its partition does not run. The owner's CPU
 * is asked to look. */
static int port_rx(void *ctx, const uint8_t *frame, size_t len)
{
	struct nic_port *np = ctx;
	struct partition *p = np->part;
	uint8_t *slot;

	if (p->state != PART_RUNNING || len > INQ_SLOT - 2)
		return -EAGAIN;
	spin_lock(&np->lock);
	if (np->count == INQ_SLOTS) {
		spin_unlock(&np->lock);
		return -ENOSPC;
	}
	slot = np->q + ((np->head + np->count) % INQ_SLOTS) * INQ_SLOT;
	slot[0] = (uint8_t)len;
	slot[1] = (uint8_t)(len >> 8);
	memcpy(slot + 2, frame, len);
	np->count++;
	spin_unlock(&np->lock);
	np->pending = true;
	platform_kick(p);
	return 0;
}

/* Moves waiting frames into the NIC's receive buffers while it has some.
 * The owner's lock held. */
static void port_drain(struct nic_port *np)
{
	struct virtio_net *n = &np->part->virtio.net[np->nic];

	np->pending = false;
	spin_lock(&np->lock);
	while (np->count) {
		uint8_t *slot = np->q + np->head * INQ_SLOT;
		int r = virtio_net_rx(n, slot + 2, (size_t)(slot[0] | slot[1] << 8));

		if (r == -EAGAIN)
			break;   /* no buffers yet: they wait, up to the queue's size */
		np->head = (np->head + 1) % INQ_SLOTS;
		np->count--;
	}
	spin_unlock(&np->lock);
}

/* A frame the NIC sent: into its switch. The sender's lock held. */
static void nic_tx(void *ctx, const uint8_t *frame, size_t len)
{
	struct nic_port *np = ctx;

	spin_lock(&np->sw->lock);
	vsw_input(&np->sw->sw, (unsigned)np->port, frame, len, platform_now(np->part));
	spin_unlock(&np->sw->lock);
}

static void nic_rx_ready(void *ctx)
{
	port_drain(ctx);
}

/* A kick of the NIC's transmit queue: sent at the next tick after the
 * delay, with whatever the driver queued meanwhile (without kicking:
 * its kicks are off while one is pending). The owner's lock held. */
static void nic_tx_later(void *ctx)
{
	struct nic_port *np = ctx;

	np->part->virtio.tx_due[np->nic] = platform_now(np->part) + VIRTIO_TX_DELAY_NS;
	np->part->plat.dirty = true;
}

/* The partition's device tick: drains the NICs someone sent to and sends
 * the deferred kicks that are due. */
static uint64_t nic_tick(void *ctx, uint64_t now)
{
	struct partition *p = ctx;
	uint64_t next = DEV_NO_DEADLINE;

	for (unsigned i = 0; i < p->virtio.nnet; i++) {
		struct virtio_net *n = &p->virtio.net[i];

		if (nic_ports[p->id][i].pending)
			port_drain(&nic_ports[p->id][i]);
		if (!n->tx_pending)
			continue;
		if (now >= p->virtio.tx_due[i])
			virtio_net_tx_poll(n);
		else if (p->virtio.tx_due[i] < next)
			next = p->virtio.tx_due[i];
	}
	return next;
}

static int nic_attach(struct partition *p, unsigned i, const struct part_nic *c)
{
	struct nic_port *np = &nic_ports[p->id][i];
	struct vsw *sw = switch_find(c->sw);
	char label[48];

	if (!sw) {
		pr_err("partition %s: no switch %s", part_name(p), c->sw);
		return -ENOENT;
	}
	if (!np->q) {
		uint64_t ph = page_alloc(INQ_PAGES, 1);

		if (!ph) {
			pr_err("partition %s: no memory for NIC %u's queue", part_name(p), i);
			return -ENOMEM;
		}
		np->q = phys_to_virt(ph);
	}
	/* A restart (or a config with another switch) plugs in afresh. */
	if (np->sw) {
		spin_lock(&np->sw->lock);
		vsw_port_del(&np->sw->sw, (unsigned)np->port);
		spin_unlock(&np->sw->lock);
		np->sw = NULL;
	}
	spin_lock(&np->lock);
	np->head = np->count = 0;
	np->part = p;
	np->nic = i;
	spin_unlock(&np->lock);
	snprintf(label, sizeof(label), "%s eth%u", part_name(p), i);
	spin_lock(&sw->lock);
	np->port = vsw_port_add(&sw->sw, label, port_rx, np);
	spin_unlock(&sw->lock);
	if (np->port < 0) {
		pr_err("partition %s: switch %s has no free port", part_name(p), c->sw);
		return -ENOSPC;
	}
	np->sw = sw;
	return 0;
}

static const char *type_name(const struct virtio_dev *d)
{
	switch (d->ops->type) {
	case VIRTIO_ID_BLOCK: return "virtio-blk";
	case VIRTIO_ID_NET: return "virtio-net";
	case VIRTIO_ID_CONSOLE: return "virtio-console";
	}
	return "virtio";
}

static void dev_log(struct virtio_dev *d, int q, const char *why)
{
	struct partition *p = d->log_ctx;

	if (q < 0)
		pr_warn("partition %s: %s 00:%02x.0: %s; the device needs a reset", part_name(p),
			type_name(d), d->pci->dev, why);
	else
		pr_warn("partition %s: %s 00:%02x.0: queue %d: %s; the device needs a reset",
			part_name(p), type_name(d), d->pci->dev, q, why);
}

/* hvc0's output joins the UART's in the partition's console ring. */
static void con_out(void *ctx, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		part_console_putc(ctx, s[i]);
}

bool virtio_console_input(struct partition *p, const uint8_t *s, size_t n)
{
	if (!p->virtio.has_con || !p->cfg.hvc_input)
		return false;
	virtio_console_rx(&p->virtio.con, s, n);
	return true;
}

int virtio_part_init(struct partition *p)
{
	struct part_virtio *v = &p->virtio;
	unsigned slot = VIRTIO_FIRST_SLOT;
	int r;

	v->nblk = 0;
	for (unsigned i = 0; i < p->cfg.ndisks; i++, slot++) {
		struct vdisk *k = disk_get(p, &p->cfg.disks[i]);
		struct virtio_blk *b = &v->blk[v->nblk];

		if (!k) {
			pr_err("partition %s: cannot attach disk %s", part_name(p), p->cfg.disks[i].path);
			return -ENOENT;
		}
		r = virtio_blk_add(b, k, &p->plat.pci, (uint8_t)slot,
				   VIRTIO_BAR_BASE + (slot - VIRTIO_FIRST_SLOT) * VIRTIO_BAR_SIZE,
				   &p->plat.env, p->ram_size, &v->req, VIRTIO_INTX_GSI);
		if (r) {
			pr_err("partition %s: cannot add disk %s (%s)", part_name(p),
			       p->cfg.disks[i].path, err_name(r));
			return r;
		}
		b->dev.log = dev_log;
		b->dev.log_ctx = p;
		v->nblk++;
	}
	v->nnet = 0;
	for (unsigned i = 0; i < p->cfg.nnics; i++, slot++) {
		const struct part_nic *c = &p->cfg.nics[i];
		struct virtio_net *n = &v->net[i];
		uint8_t mac[6];

		if (c->mac_set)
			memcpy(mac, c->mac, 6);
		else
			virtio_default_mac(part_name(p), i, mac);
		r = nic_attach(p, i, c);
		if (!r)
			r = virtio_net_add(n, mac, &p->plat.pci, (uint8_t)slot,
					   VIRTIO_BAR_BASE + (slot - VIRTIO_FIRST_SLOT) * VIRTIO_BAR_SIZE,
					   &p->plat.env, p->ram_size, &v->req, VIRTIO_INTX_GSI);
		if (r) {
			pr_err("partition %s: cannot add NIC %u on %s (%s)", part_name(p), i, c->sw,
			       err_name(r));
			return r;
		}
		n->dev.log = dev_log;
		n->dev.log_ctx = p;
		n->tx = nic_tx;
		n->rx_ready = nic_rx_ready;
		n->tx_later = nic_tx_later;
		n->tx_defer = true;
		n->tx_ctx = &nic_ports[p->id][i];
		v->nnet++;
	}
	v->has_con = false;
	if (p->cfg.hvc) {
		r = virtio_console_add(&v->con, &p->plat.pci, (uint8_t)slot,
				       VIRTIO_BAR_BASE + (slot - VIRTIO_FIRST_SLOT) * VIRTIO_BAR_SIZE,
				       &p->plat.env, p->ram_size, &v->req, VIRTIO_INTX_GSI);
		if (r) {
			pr_err("partition %s: cannot add its virtio console (%s)", part_name(p),
			       err_name(r));
			return r;
		}
		v->con.dev.log = dev_log;
		v->con.dev.log_ctx = p;
		v->con.out = con_out;
		v->con.out_ctx = p;
		v->has_con = true;
		slot++;
	}
	if (v->nnet && devreg_timer_add(&p->plat.reg, nic_tick, p) < 0) {
		pr_err("partition %s: no timer slot for its NICs", part_name(p));
		return -ENOSPC;
	}
	return 0;
}

static void dev_line(struct sink *out, const struct virtio_dev *d)
{
	sink_printf(out, "  %-14s 00:%02x.0 at %#llx, %s, %s, %llu notifies, %llu interrupts, "
		    "%llu resets%s\n", type_name(d), d->pci->dev,
		    (unsigned long long)vpci_bar_addr(d->pci, 0), virtio_state(d),
		    (d->pci->cfg[d->msix_cap + 3] & 0x80) ? "MSI-X" : "INTx",
		    (unsigned long long)d->notifies, (unsigned long long)d->interrupts,
		    (unsigned long long)d->resets, d->needs_resets ? ", needed a reset" : "");
}

void virtio_part_info(const struct partition *p, struct sink *out)
{
	const struct part_virtio *v = &p->virtio;

	for (unsigned i = 0; i < v->nblk; i++) {
		const struct vdisk *k = v->blk[i].disk;

		dev_line(out, &v->blk[i].dev);
		sink_printf(out, "    disk %s%s, %llu MiB: %llu reads (%llu KiB), %llu writes (%llu KiB), "
			    "%llu flushes, %llu discards, %llu errors\n", p->cfg.disks[i].path,
			    k->ro ? " (read-only)" : "", (unsigned long long)(k->size >> 20),
			    (unsigned long long)k->reads, (unsigned long long)(k->read_bytes >> 10),
			    (unsigned long long)k->writes, (unsigned long long)(k->written_bytes >> 10),
			    (unsigned long long)k->flushes, (unsigned long long)k->discards,
			    (unsigned long long)k->errors);
	}
	for (unsigned i = 0; i < v->nnet; i++) {
		const struct virtio_net *n = &v->net[i];
		const struct nic_port *np = &nic_ports[p->id][i];

		dev_line(out, &n->dev);
		sink_printf(out, "    eth%u %02x:%02x:%02x:%02x:%02x:%02x on switch %s port %d: "
			    "%llu frames sent, %llu received, %llu bad, %u waiting\n", i,
			    n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5],
			    np->sw ? np->sw->sw.name : "?", np->port,
			    (unsigned long long)n->tx_frames, (unsigned long long)n->rx_frames,
			    (unsigned long long)n->tx_dropped, np->count);
	}
	if (v->has_con) {
		dev_line(out, &v->con.dev);
		sink_printf(out, "    hvc0: %llu bytes to the console, %llu from it%s (%llu dropped)\n",
			    (unsigned long long)v->con.bytes_out, (unsigned long long)v->con.bytes_in,
			    p->cfg.hvc_input ? "" : " (input goes to the UART)",
			    (unsigned long long)v->con.bytes_dropped);
	}
}

void virtio_switch_report(struct sink *out)
{
	/* A copy taken under the switch's lock and printed after it: the
	 * serial line is slow, senders must not wait for it. Only the shell
	 * calls this, one command at a time. */
	static struct vswitch snap;

	if (!nswitches)
		sink_printf(out, "no switches ([switch NAME] in vatra.cfg declares one)\n");
	for (unsigned i = 0; i < nswitches; i++) {
		bool any = false;

		spin_lock(&switches[i].lock);
		snap = switches[i].sw;
		spin_unlock(&switches[i].lock);
		sink_printf(out, "switch %s: %llu frames flooded (%llu to unknown MACs)\n", snap.name,
			    (unsigned long long)snap.floods, (unsigned long long)snap.unknown);
		for (unsigned k = 0; k < VSW_MAX_PORTS; k++) {
			const struct vsw_port *pt = &snap.ports[k];

			if (!pt->used)
				continue;
			sink_printf(out, "  port %u %-20s in %llu frames %llu bytes, out %llu frames "
				    "%llu bytes, %llu dropped, %llu bad\n", k, pt->label,
				    (unsigned long long)pt->tx_frames, (unsigned long long)pt->tx_bytes,
				    (unsigned long long)pt->rx_frames, (unsigned long long)pt->rx_bytes,
				    (unsigned long long)pt->drops, (unsigned long long)pt->bad);
		}
		for (unsigned k = 0; k < VSW_MAC_ENTRIES; k++) {
			const struct vsw_mac *m = &snap.macs[k];

			if (!m->used)
				continue;
			if (!any)
				sink_printf(out, "  MAC table:\n");
			any = true;
			sink_printf(out, "    %02x:%02x:%02x:%02x:%02x:%02x port %u\n", m->mac[0],
				    m->mac[1], m->mac[2], m->mac[3], m->mac[4], m->mac[5], m->port);
		}
	}
}
