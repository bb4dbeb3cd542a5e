/* The network API's routes (api.h, docs/mgmt-api.md). Runs on the owner
 * CPU of the network stack, like the serial shell on the boot CPU, and
 * reaches partitions only through the command layer and part_ops. */
#include "mgmt/api.h"
#include "mgmt/auth.h"
#include "mgmt/commands.h"
#include "drivers/pci.h"
#include "mgmt/console.h"
#include "net/stack.h"
#include "net/httpd.h"
#include "net/json.h"
#include "net/syslog.h"
#include "vmm/part_ops.h"
#include "include/vatra/bootinfo.h"
#include "include/vatra/version.h"
#include "mm/mem.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/strutil.h"
#include "lib/errno.h"

#define CAPTURE_MAX 49152

static struct auth_table ids;
static struct auth_limit limits;
static char capture[CAPTURE_MAX];
static uint64_t requests, denied;

struct caller {
	const struct auth_id *id;
	const struct httpd_peer *peer;
};

static void reply_error(struct httpd_reply *rep, int status, const char *msg)
{
	rep->status = status;
	sink_printf(rep->body, "{\"error\":{\"code\":%d,\"message\":", status);
	json_cstr(rep->body, msg);
	sink_printf(rep->body, "}}\n");
}

/* The shell's status codes as HTTP statuses. */
static int status_of(int rc)
{
	switch (rc) {
	case 0: return 200;
	case -EPERM: return 403;
	case -ENOENT: case -ENOSYS: return 404;
	case -EBUSY: case -EINVAL: return 409;
	case -E2BIG: return 400;
	default: return 500;
	}
}

/* Runs one command line as the caller: {"command","status","output"},
 * with "error" holding the shell's one-line message when it failed. */
static void run_command(const struct caller *who, const char *line, struct httpd_reply *rep)
{
	struct sink_buf sb;
	const char *err = NULL;
	char first[160];
	int rc;

	if (!strncmp(line, "console", 7) && (!line[7] || line[7] == ' ')) {
		reply_error(rep, 400, "error: console over the network is the /api/v1/console "
				      "stream (vatractl console NAME), not a command");
		return;
	}
	sink_buf_init(&sb, capture, sizeof(capture));
	rc = cmd_exec(line, who->id->role, &sb.sink);
	pr_info("mgmt: %s (%s) ran '%s': %s", who->id->name, auth_role_name(who->id->role), line,
		rc ? err_name(rc) : "ok");
	if (rc) {
		/* The shell's message: the first line starting "error:". */
		for (const char *p = capture; *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			if (!strncmp(p, "error:", 6)) {
				if (n >= sizeof(first))
					n = sizeof(first) - 1;
				memcpy(first, p, n);
				first[n] = '\0';
				err = first;
				break;
			}
			p += n + (nl != NULL);
		}
		if (!err)
			err = err_name(rc);
	}
	rep->status = rc ? status_of(rc) : 200;
	sink_printf(rep->body, "{\"command\":");
	json_cstr(rep->body, line);
	sink_printf(rep->body, ",\"status\":%d,", rc);
	if (err) {
		sink_printf(rep->body, "\"error\":{\"code\":%d,\"message\":", rep->status);
		json_cstr(rep->body, err);
		sink_printf(rep->body, "},");
	}
	sink_printf(rep->body, "\"truncated\":%s,\"output\":", sb.dropped ? "true" : "false");
	json_str(rep->body, capture, sb.len);
	sink_printf(rep->body, "}\n");
}

static bool find_part(const char *name, unsigned *id)
{
	struct part_snap s;

	for (unsigned i = 0; part_op_snap(i, &s); i++)
		if (!strcmp(s.name, name)) {
			*id = i;
			return true;
		}
	return false;
}

/* The partition a path names, from rest up to the next '/' (at most
 * size - 1 bytes of it) into name; *slash is that '/' or NULL. A name no
 * partition has gets the 404. */
