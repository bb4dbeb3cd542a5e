/* vatra.cfg parser. See config.h for the format and the contract.
 *
 * The input comes from a hand-edited file on removable media, so it is
 * treated as hostile: it is not NUL-terminated, may hold any byte and may
 * be cut off anywhere. Each line is copied into a bounded, NUL-terminated
 * buffer before anything looks at it, so no helper can run off the end. */
#include "mgmt/config.h"
#include "lib/string.h"
#include "lib/strutil.h"
#include "lib/errno.h"

/* Reason strings below spell these limits out as text. */
_Static_assert(CFG_NAME_MAX == 32, "update 'at most 31 characters' messages");
_Static_assert(CFG_PATH_MAX == 128, "update 'at most 127 characters' messages");
_Static_assert(CFG_CMDLINE_MAX == 512, "update 'at most 511 characters' messages");
_Static_assert(CFG_MAX_MODULES == 8, "update 'at most 8 modules' message");
/* A vCPU count or cpus list past what a partition runs with (VCPU_MAX,
 * the VMM's) is refused here, with the limit in the message. */
#define CFG_STR_(x)	#x
#define CFG_STR(x)	CFG_STR_(x)
_Static_assert(CFG_MAX_PARTS == 32, "update the 'at most 32 partitions' message");

#define MEM_MIN		(1ull << 20)
#define MEM_MAX		(1ull << 40)
#define PAGE_MASK	0xfffull
#define QUOTE_MAX	24	/* value characters echoed in a message */

enum sect { S_NONE, S_GLOBAL, S_PART, S_SWITCH, S_SKIP };

/* Global keys, in gkeys[] order. */
enum { G_CONSOLE, G_LOG_LEVEL, G_ON_ALL_STOPPED, G_SELFTEST, G_CONSOLE_MODE, G_TLB_TAGS,
       G_UNSAFE_IRQ, G_VIRTUAL_NMIS, G_IOMMU_SELFTEST, G_MGMT_NIC, G_MGMT_IP, G_MGMT_GW, G_MGMT_PORT,
       G_MGMT_METRICS_PORT, G_MGMT_CERT, G_MGMT_KEY, G_MGMT_AUTH, G_SYSLOG, G_NKEYS };
/* Partition keys, in pkeys[] order. */
enum {
	P_KERNEL, P_INITRD, P_CMDLINE, P_MODULES, P_MEMORY, P_VCPUS, P_CPUS,
	P_FORMAT, P_LOAD_ADDR, P_AUTOSTART, P_DEBUG_EXIT, P_DIRECT_TEST_PORT, P_WEIGHT, P_CAP, P_DEDICATED, P_UNMAPPED, P_DEVICES,
	P_DISK, P_NET, P_HVC,
	P_NKEYS
};

struct parser {
	struct vatra_config *c;
	enum sect sect;
	struct part_config *part;		/* current partition when sect == S_PART */
	unsigned line;
	/* Line of the first occurrence of each key, 0 = not seen yet. The
	 * global table spans all [vatra] sections: it is one namespace. */
	unsigned gseen[G_NKEYS];
	unsigned pseen[P_NKEYS];
	uint32_t pbad;			/* partition keys whose value was rejected */
	char buf[CFG_LINE_MAX + 1];
};

static bool cfg_name_ok(const char *s);
static int cfg_hex(char ch);

/* A value handler returns NULL when the value was taken, else the reason
 * it was rejected, completing "bad value 'X' for 'key': <reason>". */
typedef const char *(*cfg_set_fn)(struct parser *p, char *v);

struct cfg_key {
	const char *name;
	cfg_set_fn set;
	bool repeats;			/* one line per item (disk = ...), not a duplicate */
};

/* ---- small character and number helpers ------------------------------ */

static bool cfg_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

