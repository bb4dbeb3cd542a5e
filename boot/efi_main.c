/* The UEFI loader: a small gnu-efi application that reads vatra.cfg and
 * the files it names from the ESP it was started from, finds the ACPI
 * RSDP, places the embedded core, builds the page tables the core starts
 * on, leaves boot services and jumps to the core. Everything the core
 * needs arrives in one struct boot_info (include/vatra/bootinfo.h). */
#include <efi.h>
#include "include/vatra/bootinfo.h"
#include "mgmt/config.h"
#include "lib/elf.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/strutil.h"

#define PAGE 4096ULL
#define PTE_P  (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_PS (1ULL << 7)

extern const unsigned char core_blob[] __attribute__((visibility("hidden")));
extern const unsigned char core_blob_end[] __attribute__((visibility("hidden")));

static EFI_SYSTEM_TABLE *st;
static EFI_BOOT_SERVICES *bs;

/* Console output before ExitBootServices (UTF-16 for ConOut). */
static void say(const char *fmt, ...)
{
	char buf[256];
	CHAR16 w[258];
	va_list ap;
	unsigned n = 0;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (const char *p = buf; *p && n < 256; p++) {
		if (*p == '\n')
			w[n++] = L'\r';
		w[n++] = (CHAR16)(unsigned char)*p;
	}
	w[n] = 0;
	st->ConOut->OutputString(st->ConOut, w);
}

static void *alloc_pages(uint64_t n)
{
	EFI_PHYSICAL_ADDRESS a = 0;

	if (bs->AllocatePages(AllocateAnyPages, EfiLoaderData, n, &a) != EFI_SUCCESS)
		return NULL;
	memset((void *)a, 0, n * PAGE);
	return (void *)a;
}

/* Reads an ESP file ("/guests/x", '/' separators) into fresh pages. */
static int read_file(EFI_FILE_HANDLE root, const char *path, uint64_t *phys, uint64_t *size)
{
	CHAR16 wpath[BI_PATH_MAX + 1];
	EFI_FILE_HANDLE fh;
	UINT64 len = 0;
	UINTN got;
	void *buf;
	unsigned i;

	for (i = 0; path[i] && i < BI_PATH_MAX; i++)
		wpath[i] = path[i] == '/' ? L'\\' : (CHAR16)(unsigned char)path[i];
	wpath[i] = 0;
	if (root->Open(root, &fh, wpath, EFI_FILE_MODE_READ, 0) != EFI_SUCCESS)
		return -ENOENT;
	/* Seeking to the end-of-file position reports the size. */
	if (fh->SetPosition(fh, 0xffffffffffffffffULL) != EFI_SUCCESS ||
	    fh->GetPosition(fh, &len) != EFI_SUCCESS || fh->SetPosition(fh, 0) != EFI_SUCCESS) {
		fh->Close(fh);
		return -EIO;
	}
	buf = alloc_pages(len / PAGE + 1);
	if (!buf) {
		fh->Close(fh);
		return -ENOMEM;
	}
	got = len;
	if (fh->Read(fh, &got, buf) != EFI_SUCCESS || got != len) {
		fh->Close(fh);
		return -EIO;
	}
	fh->Close(fh);
	*phys = (uint64_t)buf;
	*size = len;
	return 0;
}

static void add_file(struct boot_info *bi, EFI_FILE_HANDLE root, const char *path)
{
	struct bi_file *f;

	if (!path[0])
		return;
	for (unsigned i = 0; i < bi->nfiles; i++)
		if (!strcmp(bi->files[i].path, path))
			return;
	if (bi->nfiles == BI_MAX_FILES) {
		say("vatra loader: too many files, %s not loaded\n", path);
		return;
	}
	f = &bi->files[bi->nfiles++];
	str_copy(f->path, path, sizeof(f->path));
	f->status = read_file(root, path, &f->phys, &f->size);
	if (f->status)
		say("vatra loader: cannot read %s: %s\n", path, err_name(f->status));
	else
		say("vatra loader: %s, %llu bytes\n", path, (unsigned long long)f->size);
}

/* Names the device the loader was started from by its UEFI device path
 * (UEFI 2.10, 10.3): PCI functions, the bus it hangs on (USB port and
 * interface, SATA, NVMe, SCSI, ATAPI) and the partition, e.g.
 * "Pci(0x2,0x0)/USB(0,0)/HD(1)", so a log shows what the machine booted
 * from. Other nodes appear as their type and subtype. */
