/* lwIP's build options for Vatra's management network: NO_SYS (one CPU
 * owns the stack and polls it, net/netif.c), IPv4 with ARP, ICMP, DHCP,
 * UDP (syslog) and TCP behind the altcp layer, which carries TLS
 * (mbedTLS) for the API. Everything else is off. */
#ifndef VATRA_LWIPOPTS_H
#define VATRA_LWIPOPTS_H

#define NO_SYS                  1
#define SYS_LIGHTWEIGHT_PROT    0
#define LWIP_SOCKET             0
#define LWIP_NETCONN            0
#define LWIP_IPV4               1
#define LWIP_IPV6               0
#define LWIP_ARP                1
#define ARP_QUEUEING            1
/* Packets held per address while its ARP request is out: the syslog
 * queue's 64 lines go out at once after boot, before the collector's
 * address is known (lwIP's default 3 kept only the last three). */
#define ARP_QUEUE_LEN           64
#define MEMP_NUM_ARP_QUEUE      80
#define LWIP_ETHERNET           1
#define LWIP_ICMP               1
#define LWIP_DHCP               1
#define LWIP_DHCP_DOES_ACD_CHECK 0
#define DHCP_DOES_ARP_CHECK     0
#define LWIP_AUTOIP             0
#define LWIP_IGMP               0
#define LWIP_DNS                0
#define LWIP_UDP                1
#define LWIP_TCP                1
#define LWIP_RAW                0
#define LWIP_NETIF_HOSTNAME     1
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 0
/* Heap and pool use only, for /metrics and the idle check. */
#define LWIP_STATS              1
#define MEM_STATS               1
#define MEMP_STATS              1
#define LINK_STATS              0
#define ETHARP_STATS            0
#define IP_STATS                0
#define ICMP_STATS              0
#define UDP_STATS               0
#define TCP_STATS               0
#define SYS_STATS               0
#define IPFRAG_STATS            0
#define LWIP_CHECKSUM_CTRL_PER_NETIF 0
#define IP_REASSEMBLY           0
#define IP_FRAG                 0

#define LWIP_ALTCP              1
#define LWIP_ALTCP_TLS          1
#define LWIP_ALTCP_TLS_MBEDTLS  1
#define ALTCP_MBEDTLS_USE_SESSION_CACHE 0
#define ALTCP_MBEDTLS_USE_SESSION_TICKETS 0

/* Memory: the heap also serves mbedTLS (about 21 KB per TLS connection:
 * its 16 KB input and 4 KB output record buffers, handshake state). */
#define MEM_ALIGNMENT           8
#define MEM_SIZE                (1024 * 1024)
#define MEMP_NUM_PBUF           64
#define MEMP_NUM_UDP_PCB        4
#define MEMP_NUM_TCP_PCB        12      /* the API's pool (8) and TIME-WAIT slack */
#define MEMP_NUM_TCP_PCB_LISTEN 2
#define MEMP_NUM_TCP_SEG        128
#define MEMP_NUM_ALTCP_PCB      (2 * MEMP_NUM_TCP_PCB + 4)
#define PBUF_POOL_SIZE          64
#define PBUF_POOL_BUFSIZE       1536
#define TCP_MSS                 1460
#define TCP_WND                 (16 * TCP_MSS)
#define TCP_SND_BUF             (16 * TCP_MSS)
#define TCP_SND_QUEUELEN        64
#define TCP_LISTEN_BACKLOG      1
#define TCP_DEFAULT_LISTEN_BACKLOG 4
#define LWIP_TCP_KEEPALIVE      0

#define LWIP_RAND()             ((u32_t)vatra_net_rand())
unsigned int vatra_net_rand(void);

/* LWIP_DEBUG stays undefined: lwIP tests it with #ifdef. */
#define LWIP_NOASSERT_ON_ERROR  0

#endif
