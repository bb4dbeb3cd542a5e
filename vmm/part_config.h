/* What a partition is made of, as the VMM takes it: the limits of this
 * build and the settings a partition copies into itself when it starts.
 * mgmt/config.c fills these from vatra.cfg and checks them against the
 * limits here; nothing in vmm/ reads the parsed file. Pure header. */
#ifndef VATRA_VMM_PART_CONFIG_H
#define VATRA_VMM_PART_CONFIG_H

#include <stdint.h>
#include <stdbool.h>

/* Plain numbers: the config parser spells them out in its messages. */
#define PART_MAX          32     /* partitions */
#define VCPU_MAX          8      /* vCPUs of one partition (struct partition, vendor pools) */
#define PART_NAME_MAX     32     /* name incl. NUL: [A-Za-z0-9_-], starting with a letter */
#define PART_PATH_MAX     128    /* a file path on the ESP incl. NUL */
#define PART_CMDLINE_MAX  512
#define PART_MAX_MODULES  8
#define PART_WEIGHT_DEFAULT 256
#define PART_MAX_DISKS    4      /* virtio-blk disks of one partition */
#define PART_MAX_NICS     4      /* virtio-net NICs of one partition */
#define PART_MAX_SWITCHES 8      /* [switch NAME] sections */

enum part_format { PART_FMT_AUTO, PART_FMT_LINUX, PART_FMT_MULTIBOOT, PART_FMT_FLAT };
/* Their names in vatra.cfg and in reports, in enum order. */
#define PART_FORMAT_NAMES { "auto", "linux", "multiboot", "flat" }
#define PART_NFORMATS 4

/* A guest-physical access where nothing is mapped: stop the partition, or
 * read all ones and drop writes (counted), as on a bus nobody answers. */
enum part_unmapped { PART_UNMAPPED_STOP, PART_UNMAPPED_IGNORE };
#define PART_UNMAPPED_NAMES { "stop", "ignore" }
#define PART_NUNMAPPED 2

struct part_module { char path[PART_PATH_MAX]; char args[PART_PATH_MAX]; };
/* A disk: a raw image on the ESP, read-only or not. */
struct part_disk { char path[PART_PATH_MAX]; bool ro; };
/* A NIC: the switch it plugs into, its MAC (derived from the partition's
 * name and the NIC's index when not given), and its config line. */
struct part_nic { char sw[PART_NAME_MAX]; uint8_t mac[6]; bool mac_set; unsigned line; };

/* A PCI function to pass through, as `devices =` names it: a place
 * (segment:bus:device.function) or an identity (vendor:device, the first
 * function with it that nobody owns). */
#define PART_MAX_DEVS     8
enum part_dev_kind { PART_DEV_BDF, PART_DEV_ID };
struct part_dev {
	uint8_t kind;                  /* enum part_dev_kind */
	uint16_t seg;
	uint8_t bus, devfn;            /* devfn = device << 3 | function */
	uint16_t vendor, device;
};

struct part_config {
	char name[PART_NAME_MAX];
	unsigned line;                 /* line of the [partition NAME] header */
	char kernel[PART_PATH_MAX];
	char initrd[PART_PATH_MAX];    /* "" if none */
	char cmdline[PART_CMDLINE_MAX];
	struct part_module modules[PART_MAX_MODULES];
	unsigned nmodules;
	struct part_disk disks[PART_MAX_DISKS];   /* in the order given: 00:03.0 onward */
	unsigned ndisks;
	struct part_nic nics[PART_MAX_NICS];      /* after the disks on the PCI bus */
	unsigned nnics;
	bool hvc;                      /* a virtio-console (hvc0) after the NICs */
	bool hvc_input;                /* hvc = console: the operator's keystrokes go to hvc0, not the UART */
	uint64_t memory;               /* bytes */
	unsigned vcpus;                /* 1..VCPU_MAX, default 1 */
	uint8_t cpus[VCPU_MAX];        /* physical CPU of each vCPU */
	unsigned ncpus;                /* 0 = not given, else == vcpus */
	enum part_format format;       /* default PART_FMT_AUTO */
	uint64_t load_addr;            /* flat binaries: guest-physical load address and entry */
	bool autostart;                /* default true */
	bool debug_exit;               /* test partitions: the 0xf4 debug-exit port and the test device */
	enum part_unmapped unmapped;   /* default PART_UNMAPPED_STOP */
	bool direct_test_port;         /* with debug_exit: port 0x80 goes to the machine without exits */
	unsigned weight;               /* CPU share against vCPUs on the same CPU, 1..65535 */
	unsigned cap;                  /* at most this % of a CPU per vCPU, 0 = no cap */
	bool dedicated;                /* its cpus run its vCPUs only (needs cpus) */
	struct part_dev devs[PART_MAX_DEVS];   /* devices = ..., in the order given */
	unsigned ndevs;
	unsigned devs_line;            /* line of its devices = key, 0 = none */
	bool valid;                    /* false when its section had any error */
};

#endif
