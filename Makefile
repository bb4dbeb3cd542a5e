# Vatra: build, image, run and test. Output goes only under build/.
#   make            build/vatra.efi (UEFI loader with the core inside)
#   make image      build/vatra.img (GPT disk image for a USB stick)
#   make run        boot the image in QEMU, serial console on this terminal
#   make test       every test tier; ends with "N passed, N failed"
#   make test-unit  host unit tests only (fast edit loop)
#   make test-terminal  make run typed on a pseudo-terminal, as a person does
#   make test-qemu / test-bochs / test-iommu / test-passthru   one emulator tier
#   make fuzz-tables  a long run of the DMAR/IVRS and _PRT fuzzers
#   make fuzz-http    a long run of the HTTP request parser's fuzzer
#   make coverage   line and branch coverage of the host unit tests, per module
#   make fuzz       fuzz campaigns under QEMU and Bochs (FUZZ_SEEDS, FUZZ_OPS)

B       := build

# Install missing Debian packages before anything else is evaluated (the
# compiler itself may be missing on a fresh machine).
ifeq ($(filter clean,$(MAKECMDGOALS)),)
DEPS_FAIL := $(shell tools/deps.sh >&2 || echo failed)
ifneq ($(DEPS_FAIL),)
$(error tools/deps.sh could not install what the build needs (see above))
endif
endif

GCCINC  := $(shell gcc -print-file-name=include)
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter
FREESTANDING := -std=gnu11 -O2 -g -ffreestanding -nostdinc -isystem $(GCCINC) \
           -fno-builtin -fno-tree-loop-distribute-patterns -fno-stack-protector \
           -mno-red-zone -mgeneral-regs-only -fno-asynchronous-unwind-tables -I.

# The core: position-dependent, linked at CORE_VIRT_BASE by linker.ld.
CORE_CFLAGS := $(FREESTANDING) $(WARN) -fno-pic -fno-pie -mcmodel=kernel
CORE_C  := boot/main.c arch/x86/desc.c arch/x86/trap.c arch/x86/mmu.c \
           arch/x86/paging.c arch/x86/caps.c arch/x86/power.c arch/x86/tsc.c arch/x86/apic.c \
           arch/x86/rtc.c arch/x86/smp.c arch/x86/vectab.c arch/x86/vectors.c \
           arch/x86/svm.c arch/x86/vmx.c arch/x86/permmap.c arch/x86/rand.c \
           vmm/vmm.c vmm/sched.c vmm/vcpu.c vmm/partition.c vmm/cpuid.c vmm/crvalid.c vmm/crwrite.c vmm/msr.c vmm/io.c \
           vmm/guestmsr.c vmm/mtrr.c vmm/specctrl.c vmm/spec.c vmm/mmio.c vmm/hypercall.c vmm/part_ops.c vmm/decode.c vmm/gwalk.c vmm/gla.c vmm/tlbtag.c vmm/fpu.c vmm/xstate.c \
           vmm/platform.c vmm/dev/vuart.c vmm/dev/testdev.c vmm/dev/vpic.c vmm/dev/vpit.c \
           vmm/dev/vrtc.c vmm/dev/vpm.c vmm/dev/vpci.c vmm/dev/vioapic.c vmm/dev/vlapic.c \
           vmm/dev/acpigen.c vmm/dev/devreg.c vmm/dev/msi.c vmm/dev/ptdev.c vmm/dev/ptdev_wl.c vmm/ptassign.c vmm/passthru.c vmm/ptirq.c vmm/ptintx.c vmm/ptprobe.c \
           vmm/dev/virtq.c vmm/dev/virtio_pci.c vmm/dev/virtio_blk.c vmm/dev/virtio_net.c \
           vmm/dev/virtio_console.c vmm/virtio.c vmm/vswitch.c vmm/loader/loader.c vmm/loader/multiboot.c vmm/loader/flat.c vmm/loader/linux.c \
           drivers/uart.c drivers/acpi.c drivers/acpi_prt.c drivers/ioapic.c drivers/iommu.c drivers/iommu_tables.c drivers/iommu_pt.c drivers/iommu_fault.c \
           drivers/vtd.c drivers/amdvi.c drivers/iommu_selftest.c drivers/pci.c drivers/pci_enum.c drivers/pci_report.c \
           drivers/pci_owner.c drivers/pci_reset.c mm/mem.c \
           drivers/nic.c drivers/virtio_net.c drivers/e1000.c \
           net/stack.c net/http.c net/json.c net/httpd.c net/syslog.c mgmt/auth.c mgmt/api.c \
           mgmt/config.c mgmt/commands.c mgmt/host.c mgmt/shell.c mgmt/console.c mgmt/lineedit.c \
           lib/string.c lib/strutil.c lib/printf.c lib/log.c lib/sink.c lib/palloc.c lib/elf.c