static void say_boot_device(EFI_HANDLE dev)
{
	EFI_GUID dp_guid = DEVICE_PATH_PROTOCOL;
	EFI_DEVICE_PATH *dp;
	char out[160] = "", node[32];
	size_t n = 0;

	if (bs->HandleProtocol(dev, &dp_guid, (void **)&dp) != EFI_SUCCESS) {
		say("vatra loader: boot device has no device path\n");
		return;
	}
	for (int i = 0; i < 16 && !IsDevicePathEndType(dp); i++, dp = NextDevicePathNode(dp)) {
		const UINT8 *b = (const UINT8 *)dp;
		unsigned type = DevicePathType(dp), sub = dp->SubType;

		if (DevicePathNodeLength(dp) < 4)
			break;
		if (type == HARDWARE_DEVICE_PATH && sub == HW_PCI_DP)
			snprintf(node, sizeof(node), "Pci(%#x,%#x)", b[5], b[4]);
		else if (type == ACPI_DEVICE_PATH)
			snprintf(node, sizeof(node), "Acpi");
		else if (type == MESSAGING_DEVICE_PATH && sub == MSG_USB_DP)
			snprintf(node, sizeof(node), "USB(%u,%u)", b[4], b[5]);
		else if (type == MESSAGING_DEVICE_PATH && sub == MSG_SATA_DP)
			snprintf(node, sizeof(node), "Sata(%u)", b[4] | b[5] << 8);
		else if (type == MESSAGING_DEVICE_PATH && sub == 0x17)
			snprintf(node, sizeof(node), "NVMe");
		else if (type == MESSAGING_DEVICE_PATH && sub == MSG_SCSI_DP)
			snprintf(node, sizeof(node), "Scsi");
		else if (type == MESSAGING_DEVICE_PATH && sub == MSG_ATAPI_DP)
			snprintf(node, sizeof(node), "Ata");
		else if (type == MEDIA_DEVICE_PATH && sub == MEDIA_HARDDRIVE_DP)
			snprintf(node, sizeof(node), "HD(%u)", b[4] | b[5] << 8 | b[6] << 16 | (UINT32)b[7] << 24);
		else
			snprintf(node, sizeof(node), "Node(%u,%u)", type, sub);
		n += (size_t)snprintf(out + n, n < sizeof(out) ? sizeof(out) - n : 0, "%s%s",
				      n ? "/" : "", node);
		if (n >= sizeof(out))
			break;
	}
	say("vatra loader: boot device %s\n", out);
}

/* vatra.cfg, then every file its partitions name. The core re-parses the
 * config and reports its errors; here only paths matter. */
static void load_files(struct boot_info *bi, EFI_HANDLE image)
{
	EFI_GUID lip_guid = LOADED_IMAGE_PROTOCOL;
	EFI_GUID sfs_guid = SIMPLE_FILE_SYSTEM_PROTOCOL;
	EFI_LOADED_IMAGE *li;
	EFI_FILE_IO_INTERFACE *sfs;
	EFI_FILE_HANDLE root;
	struct vatra_config *cfg;

	if (bs->HandleProtocol(image, &lip_guid, (void **)&li) != EFI_SUCCESS ||
	    bs->HandleProtocol(li->DeviceHandle, &sfs_guid, (void **)&sfs) != EFI_SUCCESS ||
	    sfs->OpenVolume(sfs, &root) != EFI_SUCCESS) {
		bi->cfg_status = -ENODEV;
		say("vatra loader: cannot open the boot volume; continuing without vatra.cfg\n");
		return;
	}
	say_boot_device(li->DeviceHandle);
	bi->cfg_status = read_file(root, "/vatra.cfg", &bi->cfg_phys, &bi->cfg_size);
	if (bi->cfg_status) {
		say("vatra loader: no vatra.cfg (%s); the core uses defaults\n",
		    err_name(bi->cfg_status));
		root->Close(root);
		return;
	}
	cfg = alloc_pages((sizeof(*cfg) + PAGE - 1) / PAGE);
	if (!cfg) {
		root->Close(root);
		return;
	}
	cfg_parse(cfg, (const char *)bi->cfg_phys, bi->cfg_size);
	for (unsigned p = 0; p < cfg->nparts; p++) {
		add_file(bi, root, cfg->parts[p].kernel);
		add_file(bi, root, cfg->parts[p].initrd);
		for (unsigned m = 0; m < cfg->parts[p].nmodules; m++)
			add_file(bi, root, cfg->parts[p].modules[m].path);
		for (unsigned d = 0; d < cfg->parts[p].ndisks; d++)
			add_file(bi, root, cfg->parts[p].disks[d].path);
	}
	/* The management network's key, certificate and identities. */
	if (cfg->mgmt.nic[0]) {
		add_file(bi, root, cfg->mgmt.cert);
		add_file(bi, root, cfg->mgmt.key);
		add_file(bi, root, cfg->mgmt.auth);
	}
	bs->FreePages((EFI_PHYSICAL_ADDRESS)cfg, (sizeof(*cfg) + PAGE - 1) / PAGE);
	root->Close(root);
}