static bool cfg_isalpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char cfg_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int cfg_hexval(char c)
{
	if (cfg_isdigit(c))
		return c - '0';
	c = cfg_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static const char *cfg_skip_ws(const char *s)
{
	while (str_isspace(*s))
		s++;
	return s;
}

/* Trims white space in place at both ends; returns the new start. */
static char *cfg_trim(char *s)
{
	size_t n;

	while (str_isspace(*s))
		s++;
	n = strlen(s);
	while (n && str_isspace(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Decimal, or hex with a 0x prefix. -ERANGE on overflow, -EINVAL on
 * anything that is not a whole number. */
static int cfg_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	bool big = false;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		int d;

		s += 2;
		if (cfg_hexval(*s) < 0)
			return -EINVAL;
		for (; (d = cfg_hexval(*s)) >= 0; s++) {
			if (v >> 60)
				big = true;
			v = v << 4 | (uint64_t)d;
		}
	} else {
		if (!cfg_isdigit(*s))
			return -EINVAL;
		for (; cfg_isdigit(*s); s++) {
			unsigned d = (unsigned)(*s - '0');

			if (v > (UINT64_MAX - d) / 10)
				big = true;
			v = v * 10 + d;
		}
	}
	if (*s)
		return -EINVAL;
	if (big)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Plain decimal only, for counts and baud rates where "0x" is a typo. */
static int cfg_parse_dec(const char *s, uint64_t *out)
{
	if (!cfg_isdigit(s[0]) || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
		return -EINVAL;
	return cfg_parse_u64(s, out);
}

static bool cfg_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!str_casecmp(s, yes[i])) {
			*out = true;
			return true;
		}
		if (!str_casecmp(s, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* Index of s in names[0..n), case-insensitive, or -1. */
static int cfg_lookup(const char *s, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!str_casecmp(s, names[i]))
			return i;
	return -1;
}

/* ---- messages -------------------------------------------------------- */

/* Messages are built by appending into a CFG_MSG_MAX buffer; anything
 * past the end is cut, since a shortened message beats no message. */
static void m_addc(char *m, char ch)
{
	size_t n = strnlen(m, CFG_MSG_MAX - 1);

	if (n < CFG_MSG_MAX - 1) {
		m[n] = ch;
		m[n + 1] = '\0';
	}
}

static void m_add(char *m, const char *s)
{
	while (*s)
		m_addc(m, *s++);
}

static void m_addu(char *m, uint64_t v)
{
	char d[21];
	int i = 0;

	do {
		d[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		m_addc(m, d[--i]);
}

/* Echoes user text in quotes: bounded so the reason after it survives,
 * and with control/non-ASCII bytes masked so a report cannot carry
 * terminal escapes from a corrupt file onto the console. */
static void m_addq(char *m, const char *s)
{
	size_t i;

	m_addc(m, '\'');
	for (i = 0; s[i] && i < QUOTE_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];

		m_addc(m, (ch < 0x20 || ch >= 0x7f) ? '?' : (char)ch);
	}
	if (s[i])
		m_add(m, "...");
	m_addc(m, '\'');
}

static void m_addsect(char *m, const struct parser *p)
{
	if (p->sect == S_PART) {
		m_add(m, "[partition ");
		m_add(m, p->part->name);
		m_add(m, "]");
	} else {
		m_add(m, "[vatra]");
	}
}

/* Records an error. Any error while inside a partition section makes the
 * partition invalid: even a mangled line there might have been its kernel
 * or memory setting, so booting it as parsed would be guesswork. */
static void cfg_err(struct parser *p, unsigned line, const char *msg)
{
	struct vatra_config *c = p->c;

	if (p->sect == S_PART)
		p->part->valid = false;
	if (c->nerrors < CFG_MAX_ERRORS) {
		struct cfg_error *e = &c->errors[c->nerrors++];

		e->line = line;
		str_copy(e->msg, msg, sizeof(e->msg));
	} else if (c->errors_dropped != ~0u) {
		c->errors_dropped++;
	}
}

/* ---- value checks shared by several keys ----------------------------- */

/* Copies a path after checking it; dst is CFG_PATH_MAX bytes. */
static const char *cfg_set_path(char *dst, const char *v)
{
	size_t n = strnlen(v, CFG_PATH_MAX);
	size_t i;

	if (v[0] != '/')
		return "expected a path starting with '/'";
	if (n >= CFG_PATH_MAX)
		return "too long: at most 127 characters";
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return "control character in path";
	memcpy(dst, v, n + 1);
	return NULL;
}

/* ---- [vatra] keys ---------------------------------------------------- */

static const char *g_console(struct parser *p, char *v)
{
	static const char *const coms[] = { "com1", "com2", "com3", "com4" };
	static const uint16_t com_ports[] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
	static const uint32_t bauds[] = { 9600, 19200, 38400, 57600, 115200 };
	const char *bad = "expected com1..com4 or a hex port like 0x3f8, "
			  "optionally ,BAUD";
	char *comma = strchr(v, ',');
	char *port_s, *baud_s = NULL;
	uint32_t baud = p->c->console_baud;
	uint64_t x;
	int i;

	if (comma) {
		*comma = '\0';
		baud_s = cfg_trim(comma + 1);
	}
	port_s = cfg_trim(v);

	i = cfg_lookup(port_s, coms, 4);
	if (i < 0) {
		/* A hex port only: a bare "1016" is almost surely a typo. */
		if (port_s[0] != '0' || cfg_lower(port_s[1]) != 'x' ||
		    cfg_parse_u64(port_s, &x))
			return bad;
		/* A 16550 decodes 8 ports from the base. */
		if (x == 0 || x > 0xfff8)
			return "port out of range: expected 0x1..0xfff8";
	} else {
		x = com_ports[i];
	}

	if (baud_s) {
		uint64_t b;
		size_t k;

		if (cfg_parse_dec(baud_s, &b))
			return "expected BAUD 9600, 19200, 38400, 57600 or 115200";
		for (k = 0; k < sizeof(bauds) / sizeof(bauds[0]); k++)
			if (b == bauds[k])
				break;
		if (k == sizeof(bauds) / sizeof(bauds[0]))
			return "expected BAUD 9600, 19200, 38400, 57600 or 115200";
		baud = (uint32_t)b;
	}
	/* Commit only now so a bad half leaves both defaults intact. */
	p->c->console_port = (uint16_t)x;
	p->c->console_baud = baud;
	return NULL;
}

static const char *const log_names[] = { "error", "warn", "info", "debug" };
static const char *const stop_names[] = { "shell", "poweroff", "exit" };
static const char *const fmt_names[] = PART_FORMAT_NAMES;
static const char *const unmapped_names[] = PART_UNMAPPED_NAMES;

static const char *g_log_level(struct parser *p, char *v)
{
	int i = cfg_lookup(v, log_names, 4);

	if (i < 0)
		return "expected error, warn, info or debug";
	p->c->log_level = (enum cfg_log)i;
	return NULL;
}

static const char *g_on_all_stopped(struct parser *p, char *v)
{
	int i = cfg_lookup(v, stop_names, 3);

	if (i < 0)
		return "expected shell, poweroff or exit";
	p->c->on_all_stopped = (enum cfg_on_stop)i;
	return NULL;
}

/* "trap" also ends the self-test with a deliberate unexpected exception,
 * so test rigs can see the hypervisor's register dump and fatal stop. */
static const char *g_selftest(struct parser *p, char *v)
{
	if (!str_casecmp(v, "trap")) {
		p->c->selftest = true;
		p->c->selftest_trap = true;
		return NULL;
	}
	if (!cfg_parse_bool(v, &p->c->selftest))
		return "expected yes, no or trap";
	return NULL;
}

static const char *g_console_mode(struct parser *p, char *v)
{
	static const char *const names[] = { "mux", "quiet" };
	int i = cfg_lookup(v, names, 2);

	if (i < 0)
		return "expected mux or quiet";
	p->c->console_quiet = i == 1;
	return NULL;
}

/* Fewer TLB tags than the CPU has, so that tests reach a tag rollover
 * with a handful of vCPU starts. Tag 0 is the host's: 2 is the least
 * that leaves a guest one; 65536 is the VPID space. */
static const char *g_tlb_tags(struct parser *p, char *v)
{
	uint64_t n;

	if (cfg_parse_dec(v, &n) || n < 2 || n > 65536)
		return "expected a number from 2 to 65536";
	p->c->tlb_tags = (uint32_t)n;
	return NULL;
}

int cfg_parse_ip4(const char *s, uint32_t *ip, unsigned *prefix)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned x = 0, n = 0;
		while (cfg_isdigit(*s) && n < 4) {
			x = x * 10 + (unsigned)(*s++ - '0');
			n++;
		}
		if (!n || n > 3 || x > 255)
			return -EINVAL;
		v = v << 8 | x;
		if (i < 3 && *s++ != '.')
			return -EINVAL;
	}
	if (prefix) {
		unsigned x = 0, n = 0;
		if (*s++ != '/')
			return -EINVAL;
		while (cfg_isdigit(*s) && n < 3) {
			x = x * 10 + (unsigned)(*s++ - '0');
			n++;
		}
		if (!n || x > 32)
			return -EINVAL;
		*prefix = x;
	}
	if (*s)
		return -EINVAL;
	*ip = v;
	return 0;
}

static const char *g_mgmt_nic(struct parser *p, char *v)
{
	size_t n = strnlen(v, sizeof(p->c->mgmt.nic));

	if (!str_casecmp(v, "off") || !str_casecmp(v, "none")) {
		p->c->mgmt.nic[0] = '\0';
		return NULL;
	}
	if (n >= sizeof(p->c->mgmt.nic) || !n)
		return "expected auto, off or a PCI address like 00:03.0";
	for (size_t i = 0; i < n; i++)
		if (!(cfg_isdigit(v[i]) || (v[i] >= 'a' && v[i] <= 'z') ||
		      (v[i] >= 'A' && v[i] <= 'F') || v[i] == ':' || v[i] == '.'))
			return "expected auto, off or a PCI address like 00:03.0";
	memcpy(p->c->mgmt.nic, v, n + 1);
	return NULL;
}

static const char *g_mgmt_ip(struct parser *p, char *v)
{
	uint32_t ip;
	unsigned prefix;

	if (!str_casecmp(v, "dhcp")) {
		p->c->mgmt.dhcp = true;
		return NULL;
	}
	if (cfg_parse_ip4(v, &ip, &prefix) || prefix < 1 || prefix > 31)
		return "expected dhcp or an address like 192.168.1.10/24";
	p->c->mgmt.dhcp = false;
	p->c->mgmt.ip = ip;
	p->c->mgmt.mask = ~0u << (32 - prefix);
	return NULL;
}

static const char *g_mgmt_gw(struct parser *p, char *v)
{
	if (cfg_parse_ip4(v, &p->c->mgmt.gw, NULL))
		return "expected an address like 192.168.1.1";
	return NULL;
}

static const char *cfg_set_port(uint16_t *dst, const char *v, bool zero_ok)
{
	uint64_t n;

	if (cfg_parse_dec(v, &n) || n > 65535 || (!n && !zero_ok))
		return zero_ok ? "expected a port number 0..65535 (0: none)" :
				 "expected a port number 1..65535";
	*dst = (uint16_t)n;
	return NULL;
}

static const char *g_mgmt_port(struct parser *p, char *v)
{
	return cfg_set_port(&p->c->mgmt.port, v, false);
}

static const char *g_mgmt_metrics_port(struct parser *p, char *v)
{
	return cfg_set_port(&p->c->mgmt.metrics_port, v, true);
}

static const char *g_mgmt_cert(struct parser *p, char *v)
{
	return cfg_set_path(p->c->mgmt.cert, v);
}

static const char *g_mgmt_key(struct parser *p, char *v)
{
	return cfg_set_path(p->c->mgmt.key, v);
}

static const char *g_mgmt_auth(struct parser *p, char *v)
{
	return cfg_set_path(p->c->mgmt.auth, v);
}

/* syslog = A.B.C.D[:PORT] (an address: Vatra has no resolver). */
static const char *g_syslog(struct parser *p, char *v)
{
	char *colon = strchr(v, ':');
	uint16_t port = 514;
	uint32_t ip;

	if (!str_casecmp(v, "off")) {
		p->c->mgmt.syslog_ip = 0;
		return NULL;
	}
	if (colon) {
		*colon = '\0';
		if (cfg_set_port(&port, colon + 1, false))
			return "expected an address with an optional port, like 192.168.1.5:514";
	}
	if (cfg_parse_ip4(v, &ip, NULL) || !ip)
		return "expected an address with an optional port, like 192.168.1.5:514";
	p->c->mgmt.syslog_ip = ip;
	p->c->mgmt.syslog_port = port;
	return NULL;
}

/* Passthrough on a machine whose IOMMU cannot remap interrupts: a
 * device's DMA stays fenced, but a guest that owns it can make it send
 * any message-signalled interrupt to any host CPU. */
static const char *g_unsafe_irq(struct parser *p, char *v)
{
	if (!cfg_parse_bool(v, &p->c->allow_unsafe_interrupts))
		return "expected yes or no";
	return NULL;
}

/* virtual_nmis = no: VT-x leaves virtual NMIs off, as on a CPU without
 * them, so that tests reach the path such CPUs take. */
static const char *g_virtual_nmis(struct parser *p, char *v)
{
	bool on;

	if (!cfg_parse_bool(v, &on))
		return "expected yes or no";
	p->c->no_virtual_nmis = !on;
	return NULL;
}

static const char *g_iommu_selftest(struct parser *p, char *v)
{
	if (!cfg_parse_bool(v, &p->c->iommu_selftest))
		return "expected yes or no";
	return NULL;
}

static const struct cfg_key gkeys[G_NKEYS] = {
	[G_CONSOLE] = { "console", g_console },
	[G_LOG_LEVEL] = { "log_level", g_log_level },
	[G_ON_ALL_STOPPED] = { "on_all_stopped", g_on_all_stopped },
	[G_SELFTEST] = { "selftest", g_selftest },
	[G_CONSOLE_MODE] = { "console_mode", g_console_mode },
	[G_TLB_TAGS] = { "tlb_tags", g_tlb_tags },
	[G_MGMT_NIC] = { "mgmt_nic", g_mgmt_nic },
	[G_MGMT_IP] = { "mgmt_ip", g_mgmt_ip },
	[G_MGMT_GW] = { "mgmt_gw", g_mgmt_gw },
	[G_MGMT_PORT] = { "mgmt_port", g_mgmt_port },
	[G_MGMT_METRICS_PORT] = { "mgmt_metrics_port", g_mgmt_metrics_port },
	[G_MGMT_CERT] = { "mgmt_cert", g_mgmt_cert },
	[G_MGMT_KEY] = { "mgmt_key", g_mgmt_key },
	[G_MGMT_AUTH] = { "mgmt_auth", g_mgmt_auth },
	[G_SYSLOG] = { "syslog", g_syslog },
	[G_UNSAFE_IRQ] = { "allow_unsafe_interrupts", g_unsafe_irq },
	[G_VIRTUAL_NMIS] = { "virtual_nmis", g_virtual_nmis },
	[G_IOMMU_SELFTEST] = { "iommu_selftest", g_iommu_selftest },
};

/* ---- [partition NAME] keys ------------------------------------------- */

static const char *p_kernel(struct parser *p, char *v)
{
	return cfg_set_path(p->part->kernel, v);
}

static const char *p_initrd(struct parser *p, char *v)
{
	/* Empty means "no initrd", so a line can be blanked out in place. */
	if (!v[0]) {
		p->part->initrd[0] = '\0';
		return NULL;
	}
	return cfg_set_path(p->part->initrd, v);
}

static const char *p_cmdline(struct parser *p, char *v)
{
	size_t n = strnlen(v, CFG_CMDLINE_MAX);

	if (n >= CFG_CMDLINE_MAX)
		return "too long: at most 511 characters";
	memcpy(p->part->cmdline, v, n + 1);
	return NULL;
}

/* One "/path [args]" entry of the modules list. */
static const char *cfg_module(struct part_module *m, char *e)
{
	char *args;
	const char *why;
	size_t n;

	e = cfg_trim(e);
	if (!e[0])
		return "empty entry in list: expected /path [args], ...";
	for (args = e; *args && !str_isspace(*args); args++)
		;
	if (*args)
		*args++ = '\0';
	args = cfg_trim(args);
	why = cfg_set_path(m->path, e);
	if (why)
		return why;
	n = strnlen(args, CFG_PATH_MAX);
	if (n >= CFG_PATH_MAX)
		return "module args too long: at most 127 characters";
	memcpy(m->args, args, n + 1);
	return NULL;
}

static const char *p_modules(struct parser *p, char *v)
{
	struct part_config *pt = p->part;
	const char *why = NULL;
	char *e = v;

	pt->nmodules = 0;
	if (!cfg_skip_ws(v)[0])
		return NULL;		/* "modules =" means none */
	for (;;) {
		char *comma = strchr(e, ',');

		if (comma)
			*comma = '\0';
		if (pt->nmodules == CFG_MAX_MODULES) {
			why = "too many modules: at most 8";
			break;
		}
		why = cfg_module(&pt->modules[pt->nmodules], e);
		if (why)
			break;
		pt->nmodules++;
		if (!comma)
			break;
		e = comma + 1;
	}
	if (why) {
		/* Leave no half list behind; the partition is invalid anyway. */
		memset(pt->modules, 0, sizeof(pt->modules));
		pt->nmodules = 0;
	}
	return why;
}

static const char *p_memory(struct parser *p, char *v)
{
	uint64_t sz;
	int r = cfg_parse_size(v, &sz);

	if (r == -ERANGE)
		return "must be at most 1T";
	if (r)
		return "expected a size like 512M";
	if (sz < MEM_MIN)
		return "must be at least 1M";
	if (sz > MEM_MAX)
		return "must be at most 1T";
	if (sz & PAGE_MASK)
		return "must be a multiple of 4K";
	p->part->memory = sz;
	return NULL;
}

static const char *p_vcpus(struct parser *p, char *v)
{
	uint64_t n;

	if (cfg_parse_dec(v, &n) || n < 1 || n > VCPU_MAX)
		return "expected a number from 1 to " CFG_STR(VCPU_MAX);
	p->part->vcpus = (unsigned)n;
	return NULL;
}

static const char *p_cpus(struct parser *p, char *v)
{
	struct part_config *pt = p->part;
	int r = cfg_parse_cpus(v, pt->cpus, VCPU_MAX, &pt->ncpus);

	if (r)
		memset(pt->cpus, 0, sizeof(pt->cpus));
	if (r == -EEXIST)
		return "a CPU is listed twice";
	if (r == -E2BIG)
		return "too many CPUs: at most " CFG_STR(VCPU_MAX) " (one per vCPU)";
	if (r)
		return "expected CPU numbers 0-255 like 2,3 or 0-3";
	return NULL;
}

static const char *p_format(struct parser *p, char *v)
{
	int i = cfg_lookup(v, fmt_names, PART_NFORMATS);

	if (i < 0)
		return "expected auto, linux, multiboot or flat";
	p->part->format = (enum part_format)i;
	return NULL;
}

static const char *p_load_addr(struct parser *p, char *v)
{
	uint64_t a;
	int r = cfg_parse_u64(v, &a);

	if (r == -ERANGE)
		return "too large for a 64-bit address";
	if (r)
		return "expected an address like 0x100000";
	if (a & PAGE_MASK)
		return "must be 4K-aligned";
	p->part->load_addr = a;
	return NULL;
}

static const char *p_autostart(struct parser *p, char *v)
{
	if (!cfg_parse_bool(v, &p->part->autostart))
		return "expected yes or no";
	return NULL;
}

static const char *p_debug_exit(struct parser *p, char *v)
{
	if (!cfg_parse_bool(v, &p->part->debug_exit))
		return "expected yes or no";
	return NULL;
}

static const char *p_unmapped(struct parser *p, char *v)
{
	int i = cfg_lookup(v, unmapped_names, PART_NUNMAPPED);

	if (i < 0)
		return "expected stop or ignore";
	p->part->unmapped = (enum part_unmapped)i;
	return NULL;
}

static const char *p_direct_test_port(struct parser *p, char *v)
{
	if (!cfg_parse_bool(v, &p->part->direct_test_port))
		return "expected yes or no";
	return NULL;
}

static const char *p_weight(struct parser *p, char *v)
{
	uint64_t n;

	if (cfg_parse_dec(v, &n) || n < 1 || n > 65535)
		return "expected a number from 1 to 65535";
	p->part->weight = (unsigned)n;
	return NULL;
}

static const char *p_cap(struct parser *p, char *v)
{
	uint64_t n;

	if (cfg_parse_dec(v, &n) || n > 100)
		return "expected a percentage from 0 (no cap) to 100";
	p->part->cap = (unsigned)n;
	return NULL;
}

static const char *p_dedicated(struct parser *p, char *v)
{
	if (!cfg_parse_bool(v, &p->part->dedicated))
		return "expected yes or no";
	return NULL;
}

/* Exactly n hex digits (n >= 1) from *sp, advancing it. */
static bool cfg_hexn(const char **sp, unsigned n, uint32_t *out)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < n; i++) {
		int d = cfg_hexval((*sp)[i]);

		if (d < 0)
			return false;
		v = v << 4 | (uint32_t)d;
	}
	*sp += n;
	*out = v;
	return true;
}

/* One entry: SSSS:BB:DD.F, BB:DD.F (segment 0) or VVVV:DDDD, in hex as
 * lspci prints them. */
static const char *cfg_pci_dev(struct part_dev *d, const char *e)
{
	uint32_t a, b, c, f;
	const char *s = e;
	size_t n = strlen(e);

	memset(d, 0, sizeof(*d));
	if (!strchr(e, '.')) {
		if (n != 9 || !cfg_hexn(&s, 4, &a) || *s++ != ':' || !cfg_hexn(&s, 4, &b))
			return "expected SSSS:BB:DD.F or VVVV:DDDD (hex), like 0000:03:00.0";
		if (a == 0xffff)
			return "vendor ID ffff is what an absent function reads";
		d->kind = PART_DEV_ID;
		d->vendor = (uint16_t)a;
		d->device = (uint16_t)b;
		return NULL;
	}
	if (n == 12) {
		if (!cfg_hexn(&s, 4, &a) || *s++ != ':')
			return "expected SSSS:BB:DD.F or VVVV:DDDD (hex), like 0000:03:00.0";
	} else if (n == 7) {
		a = 0;
	} else {
		return "expected SSSS:BB:DD.F or VVVV:DDDD (hex), like 0000:03:00.0";
	}
	if (!cfg_hexn(&s, 2, &b) || *s++ != ':' || !cfg_hexn(&s, 2, &c) || *s++ != '.' ||
	    !cfg_hexn(&s, 1, &f) || *s)
		return "expected SSSS:BB:DD.F or VVVV:DDDD (hex), like 0000:03:00.0";
	if (c > 0x1f)
		return "device number above 1f";
	if (f > 7)
		return "function number above 7";
	d->kind = PART_DEV_BDF;
	d->seg = (uint16_t)a;
	d->bus = (uint8_t)b;
	d->devfn = (uint8_t)(c << 3 | f);
	return NULL;
}

static bool cfg_same_dev(const struct part_dev *a, const struct part_dev *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == PART_DEV_ID)
		return a->vendor == b->vendor && a->device == b->device;
	return a->seg == b->seg && a->bus == b->bus && a->devfn == b->devfn;
}

