#!/usr/bin/env bash
# IOMMU tier: one boot under QEMU's Intel IOMMU and one under its AMD
# IOMMU (TCG, the AMD-V CPU, q35), each with an edu device, an NVMe disk
# or e1000e NIC on the bus, the demo's test kernel and a Linux partition.
# Checked from the serial log: the units come up with translation and
# interrupt remapping on, every device is in the blocking domain, the
# boot self-test proves by DMA that blocked DMA never reaches hypervisor
# memory, in either direction (and on VT-d is recorded with the edu's requester ID and the
# address), that a mapped page is reached and that unmap and detach take
# effect at once; `iommu` and `caps` say so; the partitions run.
set -u
. "$(dirname "$0")/../lib.sh"
W=$B/itest/iommu
mkdir -p "$W"
EFI=$B/vatra.efi
VMRUN=$TOP/tests/integration/vmrun.py
export VATRA_ACCEL=${VATRA_ACCEL:-tcg}
"$TOP/tools/guest-linux" "$B/linux" >/dev/null

mkcfg "$W/iommu.cfg" "[vatra]" "console = com1,115200" "log_level = info" \
	"on_all_stopped = shell" "iommu_selftest = yes" \
	"" "[partition cpuid]" "kernel = /guests/cpuid.elf" "memory = 16M" "debug_exit = yes" \
	"" "[partition web]" "kernel = /guests/vmlinuz" "initrd = /guests/initrd.gz" \
	"cmdline = console=ttyS0 quiet" "memory = 256M" "vcpus = 1"
"$TOP/tools/mkimage" -e "$EFI" -c "$W/iommu.cfg" -o "$W/iommu.img" \
	-f "$B/guests/cpuid.elf:/guests/cpuid.elf" -f "$B/linux/vmlinuz:/guests/vmlinuz" \
	-f "$B/linux/initramfs.cpio.gz:/guests/initrd.gz" >/dev/null
: >"$W/nvme.raw"
truncate -s 16M "$W/nvme.raw"

boot() { # NAME QEMU-ARGS...
	local n=$1
	shift
	cp "$W/iommu.img" "$W/$n.img"
	"$VMRUN" --log "$W/$n.log" --timeout 150 \
		--step "VATRA-INIT: done" "iommu\n" \
		--step "vatra> " "caps\n" \
		--step "vatra> " "list\n" \
		--step "vatra> " "poweroff\n" -- \
		"$TOP/tools/run-qemu" --test --smp 2 "$W/$n.img" \
		-device edu,dma_mask=0xffffffffffffffff "$@"
}

common() { # NAME LOG
	local n=$1 L=$2
	check "$n: powers off from the shell" status_is "$3" 0
	check "$n: blocked DMA left hypervisor memory unchanged" \
		has "$L" "^iommu selftest: PASS blocked DMA write left hypervisor page 0x[0-9a-f]+ unchanged"
	check "$n: blocked DMA read fetched no hypervisor secret" \
		has "$L" "^iommu selftest: PASS the blocked read fetched nothing: the buffer holds no hypervisor secret"
	check "$n: mapped DMA arrived" has "$L" "^iommu selftest: PASS mapped DMA: read through the IOMMU and written back arrived"
	check "$n: unmap takes effect (IOTLB invalidated)" has "$L" "^iommu selftest: PASS DMA to the unmapped page did not arrive"
	check "$n: detach takes effect" has "$L" "^iommu selftest: PASS DMA after detach did not arrive"
	check "$n: the edu's MSI remapped to a host vector" has "$L" "^iommu selftest: PASS the edu's MSI was remapped to the host vector"
	check "$n: a freed remapping entry delivers nothing" has "$L" "^iommu selftest: PASS with its entry freed the same MSI reached nothing"
	check "$n: remapping entries are owned by their requester ID" has "$L" "^iommu selftest: PASS another requester ID cannot set"
	check "$n: self-test ran to the end" has "$L" "^iommu selftest: ([0-9]+) of \\1 checks passed"
	check "$n: no self-test check failed" hasnt "$L" "^iommu selftest: FAIL"
	check "$n: every device blocked at boot" has "$L" "^iommu: .*every device blocked \(deny by default\).*interrupt remapping on"
	check "$n: iommu: translation and IR on" has "$L" "^  translation on, .* IR on"
	check "$n: iommu: the scratch domain is gone, no device attached" has "$L" "^  blocking domain: .* but the 0 attached"
	check "$n: caps reports the IOMMU on" has "$L" "^caps: iommu +.*translation on, every device blocked, IR on"
	check "$n: the test kernel partition ran" has "$L" "^partition cpuid: .*(exit|stopped)"
	check "$n: the Linux partition reached /init" has "$L" "VATRA-INIT: reached /init"
	check "$n: no IOMMU error" hasnt "$L" "^error: (vtd|amdvi|iommu)"
}