static uint64_t find_rsdp(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	uint64_t v1 = 0;

	for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &st->ConfigurationTable[i];
		if (!memcmp(&t->VendorGuid, &acpi20, sizeof(EFI_GUID)))
			return (uint64_t)t->VendorTable;
		if (!memcmp(&t->VendorGuid, &acpi10, sizeof(EFI_GUID)))
			v1 = (uint64_t)t->VendorTable;
	}
	return v1;
}

/* The core's first page tables: all RAM identity-mapped (the loader keeps
 * running on it until the jump) and again at PHYSMAP_BASE, with 2 MiB
 * pages; the core image at CORE_VIRT_BASE with 4 KiB pages. The core
 * replaces them with its own W^X tables at once. */
static uint64_t build_page_tables(uint64_t top, uint64_t core_phys, uint64_t core_size)
{
	uint64_t ngib = (top + (1ULL << 30) - 1) >> 30;
	uint64_t npt = (core_size / PAGE + 511) / 512;
	uint64_t *pml4, *pdpt, *pd, *kpdpt, *kpd, *kpt;

	if (ngib < 4)
		ngib = 4;
	if (ngib > 512)
		ngib = 512;   /* the core maps the rest itself */
	pml4 = alloc_pages(1);
	pdpt = alloc_pages(1);
	pd = alloc_pages(ngib);
	kpdpt = alloc_pages(1);
	kpd = alloc_pages(1);
	kpt = alloc_pages(npt);
	if (!pml4 || !pdpt || !pd || !kpdpt || !kpd || !kpt || npt > 512)
		return 0;
	for (uint64_t i = 0; i < ngib * 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_PS;
	for (uint64_t g = 0; g < ngib; g++)
		pdpt[g] = (uint64_t)&pd[g * 512] | PTE_P | PTE_RW;
	pml4[0] = (uint64_t)pdpt | PTE_P | PTE_RW;
	pml4[(PHYSMAP_BASE >> 39) & 511] = (uint64_t)pdpt | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < core_size / PAGE; i++)
		kpt[i] = (core_phys + i * PAGE) | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < npt; i++)
		kpd[i] = (uint64_t)&kpt[i * 512] | PTE_P | PTE_RW;
	kpdpt[(CORE_VIRT_BASE >> 30) & 511] = (uint64_t)kpd | PTE_P | PTE_RW;
	pml4[(CORE_VIRT_BASE >> 39) & 511] = (uint64_t)kpdpt | PTE_P | PTE_RW;
	return (uint64_t)pml4;
}

static uint32_t mem_type(uint32_t efi)
{
	switch (efi) {
	case EfiLoaderCode: case EfiLoaderData: return BI_MEM_HV;
	case EfiBootServicesCode: case EfiBootServicesData:
	case EfiConventionalMemory: return BI_MEM_FREE;
	case EfiUnusableMemory: return BI_MEM_BAD;
	case EfiACPIReclaimMemory: return BI_MEM_ACPI_RECLAIM;
	case EfiACPIMemoryNVS: return BI_MEM_ACPI_NVS;
	case EfiMemoryMappedIO: case EfiMemoryMappedIOPortSpace: return BI_MEM_MMIO;
	case 14: return BI_MEM_PERSISTENT;   /* EfiPersistentMemory */
	default: return BI_MEM_RESERVED;
	}
}

/* After ExitBootServices: pure conversion, merging neighbours of one kind
 * (efi_type then names the first of them). */
