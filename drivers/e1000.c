/* Intel 8254x (e1000: 82540EM, 82545EM) and 82574L (e1000e) as the
 * management NIC, with legacy descriptors, polled. The classic register
 * offsets and descriptor formats are common to both (Intel PCI/PCI-X
 * Family of GbE Controllers SDM, 13 (registers), 3.2.3 / 3.3.3 (legacy
 * receive and transmit descriptors), 14.3-14.5 (initialization); 82574
 * datasheet 10.2 and 7.1). The igb family (i210, i350) keeps queue 0 at
 * the same offsets but needs RXDCTL/TXDCTL.ENABLE (bit 25) and SRRCTL:
 * a model with QUEUE_ENABLE in its flags gets those writes. */
#include "drivers/nic.h"
#include "arch/x86/mmu.h"
#include "arch/x86/cpu.h"
#include "mm/mem.h"
#include "lib/log.h"
#include "lib/errno.h"
#include "lib/string.h"

#define REG_CTRL   0x0000
#define REG_STATUS 0x0008
#define REG_ICR    0x00c0
#define REG_IMC    0x00d8
#define REG_RCTL   0x0100
#define REG_TCTL   0x0400
#define REG_TIPG   0x0410
#define REG_RDBAL  0x2800
#define REG_RDBAH  0x2804
#define REG_RDLEN  0x2808
#define REG_RDH    0x2810
#define REG_RDT    0x2818
#define REG_RXDCTL 0x2828
#define REG_TDBAL  0x3800
#define REG_TDBAH  0x3804
#define REG_TDLEN  0x3808
#define REG_TDH    0x3810
#define REG_TDT    0x3818
#define REG_TXDCTL 0x3828
#define REG_MTA    0x5200
#define REG_RAL0   0x5400
#define REG_RAH0   0x5404

#define CTRL_ASDE  (1u << 5)
#define CTRL_SLU   (1u << 6)
#define CTRL_RST   (1u << 26)
#define STATUS_LU  (1u << 1)
#define RCTL_EN    (1u << 1)
#define RCTL_BAM   (1u << 15)
#define RCTL_SECRC (1u << 26)       /* BSIZE 00: 2048-byte buffers */
#define TCTL_EN    (1u << 1)
#define TCTL_PSP   (1u << 3)
#define TCTL_CT    (0x0fu << 4)
#define TCTL_COLD  (0x40u << 12)    /* full duplex */
#define XDCTL_ENABLE (1u << 25)
#define RAH_AV     (1u << 31)

#define RXD_DD  0x01
#define RXD_EOP 0x02
#define TXD_EOP 0x01
#define TXD_IFCS 0x02
#define TXD_RS  0x08
#define TXD_DD  0x01

#define NDESC 64
#define BUF_SIZE 2048

#define QUEUE_ENABLE 1u   /* igb: queues need RXDCTL/TXDCTL.ENABLE */

struct rx_desc { uint64_t addr; uint16_t len, csum; uint8_t status, errors; uint16_t special; };
struct tx_desc { uint64_t addr; uint16_t len; uint8_t cso, cmd, status, css; uint16_t special; };

struct e1000_model {
	uint16_t device;
	const char *name;
	unsigned flags;
};

/* The models taken; an igb part is one more line here with
 * QUEUE_ENABLE (and its SRRCTL buffer size, see e1000_init). */
static const struct e1000_model models[] = {
	{ 0x100e, "e1000 (82540EM)", 0 },
	{ 0x100f, "e1000 (82545EM)", 0 },
	{ 0x10d3, "e1000e (82574L)", 0 },
};

struct e1000 {
	volatile uint8_t *regs;
	const struct e1000_model *model;
	volatile struct rx_desc *rx;
	volatile struct tx_desc *tx;
	uint8_t *rxbuf, *txbuf;
	uint64_t rxbuf_phys, txbuf_phys;
	unsigned rx_next, tx_next;
};

static struct e1000 e1000_state;

static uint32_t rd(struct e1000 *e, unsigned r)
{
	return *(volatile uint32_t *)(e->regs + r);
}

static void wr(struct e1000 *e, unsigned r, uint32_t v)
{
	*(volatile uint32_t *)(e->regs + r) = v;
}

static const struct e1000_model *model_of(const struct pci_dev *d)
{
	if (d->vendor != 0x8086)
		return NULL;
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if (models[i].device == d->device)
			return &models[i];
	return NULL;
}

static bool e1000_match(const struct pci_dev *d)
{
	return model_of(d) != NULL;
}

static int e1000_send(struct nic *n, const void *frame, size_t len)
{
	struct e1000 *e = n->priv;
	volatile struct tx_desc *d = &e->tx[e->tx_next];

	if (!len || len > NIC_MTU_FRAME)
		return -EINVAL;
	if (!(d->status & TXD_DD)) {
		n->tx_full++;
		return -EAGAIN;
	}
	memcpy(e->txbuf + (size_t)e->tx_next * BUF_SIZE, frame, len);
	d->addr = e->txbuf_phys + (uint64_t)e->tx_next * BUF_SIZE;
	d->len = (uint16_t)len;
	d->cso = 0;
	d->css = 0;
	d->special = 0;
	d->status = 0;
	d->cmd = TXD_EOP | TXD_IFCS | TXD_RS;
	e->tx_next = (e->tx_next + 1) % NDESC;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wr(e, REG_TDT, e->tx_next);
	n->tx_frames++;
	return 0;
}