static bool path_part(struct httpd_reply *rep, const char *rest, char *name, size_t size,
		      unsigned *id, const char **slash)
{
	size_t n;

	*slash = strchr(rest, '/');
	n = *slash ? (size_t)(*slash - rest) : strlen(rest);
	if (n >= size)
		n = size - 1;
	memcpy(name, rest, n);
	name[n] = '\0';
	if (!find_part(name, id)) {
		char m[96];
		snprintf(m, sizeof(m), "error: no partition named '%.40s'", name);
		reply_error(rep, 404, m);
		return false;
	}
	return true;
}

static void part_json(struct sink *o, const struct part_snap *s)
{
	sink_printf(o, "{\"name\":");
	json_cstr(o, s->name);
	sink_printf(o, ",\"state\":\"%s\",\"vcpus\":%u,\"memory\":%llu,\"uptime\":%llu,"
		       "\"starts\":%u,\"status\":%d,\"note\":",
		    s->state, s->vcpus, (unsigned long long)s->memory,
		    (unsigned long long)s->uptime_s, s->starts, s->status);
	json_cstr(o, s->note);
	sink_printf(o, "}");
}

static void api_partitions(struct httpd_reply *rep)
{
	struct part_snap s;

	sink_printf(rep->body, "{\"partitions\":[");
	for (unsigned i = 0; part_op_snap(i, &s); i++) {
		if (i)
			sink_printf(rep->body, ",");
		part_json(rep->body, &s);
	}
	sink_printf(rep->body, "]}\n");
}

static void metrics(struct httpd_reply *rep)
{
	uint64_t sent, dropped;

	rep->content_type = "text/plain; version=0.0.4";
	part_op_metrics(rep->body);
	sink_printf(rep->body, "# HELP vatra_host_memory_free_bytes Free host memory.\n"
			       "# TYPE vatra_host_memory_free_bytes gauge\n"
			       "vatra_host_memory_free_bytes %llu\n",
		    (unsigned long long)(mem_free_pages() * 4096));
	sink_printf(rep->body, "# HELP vatra_host_memory_bytes Host memory Vatra manages.\n"
			       "# TYPE vatra_host_memory_bytes gauge\n"
			       "vatra_host_memory_bytes %llu\n",
		    (unsigned long long)(mem_managed_pages() * 4096));
	sink_printf(rep->body, "# HELP vatra_api_requests_total API requests answered.\n"
			       "# TYPE vatra_api_requests_total counter\n"
			       "vatra_api_requests_total %llu\n"
			       "# HELP vatra_api_denied_total API requests refused for credentials.\n"
			       "# TYPE vatra_api_denied_total counter\n"
			       "vatra_api_denied_total %llu\n",
		    (unsigned long long)requests, (unsigned long long)denied);
	sink_printf(rep->body, "# HELP vatra_mgmt_connections API connections open.\n"
			       "# TYPE vatra_mgmt_connections gauge\n"
			       "vatra_mgmt_connections %u\n"
			       "# HELP vatra_mgmt_heap_used_bytes The network stack's heap in use (TLS state).\n"
			       "# TYPE vatra_mgmt_heap_used_bytes gauge\n"
			       "vatra_mgmt_heap_used_bytes %zu\n"
			       "# HELP vatra_mgmt_tcp_pcbs TCP control blocks in use (TIME-WAIT included).\n"
			       "# TYPE vatra_mgmt_tcp_pcbs gauge\n"
			       "vatra_mgmt_tcp_pcbs %u\n",
		    httpd_conns_used(), httpd_heap_used(), httpd_tcp_pcbs_used());
	syslog_counts(&sent, &dropped);
	sink_printf(rep->body, "# HELP vatra_syslog_sent_total Syslog datagrams sent.\n"
			       "# TYPE vatra_syslog_sent_total counter\n"
			       "vatra_syslog_sent_total %llu\n"
			       "# HELP vatra_syslog_dropped_total Log lines dropped before sending.\n"
			       "# TYPE vatra_syslog_dropped_total counter\n"
			       "vatra_syslog_dropped_total %llu\n",
		    (unsigned long long)sent, (unsigned long long)dropped);
}

/* ---- Redfish (DSP0266; ComputerSystem and Manager schemas) ---------- */