static void convert_map(struct boot_info *bi, const uint8_t *map, UINTN size, UINTN dsz)
{
	bi->nmem = 0;
	bi->mem_dropped = 0;
	for (UINTN off = 0; off + dsz <= size; off += dsz) {
		const EFI_MEMORY_DESCRIPTOR *d = (const void *)(map + off);
		uint32_t t = mem_type(d->Type);
		struct bi_mem *last = bi->nmem ? &bi->mem[bi->nmem - 1] : NULL;

		if (last && last->type == t &&
		    last->base + last->pages * PAGE == d->PhysicalStart) {
			last->pages += d->NumberOfPages;
			continue;
		}
		if (bi->nmem == BI_MAX_MEM) {
			bi->mem_dropped++;
			continue;
		}
		bi->mem[bi->nmem++] = (struct bi_mem){
			.base = d->PhysicalStart, .pages = d->NumberOfPages,
			.type = t, .efi_type = d->Type,
		};
	}
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	uint64_t t0 = rdtsc();
	struct boot_info *bi;
	struct elf_image core;
	uint8_t *core_mem, *map;
	UINTN map_size = 0, map_cap, key, dsz;
	UINT32 dver;
	uint64_t top = 0, cr3, entry;
	EFI_STATUS s;

	st = systab;
	bs = systab->BootServices;
	bs->SetWatchdogTimer(0, 0, 0, NULL);
	say("Vatra loader\n");

	bi = alloc_pages((sizeof(*bi) + PAGE - 1) / PAGE);
	if (!bi) {
		say("vatra loader: out of memory\n");
		return EFI_OUT_OF_RESOURCES;
	}
	bi->magic = BOOTINFO_MAGIC;
	bi->version = BOOTINFO_VERSION;
	bi->tsc_loader = t0;
	bi->rsdp = find_rsdp();
	load_files(bi, image);

	if (elf_parse(&core, core_blob, (size_t)(core_blob_end - core_blob)) ||
	    core.lo != CORE_VIRT_BASE) {
		say("vatra loader: the embedded core image is not a valid ELF at the core base\n");
		return EFI_LOAD_ERROR;
	}
	bi->core_size = core.hi - core.lo;
	core_mem = alloc_pages(bi->core_size / PAGE);
	if (!core_mem) {
		say("vatra loader: no memory for the core\n");
		return EFI_OUT_OF_RESOURCES;
	}
	elf_copy(&core, core_blob, core_mem);
	bi->core_phys = (uint64_t)core_mem;
	entry = core.entry;

	/* Size the memory map (it grows while we allocate: keep slack). */
	bs->GetMemoryMap(&map_size, NULL, &key, &dsz, &dver);
	map_cap = map_size + 64 * dsz;
	map = alloc_pages(map_cap / PAGE + 1);
	if (!map)
		return EFI_OUT_OF_RESOURCES;
	map_size = map_cap;
	if (bs->GetMemoryMap(&map_size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &dsz, &dver) != EFI_SUCCESS)
		return EFI_LOAD_ERROR;
	for (UINTN off = 0; off + dsz <= map_size; off += dsz) {
		const EFI_MEMORY_DESCRIPTOR *d = (const void *)(map + off);
		uint64_t end = d->PhysicalStart + d->NumberOfPages * PAGE;
		if (mem_type(d->Type) != BI_MEM_MMIO && end > top)
			top = end;
	}
	cr3 = build_page_tables(top, bi->core_phys, bi->core_size);
	if (!cr3) {
		say("vatra loader: cannot build page tables\n");
		return EFI_OUT_OF_RESOURCES;
	}
	bi->loader_pt = cr3;
	say("vatra loader: core %llu KiB at %#llx, RSDP %#llx, leaving boot services\n",
	    (unsigned long long)(bi->core_size >> 10), (unsigned long long)bi->core_phys,
	    (unsigned long long)bi->rsdp);

	/* The map key changes with every allocation: fetch the map again
	 * right before ExitBootServices and retry if it moved (UEFI 2.x,
	 * 7.4). Nothing may print or allocate in between, or after a
	 * failed attempt. */
	for (int tries = 0;; tries++) {
		map_size = map_cap;
		s = bs->GetMemoryMap(&map_size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &dsz, &dver);
		if (s == EFI_SUCCESS)
			s = bs->ExitBootServices(image, key);
		if (s == EFI_SUCCESS)
			break;
		if (tries == 8)
			for (;;)
				__asm__ volatile("cli; hlt");
	}
	convert_map(bi, map, map_size, dsz);
	bi->tsc_handoff = rdtsc();

	__asm__ volatile(
		"cli\n\t"
		"mov %0, %%cr3\n\t"
		"jmp *%1"
		: : "r"(cr3), "r"(entry), "D"(PHYSMAP_BASE + (uint64_t)bi) : "memory");
	return EFI_LOAD_ERROR;
}