CORE_ASM := arch/x86/entry.asm arch/x86/svm_entry.asm arch/x86/vmx_entry.asm \
            arch/x86/trampoline.asm
CORE_OBJ := $(CORE_C:%.c=$(B)/core/%.o) $(CORE_ASM:%.asm=$(B)/core/%.o)

# The management network: lwIP and mbedTLS from Debian's source packages,
# fetched and checked at build time by tools/fetch-src into build/src
# (never kept in the repository), built with Vatra's own options
# (net/port/) into the core.
SRC     := $(B)/src
LWIP    := $(SRC)/lwip/src
MBED    := $(SRC)/mbedtls
NET_INC := -Inet/port -Inet/port/libc -I$(LWIP)/include -I$(MBED)/include \
           -D_LIBC_LIMITS_H_ '-DMBEDTLS_CONFIG_FILE="mbedtls_vatra.h"'
LWIP_C  := core/init.c core/def.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c \
           core/netif.c core/pbuf.c core/stats.c core/sys.c core/altcp.c core/altcp_alloc.c \
           core/altcp_tcp.c core/tcp.c core/tcp_in.c core/tcp_out.c core/timeouts.c core/udp.c \
           core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c \
           core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c netif/ethernet.c \
           apps/altcp_tls/altcp_tls_mbedtls.c apps/altcp_tls/altcp_tls_mbedtls_mem.c
MBED_C  := aes asn1parse asn1write base64 bignum cipher cipher_wrap constant_time ctr_drbg \
           ecdh ecdsa ecp ecp_curves entropy entropy_poll gcm md oid pem pk pk_wrap pkparse \
           platform platform_util sha256 sha512 ssl_ciphersuites ssl_msg ssl_srv ssl_tls \
           x509 x509_crt
THIRD_CFLAGS := $(FREESTANDING) -fno-pic -fno-pie -mcmodel=kernel $(NET_INC) -Wall -Wno-unused-parameter -Wno-unused-result
NET_OBJ := $(LWIP_C:%.c=$(B)/lwip/%.o) $(MBED_C:%=$(B)/mbedtls/library/%.o)
CORE_OBJ += $(NET_OBJ)

# The UEFI loader: gnu-efi's PIC model (see TESTING.md recipe).
EFI_CFLAGS := $(FREESTANDING) $(WARN) -Wno-missing-prototypes -Wno-strict-prototypes \
           -fpic -fshort-wchar -maccumulate-outgoing-args -DGNU_EFI_USE_MS_ABI \
           -I/usr/include/efi -I/usr/include/efi/x86_64
EFI_C   := boot/efi_main.c mgmt/config.c lib/string.c lib/strutil.c lib/printf.c lib/elf.c
EFI_OBJ := $(EFI_C:%.c=$(B)/efi/%.o) $(B)/efi/boot/core_blob.o