/* devices = 0000:03:00.0, 8086:10d3, ...: empty means none. A
 * vendor:device entry may repeat (the first two free functions with that
 * identity); a place may not. */
static const char *p_devices(struct parser *p, char *v)
{
	struct part_config *pt = p->part;
	const char *why = NULL;
	char *e = v;

	pt->ndevs = 0;
	pt->devs_line = p->line;
	if (!cfg_skip_ws(v)[0])
		return NULL;
	for (;;) {
		char *comma = strchr(e, ',');

		if (comma)
			*comma = '\0';
		e = cfg_trim(e);
		if (pt->ndevs == PART_MAX_DEVS) {
			why = "too many devices: at most " CFG_STR(PART_MAX_DEVS);
			break;
		}
		if (!e[0]) {
			why = "empty entry in list: expected SSSS:BB:DD.F or VVVV:DDDD, ...";
			break;
		}
		why = cfg_pci_dev(&pt->devs[pt->ndevs], e);
		if (why)
			break;
		for (unsigned i = 0; i < pt->ndevs && !why; i++)
			if (pt->devs[i].kind == PART_DEV_BDF &&
			    cfg_same_dev(&pt->devs[i], &pt->devs[pt->ndevs]))
				why = "a device is listed twice";
		if (why)
			break;
		pt->ndevs++;
		if (!comma)
			break;
		e = comma + 1;
	}
	if (why) {
		memset(pt->devs, 0, sizeof(pt->devs));
		pt->ndevs = 0;
	}
	return why;
}