static unsigned e1000_poll(struct nic *n, nic_rx_fn fn, void *ctx, unsigned budget)
{
	struct e1000 *e = n->priv;
	unsigned done = 0;

	while (done < budget) {
		volatile struct rx_desc *d = &e->rx[e->rx_next];
		uint8_t st = d->status;

		if (!(st & RXD_DD))
			break;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		/* One frame per buffer: a frame spread over several (no EOP)
		 * or with errors is dropped. */
		if ((st & RXD_EOP) && !d->errors && d->len && d->len <= BUF_SIZE) {
			fn(ctx, e->rxbuf + (size_t)e->rx_next * BUF_SIZE, d->len);
			n->rx_frames++;
		} else {
			n->rx_dropped++;
		}
		d->status = 0;
		wr(e, REG_RDT, e->rx_next);   /* the buffer goes back */
		e->rx_next = (e->rx_next + 1) % NDESC;
		done++;
	}
	return done;
}

static bool e1000_link_up(struct nic *n)
{
	return rd(n->priv, REG_STATUS) & STATUS_LU;
}

static int e1000_init(const struct pci_dev *d, struct nic *n)
{
	struct e1000 *e = &e1000_state;
	const struct pci_bar *b = &d->bar[0];
	uint64_t ring;
	uint32_t ral, rah;
	uint16_t cmd;

	memset(e, 0, sizeof(*e));
	e->model = model_of(d);
	if ((b->type != PCI_BAR_MEM32 && b->type != PCI_BAR_MEM64) || !b->base || b->size < 0x10000)
		return -ENODEV;
	e->regs = mmu_map_phys(b->base, 0x10000, true);
	if (!e->regs)
		return -ENOMEM;
	cmd = (uint16_t)pci_cfg_read(d, 0x04, 2);
	pci_cfg_write(d, 0x04, 2, cmd | 0x6);   /* memory space, bus master */

	/* Global reset (the firmware may have used it), interrupts off. */
	wr(e, REG_IMC, 0xffffffff);
	wr(e, REG_CTRL, rd(e, REG_CTRL) | CTRL_RST);
	for (unsigned i = 0; (rd(e, REG_CTRL) & CTRL_RST) && i < 1000000; i++)
		__builtin_ia32_pause();
	if (rd(e, REG_CTRL) & CTRL_RST)
		return -ETIMEDOUT;
	wr(e, REG_IMC, 0xffffffff);
	(void)rd(e, REG_ICR);
	wr(e, REG_CTRL, (rd(e, REG_CTRL) | CTRL_SLU | CTRL_ASDE));

	/* The MAC the EEPROM loaded into receive address 0 at reset. */
	ral = rd(e, REG_RAL0);
	rah = rd(e, REG_RAH0);
	if (!(rah & RAH_AV) || (!ral && !(rah & 0xffff)))
		return -ENODEV;
	for (unsigned i = 0; i < 4; i++)
		n->mac[i] = (uint8_t)(ral >> (8 * i));
	n->mac[4] = (uint8_t)rah;
	n->mac[5] = (uint8_t)(rah >> 8);
	for (unsigned i = 0; i < 128; i++)
		wr(e, REG_MTA + 4 * i, 0);

	ring = nic_dma_alloc(n, 2);
	e->rxbuf_phys = nic_dma_alloc(n, NDESC * BUF_SIZE / 4096);
	e->txbuf_phys = nic_dma_alloc(n, NDESC * BUF_SIZE / 4096);
	if (!ring || !e->rxbuf_phys || !e->txbuf_phys)
		return -ENOMEM;
	e->rx = phys_to_virt(ring);
	e->tx = phys_to_virt(ring + 4096);
	e->rxbuf = phys_to_virt(e->rxbuf_phys);
	e->txbuf = phys_to_virt(e->txbuf_phys);
	for (unsigned i = 0; i < NDESC; i++) {
		e->rx[i].addr = e->rxbuf_phys + (uint64_t)i * BUF_SIZE;
		e->tx[i].status = TXD_DD;   /* free */
	}

	wr(e, REG_RDBAL, (uint32_t)ring);
	wr(e, REG_RDBAH, (uint32_t)(ring >> 32));
	wr(e, REG_RDLEN, NDESC * sizeof(struct rx_desc));
	wr(e, REG_RDH, 0);
	wr(e, REG_TDBAL, (uint32_t)(ring + 4096));
	wr(e, REG_TDBAH, (uint32_t)((ring + 4096) >> 32));
	wr(e, REG_TDLEN, NDESC * sizeof(struct tx_desc));
	wr(e, REG_TDH, 0);
	wr(e, REG_TDT, 0);
	if (e->model->flags & QUEUE_ENABLE) {
		wr(e, REG_RXDCTL, rd(e, REG_RXDCTL) | XDCTL_ENABLE);
		wr(e, REG_TXDCTL, rd(e, REG_TXDCTL) | XDCTL_ENABLE);
	}
	wr(e, REG_RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC);
	wr(e, REG_RDT, NDESC - 1);
	wr(e, REG_TIPG, 0x0060200a);   /* IPGT 10, IPGR1 8, IPGR2 6 (SDM 13.4.34) */
	wr(e, REG_TCTL, TCTL_EN | TCTL_PSP | TCTL_CT | TCTL_COLD);

	n->model = e->model->name;
	n->priv = e;
	n->send = e1000_send;
	n->poll = e1000_poll;
	n->link_up = e1000_link_up;
	return 0;
}

const struct nic_driver e1000_driver = {
	.name = "e1000",
	.match = e1000_match,
	.init = e1000_init,
};
