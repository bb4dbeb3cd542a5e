/* HTTP over altcp and altcp_tls (httpd.h). */
#include "net/httpd.h"
#include "net/stack.h"
#include "arch/x86/rand.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/errno.h"
#include "lib/string.h"

#include "lwip/altcp.h"
#include "lwip/altcp_tcp.h"
#include "lwip/altcp_tls.h"
#include "lwip/mem.h"
#include "lwip/stats.h"
#include "lwip/memp.h"
#include "mbedtls/ssl.h"
#include "mbedtls/sha256.h"
#include "mbedtls/entropy.h"

#define MAX_LISTENERS 2

struct listener {
	struct altcp_pcb *pcb;
	bool tls;
	httpd_handler fn;
	void *ctx;
};

struct conn {
	bool used;
	struct altcp_pcb *pcb;
	struct listener *l;
	int lindex;
	char in[HTTPD_MAX_HEAD + HTTPD_MAX_BODY];
	size_t in_len;
	char out[HTTPD_REPLY_MAX];
	size_t out_len, out_sent;
	uint32_t req_start_ms, last_ms;
	bool close_after;
	bool peer_read;
	struct httpd_peer peer;
	const struct httpd_stream_ops *stream;   /* a stream once its head is out */
	void *stream_ctx;
};

static struct listener listeners[MAX_LISTENERS];
static unsigned nlisteners;
static struct conn conns[HTTPD_CONNS];
static unsigned refused;

/* mbedTLS's entropy source (MBEDTLS_ENTROPY_HARDWARE_ALT). */
int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen);
int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen)
{
	size_t n = 0;

	while (n < len) {
		uint64_t v;
		size_t k = len - n < 8 ? len - n : 8;
		if (!rand_u64(&v))
			break;
		memcpy(output + n, &v, k);
		n += k;
	}
	*olen = n;
	return 0;
}

void httpd_sha256(const void *data, size_t len, uint8_t out[32])
{
	mbedtls_sha256_ret(data, len, out, 0);
}

unsigned httpd_conns_used(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < HTTPD_CONNS; i++)
		n += conns[i].used;
	return n;
}

size_t httpd_heap_used(void)
{
	return lwip_stats.mem.used;
}

unsigned httpd_tcp_pcbs_used(void)
{
	return lwip_stats.memp[MEMP_TCP_PCB] ? lwip_stats.memp[MEMP_TCP_PCB]->used : 0;
}

static void conn_free(struct conn *c)
{
	if (c->stream) {
		const struct httpd_stream_ops *s = c->stream;
		c->stream = NULL;
		s->closed(c->stream_ctx);
	}
	if (c->pcb) {
		altcp_arg(c->pcb, NULL);
		altcp_recv(c->pcb, NULL);
		altcp_sent(c->pcb, NULL);
		altcp_err(c->pcb, NULL);
		altcp_poll(c->pcb, NULL, 0);
	}
	c->pcb = NULL;
	c->used = false;
}

static void conn_close(struct conn *c)
{
	struct altcp_pcb *pcb = c->pcb;

	conn_free(c);
	if (pcb && altcp_close(pcb) != ERR_OK)
		altcp_abort(pcb);
}