/* "disk = /path [ro]": one line per disk, in PCI slot order. */
static const char *p_disk(struct parser *p, char *v)
{
	struct part_config *pt = p->part;
	struct part_disk *d;
	char *opt;
	const char *why;

	if (pt->ndisks == PART_MAX_DISKS)
		return "too many disks: at most 4";
	for (opt = v; *opt && !str_isspace(*opt); opt++)
		;
	if (*opt)
		*opt++ = '\0';
	opt = cfg_trim(opt);
	if (opt[0] && strcmp(opt, "ro"))
		return "expected /path, optionally followed by ro";
	for (unsigned i = 0; i < pt->ndisks; i++)
		if (!strcmp(pt->disks[i].path, v))
			return "this partition already has that disk";
	d = &pt->disks[pt->ndisks];
	why = cfg_set_path(d->path, v);
	if (why)
		return why;
	d->ro = opt[0] != '\0';
	pt->ndisks++;
	return NULL;
}

/* "net = SWITCH [mac=xx:xx:xx:xx:xx:xx]": one line per NIC. The switch
 * must be declared somewhere in the file (checked at the end). */
static const char *p_net(struct parser *p, char *v)
{
	struct part_config *pt = p->part;
	struct part_nic *n;
	char *opt;

	if (pt->nnics == PART_MAX_NICS)
		return "too many NICs: at most 4";
	for (opt = v; *opt && !str_isspace(*opt); opt++)
		;
	if (*opt)
		*opt++ = '\0';
	opt = cfg_trim(opt);
	if (!cfg_name_ok(v) || strnlen(v, CFG_NAME_MAX) >= CFG_NAME_MAX)
		return "expected a switch name, optionally followed by mac=xx:xx:xx:xx:xx:xx";
	n = &pt->nics[pt->nnics];
	memset(n, 0, sizeof(*n));
	if (opt[0]) {
		unsigned i;

		if (strncmp(opt, "mac=", 4))
			return "expected a switch name, optionally followed by mac=xx:xx:xx:xx:xx:xx";
		opt += 4;
		for (i = 0; i < 6; i++) {
			int hi = cfg_hex(opt[0]), lo = cfg_hex(opt[1]);

			if (hi < 0 || lo < 0 || (i < 5 ? opt[2] != ':' : opt[2] != '\0'))
				return "bad MAC: expected six hex pairs like 02:00:00:00:00:01";
			n->mac[i] = (uint8_t)(hi << 4 | lo);
			opt += 3;
		}
		if (n->mac[0] & 1)
			return "a multicast MAC cannot be a NIC's address";
		n->mac_set = true;
	}
	str_copy(n->sw, v, sizeof(n->sw));
	n->line = p->line;
	pt->nnics++;
	return NULL;
}

