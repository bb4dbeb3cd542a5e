/* vatra.cfg parser: the one file an operator edits by hand on the USB stick.
 * Pure code, shared by the UEFI loader, the hypervisor core and host tests.
 *
 * INI-like format, one "key = value" per line under [vatra] or
 * [partition NAME] headers; '#' or ';' at line start and whitespace+'#'
 * inside a line start comments; "..." quotes a value so it may hold " #".
 * Parsing never aborts: every problem becomes a {line, message} entry and
 * everything that was valid is kept, so the operator sees all mistakes at
 * once instead of fixing them one reboot at a time. */
#ifndef VATRA_MGMT_CONFIG_H
#define VATRA_MGMT_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "vmm/part_config.h"

/* The partition limits are the VMM's (vmm/part_config.h). */
#define CFG_MAX_PARTS PART_MAX
#define CFG_MAX_ERRORS 32
#define CFG_NAME_MAX PART_NAME_MAX
#define CFG_PATH_MAX PART_PATH_MAX
#define CFG_CMDLINE_MAX PART_CMDLINE_MAX
#define CFG_MAX_MODULES PART_MAX_MODULES
#define CFG_MSG_MAX 96
#define CFG_LINE_MAX 1023     /* longest accepted line, excluding CR/LF */

enum cfg_on_stop { CFG_STOP_SHELL, CFG_STOP_POWEROFF, CFG_STOP_EXIT };
enum cfg_log { CFG_LOG_ERROR, CFG_LOG_WARN, CFG_LOG_INFO, CFG_LOG_DEBUG };

struct cfg_error { unsigned line; char msg[CFG_MSG_MAX]; };

/* The management network ([vatra] mgmt_* and syslog keys). */
struct cfg_mgmt {
	char nic[24];                  /* "" off (default), "auto", or a PCI address */
	bool dhcp;                     /* mgmt_ip = dhcp */
	uint32_t ip, mask, gw;         /* host byte order; gw 0 = none */
	uint16_t port;                 /* TLS API port, default 443 */
	uint16_t metrics_port;         /* plaintext /metrics only; 0 = none (default) */
	char cert[CFG_PATH_MAX];       /* server certificate, PEM; default /mgmt/server.crt */
	char key[CFG_PATH_MAX];        /* its private key, PEM; default /mgmt/server.key */
	char auth[CFG_PATH_MAX];       /* identities (mgmt/auth.h); default /mgmt/auth */
	uint32_t syslog_ip;            /* 0 = no remote syslog */
	uint16_t syslog_port;          /* default 514 */
};

struct vatra_config {
	uint16_t console_port;         /* I/O port base, default 0x3f8 */
	uint32_t console_baud;         /* default 115200 */
	enum cfg_log log_level;        /* default info */
	enum cfg_on_stop on_all_stopped; /* default shell */
	bool selftest;                 /* default false: run boot self-tests (W^X probes) */
	bool iommu_selftest;           /* default false: DMA through the IOMMU with QEMU's edu device at boot */
	bool selftest_trap;            /* selftest = trap: then take a deliberate fatal exception */
	bool console_quiet;            /* console_mode = quiet: partitions' lines only kept, not printed */
	bool allow_unsafe_interrupts;  /* passthrough without interrupt remapping (default no) */
	uint32_t tlb_tags;             /* at most this many ASIDs/VPIDs per CPU, host's included; 0 = all (default) */
	char switches[PART_MAX_SWITCHES][PART_NAME_MAX];   /* [switch NAME] sections */
	unsigned nswitches;
	bool no_virtual_nmis;          /* virtual_nmis = no: VT-x runs as on a CPU without them (tests) */
	struct cfg_mgmt mgmt;
	struct part_config parts[CFG_MAX_PARTS];
	unsigned nparts;
	struct cfg_error errors[CFG_MAX_ERRORS];
	unsigned nerrors;              /* errors stored */
	unsigned errors_dropped;       /* errors beyond CFG_MAX_ERRORS, counted only */
};

/* Resets *c to the built-in defaults: no partitions, no errors. */
void cfg_defaults(struct vatra_config *c);

/* Parses text (len bytes, need not be NUL-terminated, may contain anything). Calls cfg_defaults first.
 * Never fails as a whole: returns the number of errors found (>= 0); everything valid is kept.
 * (Only a NULL c gives -EINVAL; a NULL text is taken as empty.) */
int cfg_parse(struct vatra_config *c, const char *text, size_t len);

/* Parses a size with optional binary suffix K, M, G, T (case-insensitive, optional trailing "iB"/"B"): "512M", "1G", "4096K", "65536". Returns 0 or -EINVAL/-ERANGE. */
int cfg_parse_size(const char *s, uint64_t *out);

/* Parses "2,3" or "0-3,6" into a list of CPU numbers; duplicates -> -EEXIST, bad -> -EINVAL, too many -> -E2BIG.
 * Numbers are decimal 0..255, kept in the order given; *n is 0 on error. */
int cfg_parse_cpus(const char *s, uint8_t *cpus, unsigned max, unsigned *n);

/* Parses "A.B.C.D" (decimal, each 0..255) into *ip (host byte order),
 * and with prefix != NULL a "/NN" after it (0..32, required). 0 or -EINVAL. */
int cfg_parse_ip4(const char *s, uint32_t *ip, unsigned *prefix);

/* Text names for the enums, for reports ("shell", "multiboot", "info"); "?" if out of range. */
const char *cfg_format_name(enum part_format f);
const char *cfg_unmapped_name(enum part_unmapped u);
const char *cfg_on_stop_name(enum cfg_on_stop s);
const char *cfg_log_name(enum cfg_log l);

#endif