static const char *redfish_power(const char *state)
{
	return !strcmp(state, "stopped") ? "Off" : "On";
}

static void redfish_system(struct httpd_reply *rep, const struct part_snap *s)
{
	struct sink *o = rep->body;

	sink_printf(o, "{\"@odata.id\":\"/redfish/v1/Systems/%s\","
		       "\"@odata.type\":\"#ComputerSystem.v1_13_0.ComputerSystem\","
		       "\"Id\":\"%s\",\"Name\":\"%s\",\"SystemType\":\"Virtual\","
		       "\"PowerState\":\"%s\","
		       "\"Status\":{\"State\":\"%s\",\"Health\":\"OK\"},"
		       "\"ProcessorSummary\":{\"Count\":%u},"
		       "\"MemorySummary\":{\"TotalSystemMemoryGiB\":%llu.%03llu},"
		       "\"Oem\":{\"Vatra\":{\"State\":\"%s\",\"Note\":",
		    s->name, s->name, s->name, redfish_power(s->state),
		    !strcmp(s->state, "running") ? "Enabled" :
		    !strcmp(s->state, "paused") ? "Quiesced" : "Disabled",
		    s->vcpus, (unsigned long long)(s->memory >> 30),
		    (unsigned long long)((s->memory & ((1ull << 30) - 1)) * 1000 >> 30), s->state);
	json_cstr(o, s->note);
	sink_printf(o, "}},\"Actions\":{\"#ComputerSystem.Reset\":{\"target\":"
		       "\"/redfish/v1/Systems/%s/Actions/ComputerSystem.Reset\","
		       "\"ResetType@Redfish.AllowableValues\":[\"On\",\"GracefulShutdown\","
		       "\"ForceOff\",\"ForceRestart\",\"Pause\",\"Resume\",\"Nmi\"]}}}\n", s->name);
}

static void redfish_reset(const struct caller *who, const struct http_req *req,
			  const char *name, struct httpd_reply *rep)
{
	static const struct { const char *type, *cmd; } map[] = {
		{ "On", "start" }, { "GracefulShutdown", "stop" }, { "ForceOff", "destroy" },
		{ "ForceRestart", "reset" }, { "Pause", "pause" }, { "Resume", "resume" },
		{ "Nmi", "nmi" }, { "PushPowerButton", "stop" },
	};
	char type[32], line[CMD_LINE_MAX];
	int r = json_get_str(req->body, req->body_len, "ResetType", type, sizeof(type));

	if (r < 0) {
		reply_error(rep, 400, r == -ENOENT ? "ResetType missing" :
				      "the body is not a JSON object with a string ResetType");
		return;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(type, map[i].type)) {
			snprintf(line, sizeof(line), "%s %s", map[i].cmd, name);
			run_command(who, line, rep);
			return;
		}
	reply_error(rep, 400, "ResetType must be On, GracefulShutdown, ForceOff, ForceRestart, "
			      "Pause, Resume or Nmi");
}

static void redfish(const struct caller *who, const struct http_req *req, const char *path,
		    struct httpd_reply *rep)
{
	bool get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
	struct part_snap s;
	unsigned id;