/* hvc = yes: a virtio console whose output joins the UART's; console:
 * the operator's keystrokes go to it too (instead of the UART). */
static const char *p_hvc(struct parser *p, char *v)
{
	p->part->hvc_input = !strcmp(v, "console");
	if (p->part->hvc_input) {
		p->part->hvc = true;
		return NULL;
	}
	if (!cfg_parse_bool(v, &p->part->hvc))
		return "expected yes, no or console";
	return NULL;
}

static const struct cfg_key pkeys[P_NKEYS] = {
	[P_KERNEL] = { "kernel", p_kernel },
	[P_INITRD] = { "initrd", p_initrd },
	[P_CMDLINE] = { "cmdline", p_cmdline },
	[P_MODULES] = { "modules", p_modules },
	[P_MEMORY] = { "memory", p_memory },
	[P_VCPUS] = { "vcpus", p_vcpus },
	[P_CPUS] = { "cpus", p_cpus },
	[P_FORMAT] = { "format", p_format },
	[P_LOAD_ADDR] = { "load_addr", p_load_addr },
	[P_AUTOSTART] = { "autostart", p_autostart },
	[P_DEBUG_EXIT] = { "debug_exit", p_debug_exit },
	[P_DIRECT_TEST_PORT] = { "direct_test_port", p_direct_test_port },
	[P_WEIGHT] = { "weight", p_weight },
	[P_CAP] = { "cap", p_cap },
	[P_DEDICATED] = { "dedicated", p_dedicated },
	[P_UNMAPPED] = { "unmapped", p_unmapped },
	[P_DEVICES] = { "devices", p_devices },
	[P_DISK] = { "disk", p_disk, true },
	[P_NET] = { "net", p_net, true },
	[P_HVC] = { "hvc", p_hvc },
};