# Host unit tests: pure modules against cmocka, with sanitizers.
HOST_CFLAGS := -std=gnu11 -O1 -g $(WARN) -Wno-missing-prototypes -I. \
           -fsanitize=address,undefined -fno-sanitize-recover=all
UNIT_TESTS := config ptdev ptassign acpi palloc paging elf printf commands tlbtag gwalk decode loader devices strutil xstate \
              linux acpigen vpci vlapic vioapic vpic vpit vrtc vpm rtc lineedit pci vectors \
              devreg permmap msi guestmsr mtrr specctrl crvalid console crwrite iommu_tables iommu_pt iommu_fault iommu virtq virtio vswitch \
              http json auth syslog acpi_prt
unit_src_config := mgmt/config.c lib/strutil.c
unit_src_acpi   := drivers/acpi.c lib/strutil.c
unit_src_palloc := lib/palloc.c
unit_src_paging := arch/x86/paging.c
unit_src_elf    := lib/elf.c
unit_src_strutil := lib/strutil.c
unit_src_printf := lib/printf.c
unit_src_commands := mgmt/commands.c vmm/part_ops.c lib/sink.c lib/strutil.c
unit_src_tlbtag := vmm/tlbtag.c
unit_src_gwalk  := vmm/gwalk.c
unit_src_xstate := vmm/xstate.c
unit_src_decode := vmm/decode.c
unit_src_crvalid := vmm/crvalid.c
unit_src_console := mgmt/console.c lib/printf.c
unit_src_crwrite := vmm/crwrite.c vmm/decode.c
unit_src_http   := net/http.c lib/strutil.c
unit_src_json   := net/json.c lib/sink.c lib/printf.c lib/strutil.c
unit_src_auth   := mgmt/auth.c lib/strutil.c
unit_src_syslog := net/syslog.c lib/printf.c
unit_def_json   := $(unit_def_printf)
unit_def_syslog := $(unit_def_printf) -DSYSLOG_NO_NET
unit_src_loader := vmm/loader/loader.c vmm/loader/multiboot.c vmm/loader/flat.c lib/elf.c lib/strutil.c
unit_src_devices := vmm/dev/vuart.c vmm/dev/testdev.c vmm/dev/vpci.c vmm/dev/devreg.c
unit_src_linux  := vmm/loader/loader.c vmm/loader/linux.c lib/strutil.c
unit_src_acpigen := vmm/dev/acpigen.c drivers/acpi.c drivers/acpi_prt.c lib/strutil.c lib/printf.c
unit_src_vpci   := vmm/dev/vpci.c vmm/dev/devreg.c
unit_src_ptdev  := vmm/dev/ptdev.c vmm/dev/ptdev_wl.c vmm/dev/msi.c
unit_src_ptassign := vmm/ptassign.c drivers/pci_owner.c lib/printf.c lib/sink.c
unit_src_devreg := vmm/dev/devreg.c
unit_src_permmap := arch/x86/permmap.c
unit_src_msi    := vmm/dev/msi.c
unit_src_virtq  := vmm/dev/virtq.c
unit_src_vswitch := vmm/vswitch.c lib/strutil.c
unit_src_virtio := vmm/dev/virtio_blk.c vmm/dev/virtio_net.c vmm/dev/virtio_console.c vmm/dev/virtio_pci.c vmm/dev/virtq.c vmm/dev/vpci.c vmm/dev/devreg.c
unit_src_guestmsr := vmm/guestmsr.c
unit_src_mtrr   := vmm/mtrr.c
unit_src_specctrl := vmm/specctrl.c
unit_src_vlapic := vmm/dev/vlapic.c
unit_src_vioapic := vmm/dev/vioapic.c
unit_src_vpic   := vmm/dev/vpic.c
unit_src_vpit   := vmm/dev/vpit.c
unit_src_vrtc   := vmm/dev/vrtc.c
unit_src_vpm    := vmm/dev/vpm.c
unit_src_rtc    := arch/x86/rtc.c
unit_src_lineedit := mgmt/lineedit.c
unit_src_pci    := drivers/pci_enum.c drivers/pci_report.c drivers/pci_owner.c lib/sink.c lib/printf.c
unit_src_vectors := arch/x86/vectab.c lib/sink.c lib/printf.c
unit_src_iommu_tables := drivers/iommu_tables.c lib/printf.c
unit_src_acpi_prt := drivers/acpi_prt.c lib/printf.c
unit_src_iommu_pt := drivers/iommu_pt.c arch/x86/paging.c
unit_src_iommu_fault := drivers/iommu_fault.c
unit_src_iommu := drivers/iommu.c drivers/iommu_tables.c lib/printf.c lib/strutil.c lib/sink.c
unit_def_iommu := $(unit_def_printf)
# printf's own test links it beside the host C library: rename ours.
unit_def_printf := -Dvsnprintf=vt_vsnprintf -Dsnprintf=vt_snprintf
unit_def_pci    := $(unit_def_printf)
unit_def_vectors := $(unit_def_printf)
unit_def_iommu_tables := $(unit_def_printf)