static void try_send(struct conn *c)
{
	while (c->out_sent < c->out_len) {
		size_t room = altcp_sndbuf(c->pcb), n = c->out_len - c->out_sent;

		/* altcp_tls takes at most one TLS record per write (mbedTLS
		 * writes one and the glue reports the rest as ERR_MEM, with
		 * the record already out): never offer more. */
		size_t max = c->l->tls ? MBEDTLS_SSL_OUT_CONTENT_LEN : 0xffff;

		if (n > room)
			n = room;
		if (n > max)
			n = max;
		if (!n)
			break;
		if (altcp_write(c->pcb, c->out + c->out_sent, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK)
			break;
		c->out_sent += n;
	}
	altcp_output(c->pcb);
	if (c->out_sent == c->out_len && c->close_after)
		conn_close(c);
}

struct outbuf {
	struct sink sink;
	struct conn *c;
	bool full;          /* something did not fit */
};

static void out_write(void *ctx, const char *s, size_t n)
{
	struct outbuf *o = ctx;
	struct conn *c = o->c;

	if (n > sizeof(c->out) - c->out_len) {
		n = sizeof(c->out) - c->out_len;
		o->full = true;
	}
	memcpy(c->out + c->out_len, s, n);
	c->out_len += n;
}

/* The head is written after the body, whose length it needs: the body
 * goes at a fixed offset first, then moves down behind the head. */
#define HEAD_ROOM 512

static void respond(struct conn *c, const struct http_req *req, bool parsed, int status,
		    const char *why)
{
	struct httpd_reply rep;
	struct outbuf o = { { out_write, NULL }, c, false };
	size_t body_len, head_len;
	char head[HEAD_ROOM];

	o.sink.ctx = &o;
	c->out_len = HEAD_ROOM;
	c->out_sent = 0;
	memset(&rep, 0, sizeof(rep));
	rep.status = status;
	rep.content_type = "application/json";
	rep.body = &o.sink;
	if (parsed) {
		c->l->fn(c->l->ctx, req, &c->peer, &rep);
		if (o.full && !rep.stream) {
			/* A cut reply would be broken JSON: say so instead. */
			static const char big[] = "{\"error\":{\"code\":500,\"message\":"
				"\"the reply is larger than the server's 64 KiB buffer\"}}\n";
			c->out_len = HEAD_ROOM;
			o.full = false;
			out_write(&o, big, sizeof(big) - 1);
			rep.status = 500;
			rep.content_type = "application/json";
		}
	} else {
		/* The parser's own refusals: the same JSON error shape. */
		char msg[128];
		snprintf(msg, sizeof(msg), "{\"error\":{\"code\":%d,\"message\":\"%s\"}}\n", status,
			 why ? why : http_reason(status));
		out_write(&o, msg, strlen(msg));
		c->close_after = true;
	}
	if (parsed && rep.stream) {
		head_len = (size_t)snprintf(head, sizeof(head),
			"HTTP/1.1 101 Switching Protocols\r\nUpgrade: %s\r\nConnection: Upgrade\r\n\r\n",
			rep.upgrade ? rep.upgrade : "stream");
		memcpy(c->out, head, head_len);
		c->out_len = head_len;
		c->stream = rep.stream;
		c->stream_ctx = rep.stream_ctx;
		c->close_after = false;
		try_send(c);
		return;
	}
	body_len = c->out_len - HEAD_ROOM;
	if (req && !strcmp(req->method, "HEAD"))
		body_len = 0;
	head_len = (size_t)snprintf(head, sizeof(head),
		"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n",
		rep.status, http_reason(rep.status), rep.content_type, body_len, rep.headers,
		c->close_after ? "Connection: close\r\n" : "");
	if (head_len >= sizeof(head))
		head_len = sizeof(head) - 1;
	memmove(c->out + head_len, c->out + HEAD_ROOM, body_len);
	memcpy(c->out, head, head_len);
	c->out_len = head_len + body_len;
	try_send(c);
}

static void read_peer(struct conn *c)
{
	mbedtls_ssl_context *ssl;
	const mbedtls_x509_crt *crt;

	if (c->peer_read)
		return;
	c->peer_read = true;
	if (!c->l->tls)
		return;
	ssl = altcp_tls_context(c->pcb);
	crt = ssl ? mbedtls_ssl_get_peer_cert(ssl) : NULL;
	if (crt && crt->raw.p && crt->raw.len) {
		httpd_sha256(crt->raw.p, crt->raw.len, c->peer.cert_sha256);
		c->peer.has_cert = true;
	}
}

static void process(struct conn *c)
{
	struct http_req req;
	int r;

	if (!c->used || c->out_sent < c->out_len || !c->in_len)
		return;
	r = http_parse(c->in, c->in_len, HTTPD_MAX_HEAD, HTTPD_MAX_BODY, &req);
	if (r == HTTP_NEED_MORE) {
		if (c->in_len == sizeof(c->in))
			respond(c, NULL, false, 400, "request larger than the server takes");
		return;
	}
	read_peer(c);
	if (r < 0) {
		respond(c, NULL, false, -r, req.why);
		return;
	}
	c->close_after = !req.keep_alive;
	c->in_len = 0;
	respond(c, &req, true, 200, NULL);
	if (c->used)
		c->req_start_ms = 0;
}

static err_t on_recv(void *arg, struct altcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct conn *c = arg;

	if (!c) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (!p) {
		conn_close(c);
		return ERR_OK;
	}
	c->last_ms = net_now_ms();
	if (c->stream) {
		for (struct pbuf *q = p; q; q = q->next)
			c->stream->input(c->stream_ctx, q->payload, q->len);
		altcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	}
	if (!c->in_len)
		c->req_start_ms = net_now_ms();
	for (struct pbuf *q = p; q; q = q->next) {
		size_t n = q->len;
		if (n > sizeof(c->in) - c->in_len)
			n = sizeof(c->in) - c->in_len;
		memcpy(c->in + c->in_len, q->payload, n);
		c->in_len += n;
	}
	altcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	process(c);
	return ERR_OK;
}

static err_t on_sent(void *arg, struct altcp_pcb *pcb, u16_t len)
{
	struct conn *c = arg;

	if (c && c->used) {
		c->last_ms = net_now_ms();
		try_send(c);
		if (c->used && c->out_sent == c->out_len)
			process(c);
	}
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	struct conn *c = arg;

	/* The pcb is already gone. */
	if (c) {
		c->pcb = NULL;
		conn_free(c);
	}
}

/* About every second: a request that has not arrived in time (a slow
 * client, a handshake that stopped halfway) gets 408; an idle kept-alive
 * connection is closed. */
static err_t on_poll(void *arg, struct altcp_pcb *pcb)
{
	struct conn *c = arg;
	uint32_t now = net_now_ms();

	if (!c || !c->used || c->stream)
		return ERR_OK;
	if (c->out_sent < c->out_len) {
		try_send(c);
		return ERR_OK;
	}
	if (c->in_len && now - c->req_start_ms > HTTPD_REQUEST_MS) {
		c->in_len = 0;
		respond(c, NULL, false, 408, "the request did not arrive in time");
		return ERR_OK;
	}
	if (!c->in_len && now - c->last_ms > (c->peer_read ? HTTPD_IDLE_MS : HTTPD_REQUEST_MS)) {
		altcp_abort(pcb);
		conn_free(c);
		return ERR_ABRT;
	}
	return ERR_OK;
}

static err_t on_accept(void *arg, struct altcp_pcb *pcb, err_t err)
{
	struct listener *l = arg;
	struct conn *c = NULL;
	const ip_addr_t *ip;

	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	for (unsigned i = 0; i < HTTPD_CONNS; i++)
		if (!conns[i].used) {
			c = &conns[i];
			break;
		}
	if (!c) {
		/* The pool is full: this one is refused at once. */
		if (!refused++ || !(refused % 100))
			pr_warn("mgmt: connection refused: all %u API connections busy (%u so far)",
				HTTPD_CONNS, refused);
		altcp_abort(pcb);
		return ERR_ABRT;
	}
	memset(&c->peer, 0, sizeof(c->peer));
	c->used = true;
	c->pcb = pcb;
	c->l = l;
	c->in_len = c->out_len = c->out_sent = 0;
	c->close_after = false;
	c->peer_read = false;
	c->stream = NULL;
	c->req_start_ms = c->last_ms = net_now_ms();
	ip = altcp_get_ip(pcb, 0);
	c->peer.addr = ip ? lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(ip))) : 0;
	c->peer.port = altcp_get_port(pcb, 0);
	c->peer.tls = l->tls;
	c->peer.listener = (int)(l - listeners);
	altcp_arg(pcb, c);
	altcp_recv(pcb, on_recv);
	altcp_sent(pcb, on_sent);
	altcp_err(pcb, on_err);
	altcp_poll(pcb, on_poll, 2);
	return ERR_OK;
}