/* ---- sections -------------------------------------------------------- */

static void cfg_part_init(struct part_config *pt, const char *name, unsigned line)
{
	memset(pt, 0, sizeof(*pt));
	str_copy(pt->name, name, sizeof(pt->name));
	pt->line = line;
	pt->vcpus = 1;
	pt->format = PART_FMT_AUTO;
	pt->load_addr = 0x8000;    /* flat binaries start in real mode: below 1 MiB */
	pt->autostart = true;
	pt->weight = PART_WEIGHT_DEFAULT;
	pt->valid = true;
}

/* A physical CPU given to a dedicated partition is its alone: no other
 * partition may list it, and its own vCPUs each need their own CPU (the
 * cpus list has no duplicates already). Checked against the sections
 * before this one that are still valid. */
static void cfg_check_dedicated(struct parser *p)
{
	struct part_config *pt = p->part;
	const struct vatra_config *c = p->c;
	char m[CFG_MSG_MAX];

	if (pt->dedicated && !pt->ncpus) {
		if (!(p->pbad & (1u << P_CPUS)))
			cfg_err(p, p->pseen[P_DEDICATED], "'dedicated = yes' needs 'cpus' to name the CPUs");
		return;
	}
	for (unsigned i = 0; i + 1 < c->nparts; i++) {
		const struct part_config *q = &c->parts[i];
		if (!q->valid || (!q->dedicated && !pt->dedicated))
			continue;
		for (unsigned a = 0; a < pt->ncpus; a++)
			for (unsigned b = 0; b < q->ncpus; b++) {
				if (pt->cpus[a] != q->cpus[b])
					continue;
				m[0] = '\0';
				m_add(m, "CPU ");
				m_addu(m, pt->cpus[a]);
				m_add(m, q->dedicated ? " is dedicated to partition " :
				      " is shared with partition ");
				m_addq(m, q->name);
				m_add(m, " (line ");
				m_addu(m, q->line);
				m_add(m, q->dedicated ? ")" : "): a dedicated CPU cannot be shared");
				cfg_err(p, p->pseen[P_CPUS], m);
				return;
			}
	}
}

/* Checks that need the whole section: required keys and cross-key rules.
 * Reported at the header (missing keys have no line of their own). */
static void cfg_end_section(struct parser *p)
{
	struct part_config *pt = p->part;
	static const int required[] = { P_KERNEL, P_MEMORY };
	char m[CFG_MSG_MAX];
	size_t i;

	if (p->sect != S_PART)
		return;
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (p->pseen[required[i]])
			continue;
		m[0] = '\0';
		m_add(m, "missing required key '");
		m_add(m, pkeys[required[i]].name);
		m_add(m, "' in ");
		m_addsect(m, p);
		cfg_err(p, pt->line, m);
	}
	/* Skip when either key was rejected: vcpus would then be the default
	 * and the mismatch a confusing echo of the first error. */
	if (p->pseen[P_CPUS] && !(p->pbad & (1u << P_CPUS | 1u << P_VCPUS)) &&
	    pt->ncpus != pt->vcpus) {
		m[0] = '\0';
		m_add(m, "'cpus' lists ");
		m_addu(m, pt->ncpus);
		m_add(m, " CPUs but 'vcpus' is ");
		m_addu(m, pt->vcpus);
		m_add(m, ": counts must match");
		cfg_err(p, p->pseen[P_CPUS], m);
	}
	if (pt->valid)
		cfg_check_dedicated(p);
}

