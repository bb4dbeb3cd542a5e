/* A partition's virtio devices. See vmm/virtio.h. */
#include "vmm/virtio.h"
#include "vmm/partition.h"
#include "include/vatra/bootinfo.h"
#include "include/vatra/hv.h"
#include "mm/mem.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/strutil.h"
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

static const char *type_name(const struct virtio_dev *d)
{
	switch (d->ops->type) {
	case VIRTIO_ID_BLOCK: return "virtio-blk";
	case VIRTIO_ID_NET: return "virtio-net";
	case VIRTIO_ID_CONSOLE: return "virtio-console";
	}
	return "virtio";
}

static void dev_log(struct virtio_dev *d, const char *what, const char *why)
{
	struct partition *p = d->log_ctx;

	pr_warn("partition %s: %s 00:%02x.0: %s: %s; the device needs a reset", part_name(p),
		type_name(d), d->pci->dev, what, why);
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
}