	if (get && (!strcmp(path, "/redfish/v1") || !strcmp(path, "/redfish/v1/"))) {
		sink_printf(rep->body, "{\"@odata.id\":\"/redfish/v1\","
			"\"@odata.type\":\"#ServiceRoot.v1_5_0.ServiceRoot\",\"Id\":\"RootService\","
			"\"Name\":\"Vatra\",\"RedfishVersion\":\"1.11.0\","
			"\"Systems\":{\"@odata.id\":\"/redfish/v1/Systems\"},"
			"\"Managers\":{\"@odata.id\":\"/redfish/v1/Managers\"}}\n");
		return;
	}
	if (get && !strcmp(path, "/redfish/v1/Systems")) {
		sink_printf(rep->body, "{\"@odata.id\":\"/redfish/v1/Systems\","
			"\"@odata.type\":\"#ComputerSystemCollection.ComputerSystemCollection\","
			"\"Name\":\"Partitions\",\"Members@odata.count\":%u,\"Members\":[",
			part_op_count());
		for (unsigned i = 0; part_op_snap(i, &s); i++)
			sink_printf(rep->body, "%s{\"@odata.id\":\"/redfish/v1/Systems/%s\"}",
				    i ? "," : "", s.name);
		sink_printf(rep->body, "]}\n");
		return;
	}
	if (!strncmp(path, "/redfish/v1/Systems/", 20)) {
		char name[CMD_LINE_MAX - 32];
		const char *slash;

		if (!path_part(rep, path + 20, name, sizeof(name), &id, &slash))
			return;
		if (get && !slash) {
			part_op_snap(id, &s);
			redfish_system(rep, &s);
			return;
		}
		if (slash && !strcmp(slash, "/Actions/ComputerSystem.Reset")) {
			if (strcmp(req->method, "POST")) {
				reply_error(rep, 405, "ComputerSystem.Reset takes POST");
				return;
			}
			redfish_reset(who, req, name, rep);
			return;
		}
	}
	if (get && !strcmp(path, "/redfish/v1/Managers")) {
		sink_printf(rep->body, "{\"@odata.id\":\"/redfish/v1/Managers\","
			"\"@odata.type\":\"#ManagerCollection.ManagerCollection\",\"Name\":\"Managers\","
			"\"Members@odata.count\":1,"
			"\"Members\":[{\"@odata.id\":\"/redfish/v1/Managers/vatra\"}]}\n");
		return;
	}
	if (!strcmp(path, "/redfish/v1/Managers/vatra/Actions/Manager.Reset")) {
		char type[32];
		int r;

		if (strcmp(req->method, "POST")) {
			reply_error(rep, 405, "Manager.Reset takes POST");
			return;
		}
		r = json_get_str(req->body, req->body_len, "ResetType", type, sizeof(type));
		/* The manager is the hypervisor: restarting it is the machine's reboot. */
		if (r < 0 || (strcmp(type, "GracefulRestart") && strcmp(type, "ForceRestart"))) {
			reply_error(rep, 400, "ResetType must be GracefulRestart or ForceRestart "
					      "(the machine reboots)");
			return;
		}
		run_command(who, "reboot", rep);
		return;
	}
	if (get && !strcmp(path, "/redfish/v1/Managers/vatra")) {
		sink_printf(rep->body, "{\"@odata.id\":\"/redfish/v1/Managers/vatra\","
			"\"@odata.type\":\"#Manager.v1_10_0.Manager\",\"Id\":\"vatra\","
			"\"Name\":\"Vatra hypervisor\",\"ManagerType\":\"Service\","
			"\"FirmwareVersion\":\"%s\",\"Status\":{\"State\":\"Enabled\",\"Health\":\"OK\"},"
			"\"Actions\":{\"#Manager.Reset\":{\"target\":"
			"\"/redfish/v1/Managers/vatra/Actions/Manager.Reset\","
			"\"ResetType@Redfish.AllowableValues\":[\"GracefulRestart\",\"ForceRestart\"]}}}\n",
			VATRA_VERSION);
		return;
	}
	reply_error(rep, 404, "no such Redfish resource");
}

/* ---- the console stream ---------------------------------------------- */

/* One per API connection at most: a network reader of a partition's
 * console ring, and where its keystrokes go. */
struct con_stream {
	bool used;
	unsigned id;
	uint64_t pos;
	const char *who;
	char note[64];          /* said before the next output (lost bytes) */
};

static struct con_stream streams[HTTPD_CONNS];

static size_t con_pump(void *ctx, char *buf, size_t room)
{
	struct con_stream *s = ctx;
	uint64_t lost;
	size_t n = 0;

	if (s->note[0]) {
		n = (size_t)snprintf(buf, room, "%s", s->note);
		s->note[0] = '\0';
	}
	n += console_read((int)s->id, &s->pos, buf + n, room - n, &lost);
	if (lost)
		snprintf(s->note, sizeof(s->note), "\r\n[vatra: %llu bytes of console output lost]\r\n",
			 (unsigned long long)lost);
	return n;
}