static int cfg_hex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = cfg_lower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static bool cfg_name_ok(const char *s)
{
	size_t i;

	if (!cfg_isalpha(s[0]))
		return false;
	for (i = 1; s[i]; i++)
		if (!cfg_isalpha(s[i]) && !cfg_isdigit(s[i]) &&
		    s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

static void cfg_begin_part(struct parser *p, const char *name)
{
	struct vatra_config *c = p->c;
	char m[CFG_MSG_MAX] = "";
	unsigned i;

	/* Nothing under a rejected header is looked at: one error per
	 * section, not one for each of its keys. */
	p->sect = S_SKIP;
	if (!name[0]) {
		cfg_err(p, p->line, "missing partition name: expected [partition NAME]");
		return;
	}
	if (strnlen(name, CFG_NAME_MAX) >= CFG_NAME_MAX) {
		m_add(m, "partition name ");
		m_addq(m, name);
		m_add(m, " too long: at most 31 characters");
		cfg_err(p, p->line, m);
		return;
	}
	if (!cfg_name_ok(name)) {
		m_add(m, "bad partition name ");
		m_addq(m, name);
		m_add(m, ": use A-Z a-z 0-9 _ -, starting with a letter");
		cfg_err(p, p->line, m);
		return;
	}
	/* Names are compared without case: the operator shell and log
	 * readers should never have to tell "web" from "Web". */
	for (i = 0; i < c->nparts; i++) {
		if (str_casecmp(c->parts[i].name, name))
			continue;
		m_add(m, "duplicate partition name ");
		m_addq(m, name);
		m_add(m, " (first on line ");
		m_addu(m, c->parts[i].line);
		m_add(m, "): section ignored");
		cfg_err(p, p->line, m);
		return;
	}
	if (c->nparts == CFG_MAX_PARTS) {
		m_add(m, "too many partitions: at most 32, [partition ");
		m_add(m, name);
		m_add(m, "] ignored");
		cfg_err(p, p->line, m);
		return;
	}
	p->part = &c->parts[c->nparts++];
	cfg_part_init(p->part, name, p->line);
	memset(p->pseen, 0, sizeof(p->pseen));
	p->pbad = 0;
	p->sect = S_PART;
}

/* [switch NAME]: a virtual switch partitions' NICs plug into. It has
 * no settings (yet); its name follows the partition name rules. */
static void cfg_begin_switch(struct parser *p, const char *name)
{
	struct vatra_config *c = p->c;
	char m[CFG_MSG_MAX] = "";

	p->sect = S_SKIP;
	if (!name[0] || !cfg_name_ok(name) || strnlen(name, CFG_NAME_MAX) >= CFG_NAME_MAX) {
		m_add(m, "bad switch name ");
		m_addq(m, name);
		m_add(m, ": use A-Z a-z 0-9 _ -, at most 31, starting with a letter");
		cfg_err(p, p->line, m);
		return;
	}
	for (unsigned i = 0; i < c->nswitches; i++)
		if (!str_casecmp(c->switches[i], name)) {
			m_add(m, "duplicate switch name ");
			m_addq(m, name);
			cfg_err(p, p->line, m);
			return;
		}
	if (c->nswitches == PART_MAX_SWITCHES) {
		cfg_err(p, p->line, "too many switches: at most 8");
		return;
	}
	str_copy(c->switches[c->nswitches++], name, CFG_NAME_MAX);
	p->sect = S_SWITCH;
}

/* Every NIC names a declared switch: checked once the whole file is read
 * (a switch may be declared after the partitions using it). */
static void cfg_check_nets(struct parser *p)
{
	struct vatra_config *c = p->c;
	char m[CFG_MSG_MAX];

	p->sect = S_NONE;
	for (unsigned i = 0; i < c->nparts; i++)
		for (unsigned n = 0; n < c->parts[i].nnics; n++) {
			const struct part_nic *nic = &c->parts[i].nics[n];
			bool found = false;

			for (unsigned s = 0; s < c->nswitches; s++)
				found |= !strcmp(c->switches[s], nic->sw);
			if (found)
				continue;
			m[0] = '\0';
			m_add(m, "no [switch ");
			m_add(m, nic->sw);
			m_add(m, "] section for this NIC of partition ");
			m_addq(m, c->parts[i].name);
			c->parts[i].valid = false;
			cfg_err(p, nic->line, m);
		}
}

static void cfg_header(struct parser *p, char *s)
{
	char *end = strchr(s, ']');
	char *in, *rest;
	char m[CFG_MSG_MAX] = "";

	cfg_end_section(p);
	p->sect = S_SKIP;
	p->part = NULL;
	if (!end) {
		cfg_err(p, p->line, "missing ']' in section header");
		return;
	}
	*end = '\0';
	rest = cfg_trim(end + 1);
	if (rest[0] && rest[0] != '#') {
		m_add(m, "unexpected text ");
		m_addq(m, rest);
		m_add(m, " after section header");
		cfg_err(p, p->line, m);
		return;
	}
	in = cfg_trim(s + 1);
	if (!strcmp(in, "vatra")) {
		p->sect = S_GLOBAL;
		return;
	}
	if (!strncmp(in, "partition", 9) && (!in[9] || str_isspace(in[9]))) {
		cfg_begin_part(p, cfg_trim(in + 9));
		return;
	}
	if (!strncmp(in, "switch", 6) && (!in[6] || str_isspace(in[6]))) {
		cfg_begin_switch(p, cfg_trim(in + 6));
		return;
	}
	m_add(m, "unknown section ");
	m_addq(m, in);
	m_add(m, ": expected [vatra], [partition NAME] or [switch NAME]");
	cfg_err(p, p->line, m);
}

/* ---- key = value lines ----------------------------------------------- */

/* Cuts the value out of the text after '=': strips the inline comment
 * or, for a quoted value, the quotes. Returns NULL or why it failed. */
static const char *cfg_value(char *v, char **out)
{
	char *h;

	v = (char *)cfg_skip_ws(v);
	if (*v == '"') {
		char *close = strchr(v + 1, '"');
		const char *rest;

		if (!close)
			return "unterminated quote in value for ";
		*close = '\0';
		rest = cfg_skip_ws(close + 1);
		if (*rest && *rest != '#')
			return "unexpected text after closing quote for ";
		*out = v + 1;
		return NULL;
	}
	/* h[-1] never leaves the line buffer: at worst it is the NUL that
	 * replaced the '=', which is not white space. */
	for (h = v; *h; h++) {
		if (*h == '#' && str_isspace(h[-1])) {
			*h = '\0';
			break;
		}
	}
	*out = cfg_trim(v);
	return NULL;
}

static void cfg_keyval(struct parser *p, char *s)
{
	const struct cfg_key *keys;
	unsigned *seen;
	char m[CFG_MSG_MAX] = "";
	char *eq, *key, *val = NULL;
	const char *why;
	int nkeys, k;

	/* The first '=' splits, so values (cmdline) may hold '='; an '='
	 * already inside an inline comment does not count. */
	for (eq = s; *eq && *eq != '='; eq++)
		if (*eq == '#' && eq > s && str_isspace(eq[-1]))
			break;
	if (*eq != '=') {
		if (p->sect == S_SKIP)
			return;
		*eq = '\0';
		s = cfg_trim(s);
		if (p->sect == S_NONE) {
			m_add(m, "text ");
			m_addq(m, s);
			m_add(m, " before any section: expected [vatra] first");
		} else {
			m_add(m, "expected 'key = value', got ");
			m_addq(m, s);
		}
		cfg_err(p, p->line, m);
		return;
	}
	*eq = '\0';
	key = cfg_trim(s);
	if (p->sect == S_SKIP)
		return;
	if (!key[0]) {
		cfg_err(p, p->line, "missing key before '='");
		return;
	}
	if (p->sect == S_NONE) {
		m_add(m, "key ");
		m_addq(m, key);
		m_add(m, " before any section: expected [vatra] or [partition NAME]");
		cfg_err(p, p->line, m);
		return;
	}
	if (p->sect == S_SWITCH) {
		m_add(m, "unknown key ");
		m_addq(m, key);
		m_add(m, ": a [switch] section has no settings");
		cfg_err(p, p->line, m);
		return;
	}

	if (p->sect == S_GLOBAL) {
		keys = gkeys;
		nkeys = G_NKEYS;
		seen = p->gseen;
	} else {
		keys = pkeys;
		nkeys = P_NKEYS;
		seen = p->pseen;
	}
	for (k = 0; k < nkeys; k++)
		if (!strcmp(key, keys[k].name))
			break;
	if (k == nkeys) {
		m_add(m, "unknown key ");
		m_addq(m, key);
		m_add(m, " in ");
		m_addsect(m, p);
		cfg_err(p, p->line, m);
		return;
	}
	/* The first setting wins: the operator most likely edited the top
	 * of the section and forgot a stale line further down. */
	if (seen[k] && !keys[k].repeats) {
		m_add(m, "duplicate key '");
		m_add(m, keys[k].name);
		m_add(m, "' (first on line ");
		m_addu(m, seen[k]);
		m_add(m, ")");
		cfg_err(p, p->line, m);
		return;
	}
	if (!seen[k])
		seen[k] = p->line;

	why = cfg_value(eq + 1, &val);
	if (why) {
		m_add(m, why);
		m_addc(m, '\'');
		m_add(m, keys[k].name);
		m_addc(m, '\'');
	} else {
		why = keys[k].set(p, val);
		if (!why)
			return;
		m_add(m, "bad value ");
		m_addq(m, val);
		m_add(m, " for '");
		m_add(m, keys[k].name);
		m_add(m, "': ");
		m_add(m, why);
	}
	if (p->sect == S_PART)
		p->pbad |= 1u << k;
	cfg_err(p, p->line, m);
}

/* One line without its LF (and without the CR of a CRLF). */
static void cfg_line(struct parser *p, const char *text, size_t n)
{
	char *s;
	size_t i;

	if (n > CFG_LINE_MAX) {
		cfg_err(p, p->line, "line too long: at most 1023 characters");
		return;
	}
	for (i = 0; i < n; i++) {
		if (!text[i]) {
			/* Likely a binary or UTF-16 file: say so rather
			 * than parse half a line. */
			cfg_err(p, p->line, "NUL byte in line (is this a text file?)");
			return;
		}
	}
	memcpy(p->buf, text, n);
	p->buf[n] = '\0';
	s = cfg_trim(p->buf);
	if (!s[0] || s[0] == '#' || s[0] == ';')
		return;
	if (s[0] == '[')
		cfg_header(p, s);
	else
		cfg_keyval(p, s);
}

/* ---- public API ------------------------------------------------------ */

void cfg_defaults(struct vatra_config *c)
{
	memset(c, 0, sizeof(*c));
	c->console_port = 0x3f8;
	c->console_baud = 115200;
	c->log_level = CFG_LOG_INFO;
	c->on_all_stopped = CFG_STOP_SHELL;
	c->selftest = false;
	c->selftest_trap = false;
	c->mgmt.dhcp = true;
	c->mgmt.port = 443;
	c->mgmt.syslog_port = 514;
	memcpy(c->mgmt.cert, "/mgmt/server.crt", sizeof("/mgmt/server.crt"));
	memcpy(c->mgmt.key, "/mgmt/server.key", sizeof("/mgmt/server.key"));
	memcpy(c->mgmt.auth, "/mgmt/auth", sizeof("/mgmt/auth"));
	c->iommu_selftest = false;
}

int cfg_parse(struct vatra_config *c, const char *text, size_t len)
{
	struct parser p;
	size_t pos = 0;
	unsigned total;

	if (!c)
		return -EINVAL;
	cfg_defaults(c);
	if (!text)
		len = 0;
	memset(&p, 0, sizeof(p));
	p.c = c;
	p.sect = S_NONE;

	while (pos < len) {
		size_t end = pos, n;

		while (end < len && text[end] != '\n')
			end++;
		if (p.line != ~0u)
			p.line++;
		n = end - pos;
		if (n && text[pos + n - 1] == '\r')
			n--;
		cfg_line(&p, text + pos, n);
		pos = end + 1;
	}
	cfg_end_section(&p);
	cfg_check_nets(&p);

	total = c->nerrors + c->errors_dropped;
	if (total < c->nerrors || total > 0x7fffffffu)
		total = 0x7fffffffu;
	return (int)total;
}

int cfg_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;
	bool big = false;

	if (!s || !out || !cfg_isdigit(*s))
		return -EINVAL;
	/* Decimal only: in hex, the 'B' of "MB" would be a digit. */
	for (; cfg_isdigit(*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			big = true;
		v = v * 10 + d;
	}
	switch (cfg_lower(*s)) {
	case 'k': shift = 10; break;
	case 'm': shift = 20; break;
	case 'g': shift = 30; break;
	case 't': shift = 40; break;
	}
	if (shift) {
		s++;
		if (cfg_lower(s[0]) == 'i' && cfg_lower(s[1]) == 'b')
			s += 2;
		else if (cfg_lower(s[0]) == 'b')
			s++;
	} else if (cfg_lower(*s) == 'b') {
		s++;			/* "4096B": plain bytes */
	}
	/* Syntax first: "9999999999999999999999x" is a typo, not a range. */
	if (*s)
		return -EINVAL;
	if (big || v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

/* One decimal CPU number 0..255; advances *sp. Bounded so that a long run
 * of digits cannot overflow. */
static bool cfg_cpu_num(const char **sp, unsigned *out)
{
	const char *s = cfg_skip_ws(*sp);
	unsigned v = 0;

	if (!cfg_isdigit(*s))
		return false;
	for (; cfg_isdigit(*s); s++) {
		v = v * 10 + (unsigned)(*s - '0');
		if (v > 255)
			return false;
	}
	*sp = cfg_skip_ws(s);
	*out = v;
	return true;
}

int cfg_parse_cpus(const char *s, uint8_t *cpus, unsigned max, unsigned *n)
{
	uint64_t seen[4] = { 0, 0, 0, 0 };
	unsigned cnt = 0;

	if (!n)
		return -EINVAL;
	*n = 0;
	if (!s || (!cpus && max))
		return -EINVAL;
	for (;;) {
		unsigned a, b, x;

		if (!cfg_cpu_num(&s, &a))
			return -EINVAL;
		b = a;
		if (*s == '-') {
			s++;
			if (!cfg_cpu_num(&s, &b) || b < a)
				return -EINVAL;
		}
		for (x = a; x <= b; x++) {
			if (seen[x / 64] >> (x % 64) & 1)
				return -EEXIST;
			if (cnt >= max)
				return -E2BIG;
			seen[x / 64] |= 1ull << (x % 64);
			cpus[cnt++] = (uint8_t)x;
		}
		if (!*s)
			break;
		if (*s++ != ',')
			return -EINVAL;
	}
	*n = cnt;
	return 0;
}

const char *cfg_format_name(enum part_format f)
{
	return (unsigned)f < PART_NFORMATS ? fmt_names[f] : "?";
}

const char *cfg_unmapped_name(enum part_unmapped u)
{
	return (unsigned)u < PART_NUNMAPPED ? unmapped_names[u] : "?";
}

const char *cfg_on_stop_name(enum cfg_on_stop s)
{
	return (unsigned)s < 3 ? stop_names[s] : "?";
}

const char *cfg_log_name(enum cfg_log l)
{
	return (unsigned)l < 4 ? log_names[l] : "?";
}