echo "--- Intel IOMMU (VT-d): units, blocking, faults, map/attach/unmap/detach by DMA"
boot vtd -device intel-iommu \
	-drive if=none,id=nv,file="$W/nvme.raw",format=raw -device nvme,serial=vatra,drive=nv
st=$?
L=$W/vtd.log
common vtd "$L" $st
check "vtd: unit up with its capabilities" has "$L" "^vtd 0xfed90000: segment 0, 7 scope\(s\).*fault register\(s\), not coherent, IR on, translation on"
check "vtd: blocked DMA recorded with the edu's BDF and the address" \
	has "$L" "^iommu selftest: PASS fault recorded: device 00:01.0, write, page 0x[0-9a-f]+"
check "vtd: fault logged with device, access and reason" \
	has "$L" "^warning: iommu: fault #1 from 0000:00:01.0: write at 0x[0-9a-f]+000: write not permitted"
check "vtd: blocked DMA read recorded with the BDF and the address" \
	has "$L" "^iommu selftest: PASS fault recorded: device 00:01.0, read, page 0x[0-9a-f]+"
check "vtd: unmapped and detached faults recorded" has "$L" "^iommu selftest: PASS fault recorded after detach"
check "vtd: iommu lists the unit" has "$L" "^unit 0: VT-d at 0xfed90000, segment 0"
check "vtd: iommu counts the edu's faults" has "$L" "^  0000:00:01.0  [3-9] fault\(s\)"

echo "--- AMD IOMMU (AMD-Vi): every device ID blocked, map/attach/unmap/detach by DMA"
boot amdvi -device amd-iommu -device e1000e,netdev=n0 -netdev user,id=n0,restrict=on
st=$?
L=$W/amdvi.log
common amdvi "$L" $st
check "amdvi: unit up, the IOMMU function named" \
	has "$L" "^amdvi 0xfed80000: IVHD 0x10, segment 0, the IOMMU is 0000:00:0[0-9a-f].0, [0-9]+ device entries"
check "amdvi: iommu lists the unit as the hypervisor's" has "$L" "^unit 0: AMD-Vi at 0xfed80000 \(IVHD 0x10\).*\(the hypervisor's\)"
check "amdvi: command buffer and event log on" has "$L" "^  translation on, command buffer on, event log running, IR on"

echo "--- a malformed DMAR from the firmware: refused with the reason, passthrough unavailable, the rest runs"
# HAW 39, one DRHD at 0xfed90000 whose only device scope claims 10 bytes
# where 8 are left (QEMU adds the table header and checksum).
printf '\x26\x00\0\0\0\0\0\0\0\0\0\0\0\0\x18\0\0\0\0\0\0\0\xd9\xfe\0\0\0\0\x01\x0a\0\0\0\0\x03\0' >"$W/dmar.bin"
mkcfg "$W/bad.cfg" "[vatra]" "on_all_stopped = shell" "iommu_selftest = yes" \
	"" "[partition cpuid]" "kernel = /guests/cpuid.elf" "memory = 16M" "debug_exit = yes"
"$TOP/tools/mkimage" -e "$EFI" -c "$W/bad.cfg" -o "$W/bad.img" \
	-f "$B/guests/cpuid.elf:/guests/cpuid.elf" >/dev/null
"$VMRUN" --log "$W/bad.log" --timeout 120 \
	--step "partition cpuid: exited" "iommu\n" \
	--step "vatra> " "caps\n" \
	--step "vatra> " "poweroff\n" -- \
	"$TOP/tools/run-qemu" --test "$W/bad.img" \
	-acpitable sig=DMAR,rev=1,oem_id=VATRA,data="$W/dmar.bin"
st=$?
L=$W/bad.log
check "bad DMAR: powers off from the shell" status_is $st 0
check "bad DMAR: refused, naming the scope and its length" \
	has "$L" "^error: iommu: DMAR: DRHD at offset 48: device scope at offset 64 has bad length 10; device passthrough unavailable, everything else runs"
check "bad DMAR: caps says the IOMMU is unusable and why" \
	has "$L" "^caps: iommu +Intel VT-d \(DMAR, 1 unit\(s\)\): unusable: table refused: DMAR: DRHD at offset 48"
check "bad DMAR: iommu says there is none and why" has "$L" "^iommu: none: table refused: DMAR: DRHD"
check "bad DMAR: the self-test finds no IOMMU" has "$L" "^warning: iommu selftest: no IOMMU"
check "bad DMAR: the partition ran" has "$L" "^partition cpuid: exited with status 0"