static void con_input(void *ctx, const char *data, size_t n)
{
	struct con_stream *s = ctx;

	/* Typed at a stopped partition: dropped, as on the serial line. */
	part_op_console_input(s->id, (const uint8_t *)data, n);
}

static void con_closed(void *ctx)
{
	struct con_stream *s = ctx;

	pr_info("mgmt: %s detached from the console of %s", s->who, part_op_name(s->id));
	s->used = false;
}

static const struct httpd_stream_ops con_ops = { con_pump, con_input, con_closed };

/* POST /api/v1/console/NAME[?replay=N]: 101, then the partition's last N
 * lines (default 20) and its output as it comes; what the client sends
 * goes to the partition's UART. The client detaches by closing. */
static void console_stream(const struct caller *who, const struct http_req *req,
			   const char *name, struct httpd_reply *rep)
{
	struct sink_buf sb;
	const char *q = strchr(req->path, '?');
	unsigned replay = 20, id;
	char msg[160];
	int r;

	sink_buf_init(&sb, msg, sizeof(msg));
	r = cmd_permit("console", who->id->role, &sb.sink);
	if (r) {
		if (sb.len && msg[sb.len - 1] == '\n')
			msg[sb.len - 1] = '\0';
		reply_error(rep, status_of(r), msg);
		return;
	}
	if (!find_part(name, &id)) {
		snprintf(msg, sizeof(msg), "error: no partition named '%.40s'", name);
		reply_error(rep, 404, msg);
		return;
	}
	if (q && !strncmp(q, "?replay=", 8)) {
		replay = 0;
		for (const char *p = q + 8; *p >= '0' && *p <= '9' && replay < 10000; p++)
			replay = replay * 10 + (unsigned)(*p - '0');
	}
	for (unsigned i = 0; i < HTTPD_CONNS; i++) {
		struct con_stream *s = &streams[i];
		if (s->used)
			continue;
		s->used = true;
		s->id = id;
		s->who = who->id->name;
		s->note[0] = '\0';
		s->pos = console_tail_pos((int)id, replay);
		rep->stream = &con_ops;
		rep->stream_ctx = s;
		rep->upgrade = "vatra-console";
		pr_info("mgmt: %s (%s) attached to the console of %s", who->id->name,
			auth_role_name(who->id->role), name);
		return;
	}
	reply_error(rep, 503, "every console stream is in use");
}

/* ---- /api/v1 -------------------------------------------------------- */

static void api(const struct caller *who, const struct http_req *req, const char *path,
		struct httpd_reply *rep)
{
	bool get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
	bool post = !strcmp(req->method, "POST");
	char line[CMD_LINE_MAX];

	if (get && !strcmp(path, "/api/v1")) {
		sink_printf(rep->body, "{\"version\":\"%s\",\"identity\":", VATRA_VERSION);
		json_cstr(rep->body, who->id->name);
		sink_printf(rep->body, ",\"role\":\"%s\",\"auth\":\"%s\"}\n",
			    auth_role_name(who->id->role),
			    who->id->kind == AUTH_CERT ? "certificate" : "token");
		return;
	}
	if (get && !strcmp(path, "/api/v1/partitions")) {
		api_partitions(rep);
		return;
	}
	if (!strncmp(path, "/api/v1/partitions/", 19)) {
		const char *slash;
		char name[64];
		unsigned id;
		struct part_snap s;

		if (!path_part(rep, path + 19, name, sizeof(name), &id, &slash))
			return;
		if (get && !slash) {
			part_op_snap(id, &s);
			part_json(rep->body, &s);
			sink_write(rep->body, "\n", 1);
			return;
		}
		if (post && slash && !strchr(slash + 1, '/') && strlen(slash + 1) < 16) {
			snprintf(line, sizeof(line), "%s %s", slash + 1, name);
			run_command(who, line, rep);
			return;
		}
	}
	if (post && !strncmp(path, "/api/v1/console/", 16) && !strchr(path + 16, '/')) {
		console_stream(who, req, path + 16, rep);
		return;
	}
	if (post && !strcmp(path, "/api/v1/exec")) {
		const char *why = NULL;
		int r;

		if (json_validate(req->body, req->body_len, &why)) {
			char m[96];
			snprintf(m, sizeof(m), "the body is not JSON: %s", why ? why : "?");
			reply_error(rep, 400, m);
			return;
		}
		r = json_get_str(req->body, req->body_len, "command", line, sizeof(line));
		if (r < 0) {
			reply_error(rep, 400, r == -E2BIG ? "command too long" :
					      "expected {\"command\": \"...\"}");
			return;
		}
		run_command(who, line, rep);
		return;
	}
	if (get && !strcmp(path, "/api/v1/metrics")) {
		metrics(rep);
		return;
	}
	reply_error(rep, 404, "no such API resource (see docs/mgmt-api.md)");
}