.PHONY: all image run test test-unit test-terminal test-qemu test-bochs test-iommu test-passthru test-virtio test-mgmtnet fuzz fuzz-tables fuzz-http bench clean deps coverage
all: $(B)/vatra.efi

deps:
	@tools/deps.sh

$(B)/core/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@gcc $(CORE_CFLAGS) -MMD -c $< -o $@
$(B)/core/%.o: %.asm
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@nasm -f elf64 -g -o $@ $<
$(SRC)/.stamp: tools/fetch-src
	@tools/fetch-src $(SRC)
	@touch $@
$(B)/core/net/%.o: net/%.c | $(SRC)/.stamp
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@gcc $(CORE_CFLAGS) $(NET_INC) -MMD -c $< -o $@
$(B)/lwip/%.o: $(SRC)/.stamp
	@mkdir -p $(dir $@)
	@echo "  CC lwip $*.c"
	@gcc $(THIRD_CFLAGS) -Dmem_init=lwip_mem_init -MMD -c $(LWIP)/$*.c -o $@
$(B)/mbedtls/%.o: $(SRC)/.stamp
	@mkdir -p $(dir $@)
	@echo "  CC tls  $*.c"
	@gcc $(THIRD_CFLAGS) -MMD -c $(MBED)/$*.c -o $@
$(B)/core.elf: $(CORE_OBJ) linker.ld
	ld -nostdlib -static -z max-page-size=4096 -z noexecstack -T linker.ld \
		-o $@ $(CORE_OBJ)

$(B)/efi/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC efi  $<"
	@gcc $(EFI_CFLAGS) -MMD -c $< -o $@
$(B)/efi/boot/core_blob.o: boot/core_blob.asm $(B)/core.elf
	@mkdir -p $(dir $@)
	nasm -f elf64 -i $(B)/ -o $@ $<
$(B)/vatra.so: $(EFI_OBJ)
	ld -nostdlib -znocombreloc -shared -Bsymbolic -z noexecstack \
		-T /usr/lib/elf_x86_64_efi.lds /usr/lib/crt0-efi-x86_64.o $(EFI_OBJ) \
		-L/usr/lib -lgnuefi -o $@
$(B)/vatra.efi: $(B)/vatra.so
	objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j '.rel.*' -j '.rela.*' -j .reloc --target efi-app-x86_64 \
		--subsystem=10 $< $@

