/* lwIP over the management NIC (stack.h). */
#include "net/stack.h"
#include "drivers/nic.h"
#include "include/vatra/hv.h"
#include "arch/x86/cpu.h"
#include "arch/x86/rand.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/errno.h"
#include "lib/string.h"

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "netif/ethernet.h"
#include "lwip/sys.h"
#include <string.h>
#include <stdlib.h>

static struct nic nic;
static struct netif nif;
static bool up;
static bool dhcp_on;
static uint32_t reported_ip;
static void (*poll_hook)(void);

uint32_t sys_now(void)
{
	return net_now_ms();
}

uint32_t net_now_ms(void)
{
	uint64_t d = rdtsc() - hv.boot_tsc;

	return (uint32_t)(hv.tsc_khz ? d / hv.tsc_khz : d / 2000000);
}

/* lwIP's LWIP_RAND: ports, DHCP transaction IDs, TCP ISNs. */
unsigned int vatra_net_rand(void)
{
	uint64_t v;

	if (rand_u64(&v))
		return (unsigned int)v;
	v = rdtsc();
	v ^= v >> 29;
	v *= 0xbf58476d1ce4e5b9ULL;
	return (unsigned int)(v ^ (v >> 32));
}

void vatra_lwip_diag(const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pr_debug("lwip: %s", buf);
}

/* An lwIP assertion is a bug in the stack or its use: logged, and the
 * network goes on (it never stops the hypervisor). */
void vatra_lwip_assert(const char *msg, const char *file, int line)
{
	pr_err("lwip: assertion '%s' failed at %s:%d", msg, file, line);
}

char *strstr(const char *h, const char *n)
{
	size_t ln = strlen(n);

	for (; *h; h++)
		if (!strncmp(h, n, ln))
			return (char *)h;
	return ln ? NULL : (char *)h;
}

int atoi(const char *s)
{
	int v = 0, neg = *s == '-';

	if (*s == '-' || *s == '+')
		s++;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return neg ? -v : v;
}

static err_t link_output(struct netif *n, struct pbuf *p)
{
	static uint8_t frame[NIC_MTU_FRAME];
	u16_t len;

	if (p->tot_len > sizeof(frame))
		return ERR_BUF;
	len = pbuf_copy_partial(p, frame, p->tot_len, 0);
	return nic.send(&nic, frame, len) ? ERR_MEM : ERR_OK;
}

static err_t nif_init(struct netif *n)
{
	n->name[0] = 'm';
	n->name[1] = 'g';
	n->output = etharp_output;
	n->linkoutput = link_output;
	n->mtu = 1500;
	n->hwaddr_len = 6;
	memcpy(n->hwaddr, nic.mac, 6);
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	return ERR_OK;
}

static void frame_in(void *ctx, const void *f, size_t len)
{
	struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);

	if (!p) {
		nic.rx_dropped++;
		return;
	}
	pbuf_take(p, f, (u16_t)len);
	if (nif.input(p, &nif) != ERR_OK)
		pbuf_free(p);
}

static void ip4_set(ip4_addr_t *a, uint32_t host)
{
	IP4_ADDR(a, host >> 24, (host >> 16) & 0xff, (host >> 8) & 0xff, host & 0xff);
}

static unsigned prefix_len(uint32_t mask)
{
	unsigned n = 0;

	while (mask & 0x80000000u) {
		n++;
		mask <<= 1;
	}
	return n;
}

int net_up(const struct net_params *p)
{
	ip4_addr_t ip, mask, gw;
	int r = nic_open(p->nic, &nic, p->reserved);

	if (r)
		return r;
	lwip_init();
	ip4_set(&ip, p->dhcp ? 0 : p->ip);
	ip4_set(&mask, p->dhcp ? 0 : p->mask);
	ip4_set(&gw, p->dhcp ? 0 : p->gw);
	if (!netif_add(&nif, &ip, &mask, &gw, NULL, nif_init, ethernet_input)) {
		pr_err("mgmt: lwIP refused the interface");
		return -EIO;
	}
	nif.hostname = p->hostname;
	netif_set_default(&nif);
	netif_set_up(&nif);
	netif_set_link_up(&nif);
	dhcp_on = p->dhcp;
	if (p->dhcp && dhcp_start(&nif) != ERR_OK) {
		pr_err("mgmt: DHCP did not start");
		return -EIO;
	}
	up = true;
	if (!p->dhcp) {
		reported_ip = p->ip;
		pr_info("mgmt: address %u.%u.%u.%u/%u%s", p->ip >> 24, (p->ip >> 16) & 0xff,
			(p->ip >> 8) & 0xff, p->ip & 0xff, prefix_len(p->mask),
			p->gw ? "" : " (no gateway)");
	} else {
		pr_info("mgmt: asking for an address by DHCP");
	}
	return 0;
}

bool net_is_up(void)
{
	return up;
}

uint32_t net_addr(void)
{
	return up ? lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(&nif))) : 0;
}

void net_set_poll_hook(void (*fn)(void))
{
	poll_hook = fn;
}

void net_poll(void)
{
	uint32_t a;

	if (!up)
		return;
	nic.poll(&nic, frame_in, NULL, 64);
	sys_check_timeouts();
	a = net_addr();
	if (dhcp_on && a != reported_ip) {
		reported_ip = a;
		if (a)
			pr_info("mgmt: address %u.%u.%u.%u by DHCP", a >> 24, (a >> 16) & 0xff,
				(a >> 8) & 0xff, a & 0xff);
	}
	if (poll_hook)
		poll_hook();
}

void net_report(struct sink *out)
{
	uint32_t a = net_addr();

	if (!up) {
		sink_printf(out, "net: off\n");
		return;
	}
	sink_printf(out, "net: %s at %02x:%02x.%x MAC %02x:%02x:%02x:%02x:%02x:%02x link %s\n",
		    nic.model, nic.pci->bus, nic.pci->devfn >> 3, nic.pci->devfn & 7, nic.mac[0],
		    nic.mac[1], nic.mac[2], nic.mac[3], nic.mac[4], nic.mac[5],
		    nic.link_up(&nic) ? "up" : "down");
	sink_printf(out, "net: address %u.%u.%u.%u%s, rx %llu tx %llu dropped %llu tx-full %llu\n",
		    a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff, dhcp_on ? " (DHCP)" : "",
		    (unsigned long long)nic.rx_frames, (unsigned long long)nic.tx_frames,
		    (unsigned long long)nic.rx_dropped, (unsigned long long)nic.tx_full);
}