static void hex32(const uint8_t d[32], char out[65])
{
	static const char hx[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[64] = '\0';
}

static const struct auth_id *identify(const struct http_req *req, const struct httpd_peer *peer,
				      const char **why)
{
	const char *tok = NULL;
	uint8_t d[32];

	if (peer->has_cert) {
		const struct auth_id *id = auth_find(&ids, AUTH_CERT, peer->cert_sha256);
		if (id)
			return id;
	}
	if (!strncmp(req->authorization, "Bearer ", 7))
		tok = req->authorization + 7;
	else if (req->auth_token[0])
		tok = req->auth_token;
	if (tok) {
		const struct auth_id *id;
		httpd_sha256(tok, strlen(tok), d);
		id = auth_find(&ids, AUTH_TOKEN, d);
		if (id)
			return id;
		*why = "token not accepted";
		return NULL;
	}
	*why = peer->has_cert ? "client certificate not on the allow list" : "no credentials";
	return NULL;
}

static void handle(void *ctx, const struct http_req *req, const struct httpd_peer *peer,
		   struct httpd_reply *rep)
{
	char path[HTTP_PATH_MAX], *q;
	struct caller who = { NULL, peer };
	const char *why = NULL;
	uint32_t now = net_now_ms();
	uint32_t a = peer->addr;

	requests++;
	str_copy(path, req->path, sizeof(path));
	q = strchr(path, '?');
	if (q)
		*q = '\0';
	if (!peer->tls) {
		/* The plaintext listener exists only when configured, and
		 * serves only the metrics. */
		if (strcmp(path, "/metrics"))
			reply_error(rep, 404, "only /metrics is served without TLS");
		else
			metrics(rep);
		return;
	}
	if (auth_limited(&limits, a, now)) {
		denied++;
		reply_error(rep, 429, "too many failed attempts from this address: wait a minute");
		return;
	}
	who.id = identify(req, peer, &why);
	if (!who.id) {
		char fp[65] = "-";
		denied++;
		if (peer->has_cert)
			hex32(peer->cert_sha256, fp);
		pr_warn("mgmt: refused %u.%u.%u.%u:%u %s %s: %s (certificate %s)", a >> 24,
			(a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff, peer->port, req->method,
			path, why, fp);
		if (auth_failed(&limits, a, now))
			pr_warn("mgmt: %u.%u.%u.%u refused for %u s after %u failures", a >> 24,
				(a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff, AUTH_BLOCK_MS / 1000,
				AUTH_FAIL_MAX);
		snprintf(rep->headers, sizeof(rep->headers),
			 "WWW-Authenticate: Bearer realm=\"vatra\"\r\n");
		reply_error(rep, 401, "authentication required: a client certificate on the "
				      "allow list or a bearer token");
		return;
	}
	if (!strcmp(path, "/metrics")) {
		metrics(rep);
		return;
	}
	if (!strncmp(path, "/redfish/v1", 11)) {
		redfish(&who, req, path, rep);
		return;
	}
	if (!strncmp(path, "/api/v1", 7)) {
		api(&who, req, path, rep);
		return;
	}
	reply_error(rep, 404, "no such resource: try /api/v1, /redfish/v1 or /metrics");
}

/* ---- bring-up -------------------------------------------------------- */

static const struct bi_file *file_of(const struct boot_info *bi, const char *path)
{
	for (uint32_t i = 0; i < bi->nfiles; i++)
		if (!strcmp(bi->files[i].path, path) && !bi->files[i].status)
			return &bi->files[i];
	return NULL;
}

/* mbedTLS parses PEM only with its NUL terminator counted: copied. */
static uint8_t *pem_copy(const struct bi_file *f)
{
	uint64_t pages = (f->size + 1 + 4095) / 4096;
	uint64_t phys = f->size < 65536 ? page_alloc(pages, 1) : 0;
	uint8_t *p;

	if (!phys)
		return NULL;
	p = phys_to_virt(phys);
	memcpy(p, phys_to_virt(f->phys), f->size);
	p[f->size] = '\0';
	return p;
}

static void tap(enum log_level lvl, const char *line, size_t n)
{
	syslog_queue((int)lvl, line, n);
}

static void poll_hook(void)
{
	httpd_poll();
	syslog_flush();
}

/* The partitions' `devices =`, which mgmt_nic = auto must leave alone. */
static const struct vatra_config *devs_cfg;

static bool reserved_for_partition(const struct pci_dev *d)
{
	for (unsigned p = 0; devs_cfg && p < devs_cfg->nparts; p++)
		for (unsigned i = 0; i < devs_cfg->parts[p].ndevs; i++) {
			const struct part_dev *x = &devs_cfg->parts[p].devs[i];
			if (x->kind == PART_DEV_BDF ? x->seg == d->seg && x->bus == d->bus &&
							      x->devfn == d->devfn :
			    x->vendor == d->vendor && x->device == d->device)
				return true;
		}
	return false;
}

void mgmt_net_init(const struct vatra_config *c, const struct boot_info *bi)
{
	static const char hostname[] = "vatra";
	const struct cfg_mgmt *m = &c->mgmt;
	struct net_params np = { m->nic, m->dhcp, m->ip, m->mask, m->gw, hostname,
				 reserved_for_partition };
	const struct bi_file *cf, *kf, *af;
	uint8_t *cert, *key;
	int r;

	if (!m->nic[0])
		return;
	devs_cfg = c;
	if (net_up(&np))
		return;
	if (m->syslog_ip && !syslog_start(m->syslog_ip, m->syslog_port, hostname)) {
		log_set_tap(tap);
		pr_info("mgmt: remote syslog to %u.%u.%u.%u:%u (RFC 5424 over UDP)",
			m->syslog_ip >> 24, (m->syslog_ip >> 16) & 0xff, (m->syslog_ip >> 8) & 0xff,
			m->syslog_ip & 0xff, m->syslog_port);
	}
	net_set_poll_hook(poll_hook);
	if (m->metrics_port) {
		r = httpd_listen(m->metrics_port, NULL, 0, NULL, 0, handle, NULL);
		if (r >= 0)
			pr_info("mgmt: plaintext /metrics on port %u", m->metrics_port);
	}
	cf = file_of(bi, m->cert);
	kf = file_of(bi, m->key);
	af = file_of(bi, m->auth);
	if (!cf || !kf) {
		pr_err("mgmt: no server %s (%s): the API is off (tools/vatra-mgmt-keys makes them)",
		       cf ? "key" : "certificate", cf ? m->key : m->cert);
		return;
	}
	if (af)
		auth_parse(&ids, phys_to_virt(af->phys), af->size);
	for (unsigned i = 0; i < ids.nerrors && i < AUTH_MAX_ERRORS; i++)
		pr_err("%s:%u: %s (line ignored)", m->auth, ids.err_line[i], ids.err_msg[i]);
	if (!ids.n)
		pr_warn("mgmt: no identities in %s: every API request will get 401", m->auth);
	cert = pem_copy(cf);
	key = pem_copy(kf);
	if (!cert || !key) {
		pr_err("mgmt: the server key or certificate is too large");
		return;
	}
	r = httpd_listen(m->port, cert, cf->size + 1, key, kf->size + 1, handle, NULL);
	if (r >= 0)
		pr_info("mgmt: API on port %u (TLS 1.2, client certificates), %u identit%s",
			m->port, ids.n, ids.n == 1 ? "y" : "ies");
}

void mgmt_net_poll(void)
{
	net_poll();
}