# The demo image: the configuration in configs/demo.cfg and its guests
# (the Debian kernel and busybox come from tools/guest-linux). Its syslog
# goes to 10.0.2.2:PORT, which QEMU's user network delivers to the host's
# 127.0.0.1:PORT: VATRA_SYSLOG_PORT (default 5514) is written into the
# image's vatra.cfg, and a new value rebuilds the image.
DEMO_SYSLOG_PORT := $(or $(VATRA_SYSLOG_PORT),5514)
$(B)/demo-syslog-port: FORCE
	@case '$(DEMO_SYSLOG_PORT)' in *[!0-9]*|'') echo "VATRA_SYSLOG_PORT=$(DEMO_SYSLOG_PORT): not a port number" >&2; exit 1 ;; esac
	@[ '$(DEMO_SYSLOG_PORT)' -ge 1 ] && [ '$(DEMO_SYSLOG_PORT)' -le 65535 ] || \
		{ echo "VATRA_SYSLOG_PORT=$(DEMO_SYSLOG_PORT): not a port number (1-65535)" >&2; exit 1; }
	@mkdir -p $(B) && echo '$(DEMO_SYSLOG_PORT)' | cmp -s - $@ || echo '$(DEMO_SYSLOG_PORT)' >$@
FORCE:
.PHONY: FORCE
$(B)/vatra.img: $(B)/vatra.efi configs/demo.cfg tools/mkimage tools/guest-linux tests/linux/init tests/linux/virtio guests \
		$(B)/demo-keys/vatractl.conf $(B)/demo-syslog-port
	@tools/guest-linux $(B)/linux >/dev/null
	@rm -rf $(B)/demo && mkdir -p $(B)/demo/web $(B)/demo/db
	@echo "This is web's disk: an ext4 image on the ESP, loaded into memory." >$(B)/demo/web/README
	@echo "This is db's disk: an ext4 image on the ESP, loaded into memory." >$(B)/demo/db/README
	@mke2fs -q -t ext4 -d $(B)/demo/web $(B)/demo/web.img 16M >/dev/null
	@mke2fs -q -t ext4 -d $(B)/demo/db $(B)/demo/db.img 16M >/dev/null
	@sed 's/^syslog = 10\.0\.2\.2:[0-9]*$$/syslog = 10.0.2.2:$(DEMO_SYSLOG_PORT)/' configs/demo.cfg >$(B)/demo/vatra.cfg
	@grep -qx 'syslog = 10\.0\.2\.2:$(DEMO_SYSLOG_PORT)' $(B)/demo/vatra.cfg || \
		{ echo "configs/demo.cfg: no 'syslog = 10.0.2.2:PORT' line" >&2; exit 1; }
	@tools/mkimage -e $(B)/vatra.efi -c $(B)/demo/vatra.cfg -o $@ \
		-f $(B)/guests/cpuid.elf:/guests/cpuid.elf \
		-f $(B)/linux/vmlinuz:/guests/vmlinuz -f $(B)/linux/initramfs-virtio.cpio.gz:/guests/initrd.gz \
		-f $(B)/demo/web.img:/images/web.img -f $(B)/demo/db.img:/images/db.img \
		-f $(B)/demo-keys/server.crt:/mgmt/server.crt -f $(B)/demo-keys/server.key:/mgmt/server.key \
		-f $(B)/demo-keys/auth:/mgmt/auth
# The demo's management credentials, made once: the server's key and
# certificate and the allow list go on the ESP; an admin client
# certificate and token stay here, with a vatractl config file for the
# port make run forwards to the API.
$(B)/demo-keys/vatractl.conf:
	@rm -rf $(B)/demo-keys
	@tools/vatra-mgmt-keys $(B)/demo-keys server >/dev/null
	@tools/vatra-mgmt-keys $(B)/demo-keys client admin admin >/dev/null
	@tools/vatra-mgmt-keys $(B)/demo-keys token admin-token admin >/dev/null
	@printf '[vatractl]\nhost = 127.0.0.1\nport = 8443\nserver_cert = %s\ncert = %s\nkey = %s\ntimeout = 20\n' \
		$(abspath $(B))/demo-keys/server.crt $(abspath $(B))/demo-keys/admin.crt \
		$(abspath $(B))/demo-keys/admin.key >$@.tmp && mv $@.tmp $@