void httpd_poll(void)
{
	for (unsigned i = 0; i < HTTPD_CONNS; i++) {
		struct conn *c = &conns[i];
		size_t room, n;

		if (!c->used || !c->stream || !c->pcb)
			continue;
		if (c->out_sent < c->out_len) {
			try_send(c);
			if (c->out_sent < c->out_len)
				continue;
		}
		room = altcp_sndbuf(c->pcb);
		if (room > sizeof(c->out))
			room = sizeof(c->out);
		if (room < 64)
			continue;
		n = c->stream->pump(c->stream_ctx, c->out, room);
		if (!n)
			continue;
		c->out_len = n;
		c->out_sent = 0;
		try_send(c);
	}
}

int httpd_listen(uint16_t port, const uint8_t *cert, size_t cert_len, const uint8_t *key,
		 size_t key_len, httpd_handler fn, void *ctx)
{
	struct listener *l;
	struct altcp_pcb *pcb, *lp;
	struct altcp_tls_config *tc = NULL;

	if (nlisteners == MAX_LISTENERS)
		return -ENOSPC;
	l = &listeners[nlisteners];
	if (cert && !rand_source()) {
		pr_err("mgmt: the CPU has neither RDSEED nor RDRAND: no entropy for TLS, the API is off");
		return -ENODEV;
	}
	if (cert) {
		tc = altcp_tls_create_config_server_privkey_cert(key, key_len, NULL, 0, cert,
								 cert_len);
		if (!tc) {
			pr_err("mgmt: the server key or certificate is not usable (PEM, EC P-256)");
			return -EINVAL;
		}
		pcb = altcp_tls_new(tc, IPADDR_TYPE_V4);
	} else {
		pcb = altcp_tcp_new_ip_type(IPADDR_TYPE_V4);
	}
	if (!pcb)
		return -ENOMEM;
	if (altcp_bind(pcb, IP4_ADDR_ANY, port) != ERR_OK) {
		altcp_close(pcb);
		pr_err("mgmt: cannot listen on port %u", port);
		return -EBUSY;
	}
	lp = altcp_listen_with_backlog(pcb, 4);
	if (!lp) {
		altcp_close(pcb);
		return -ENOMEM;
	}
	l->pcb = lp;
	l->tls = cert != NULL;
	l->fn = fn;
	l->ctx = ctx;
	altcp_arg(lp, l);
	altcp_accept(lp, on_accept);
	return (int)nlisteners++;
}
