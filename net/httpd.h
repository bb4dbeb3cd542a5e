/* The management API's HTTP/1.1 server on lwIP's altcp: over TLS
 * (mbedTLS through altcp_tls: TLS 1.2, ECDHE-ECDSA P-256, AES-GCM, a
 * client certificate requested and kept), and optionally a plaintext
 * listener. A fixed pool of connections; each request is parsed by
 * net/http.c and handed whole to the handler, whose reply is sent and,
 * with keep-alive, the next request read. Owner CPU only (net/stack.h). */
#ifndef VATRA_NET_HTTPD_H
#define VATRA_NET_HTTPD_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "net/http.h"
#include "lib/sink.h"

#define HTTPD_CONNS 4
#define HTTPD_MAX_HEAD 8192
#define HTTPD_MAX_BODY 4096
#define HTTPD_REPLY_MAX 65536
#define HTTPD_REQUEST_MS 10000   /* a whole request must arrive within this */
#define HTTPD_IDLE_MS 30000      /* a kept-alive connection closes after this */

struct httpd_peer {
	uint32_t addr;           /* host byte order */
	uint16_t port;
	bool tls;
	bool has_cert;
	uint8_t cert_sha256[32]; /* over the client certificate's DER */
	int listener;            /* the index httpd_listen returned */
};

/* A reply may turn its connection into a byte stream both ways (the
 * console): after a "101 Switching Protocols" head, pump is called at
 * every poll with the room there is for output and returns what it
 * wrote into buf, input gets every byte received, closed is called once
 * when the connection ends, whoever ends it. */
struct httpd_stream_ops {
	size_t (*pump)(void *ctx, char *buf, size_t room);
	void (*input)(void *ctx, const char *data, size_t n);
	void (*closed)(void *ctx);
};

struct httpd_reply {
	int status;
	const struct httpd_stream_ops *stream;   /* set by the handler to stream */
	void *stream_ctx;
	const char *upgrade;                     /* the Upgrade: token for a stream */
	const char *content_type;      /* default application/json */
	char headers[256];             /* extra header lines, each ending \r\n */
	struct sink *body;             /* write the body here */
};

typedef void (*httpd_handler)(void *ctx, const struct http_req *req,
			      const struct httpd_peer *peer, struct httpd_reply *rep);

/* Listens on port, over TLS when key and cert (PEM, NUL included in the
 * lengths as mbedTLS wants) are given, else in plaintext. Returns the
 * listener's index (>= 0) or a negative code, logged. */
int httpd_listen(uint16_t port, const uint8_t *cert, size_t cert_len, const uint8_t *key,
		 size_t key_len, httpd_handler fn, void *ctx);

/* Connections in use, the lwIP heap's use (TLS state lives there) and
 * TCP control blocks in use: after every connection has gone they are
 * back at their idle level. */
unsigned httpd_conns_used(void);
size_t httpd_heap_used(void);
unsigned httpd_tcp_pcbs_used(void);

/* Owner CPU, every poll: moves streams' output. */
void httpd_poll(void);

/* SHA-256 (mbedTLS), for token digests. */
void httpd_sha256(const void *data, size_t len, uint8_t out[32]);

#endif