image: $(B)/vatra.img

run: $(B)/vatra.img
	tools/run-qemu --demo $(B)/vatra.img

# Guest test kernels (tests/guests/Makefile).
guests:
	@$(MAKE) -s -C tests/guests OUT=$(abspath $(B)/guests)
.PHONY: guests

$(B)/unit/test_%: tests/unit/test_%.c
	@mkdir -p $(dir $@)
	@echo "  CC host $@"
	@gcc $(HOST_CFLAGS) $(unit_def_$*) $< $(unit_src_$*) -lcmocka -o $@
$(foreach t,$(UNIT_TESTS),$(eval $(B)/unit/test_$(t): $(unit_src_$(t))))

test-unit: $(UNIT_TESTS:%=$(B)/unit/test_%)
	@tests/run-tier unit $(UNIT_TESTS:%=$(B)/unit/test_%)
test-terminal: $(B)/vatra.efi guests
	@tests/run-tier terminal
test-virtio: $(B)/vatra.efi guests
	@tests/run-tier virtio
test-mgmtnet: $(B)/vatra.efi guests
	@tests/run-tier mgmtnet
test-qemu: $(B)/vatra.efi guests
	@tests/run-tier qemu
test-bochs: $(B)/vatra.efi guests
	@tests/run-tier bochs
fuzz: $(B)/vatra.efi guests
	@tests/run-tier fuzz
test-iommu: $(B)/vatra.efi guests
	@tests/run-tier iommu
test-passthru: $(B)/vatra.efi guests
	@tests/run-tier passthru
test: $(UNIT_TESTS:%=$(B)/unit/test_%) $(B)/vatra.efi guests
	@tests/run-all $(UNIT_TESTS:%=$(B)/unit/test_%)

# A longer run of the HTTP request parser's fuzzer (under ASan/UBSan).
fuzz-http: $(B)/unit/test_http
	@VATRA_FUZZ_ITER=$${VATRA_FUZZ_ITER:-5000000} $(B)/unit/test_http

# A longer run of the DMAR/IVRS and _PRT mutation fuzzers (under ASan/UBSan).
fuzz-tables: $(B)/unit/test_iommu_tables $(B)/unit/test_acpi_prt
	VATRA_FUZZ_ITER=$${VATRA_FUZZ_ITER:-2000000} $(B)/unit/test_iommu_tables
	VATRA_FUZZ_ITER=$${VATRA_FUZZ_ITER:-200000} $(B)/unit/test_acpi_prt

# Coverage: the unit tests again, built with gcov instrumentation and
# without sanitizers (build/cov/), run, and summarised per module by
# tools/coverage (gcovr). Each test gets a directory of its own so that the
# data of a source file shared by several tests is merged, not overwritten.
COV_CFLAGS := -std=gnu11 -O0 -g $(WARN) -Wno-missing-prototypes -I. --coverage
$(B)/cov/%/test: tests/unit/test_%.c
	@mkdir -p $(dir $@)
	@echo "  CC cov  $@"
	@rm -f $(dir $@)*.gcda
	@gcc $(COV_CFLAGS) $(unit_def_$*) $< $(unit_src_$*) -lcmocka -o $@
$(foreach t,$(UNIT_TESTS),$(eval $(B)/cov/$(t)/test: $(unit_src_$(t))))
coverage: $(UNIT_TESTS:%=$(B)/cov/%/test)
	@tools/coverage $(B)/cov $(UNIT_TESTS)

# Benchmarks: ratios in one run (tools/bench); results go to build/bench.md;
# the management API's round trips (tools/bench-mgmt) to build/bench-mgmt.md.
bench:
	@tools/bench
	@tools/bench-mgmt

clean:
	rm -rf $(B)

-include $(shell find $(B)/core $(B)/efi $(B)/lwip $(B)/mbedtls -name '*.d' -type f 2>/dev/null)
