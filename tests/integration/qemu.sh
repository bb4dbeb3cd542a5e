#!/usr/bin/env bash
# QEMU tier: boots vatra images under QEMU (TCG, AMD SVM + NPT, OVMF) and
# checks what the serial console shows and how the run ended.
set -u
. "$(dirname "$0")/../lib.sh"
W=$B/itest/qemu
mkdir -p "$W"
EFI=$B/vatra.efi
VMRUN=$TOP/tests/integration/vmrun.py
export VATRA_ACCEL=${VATRA_ACCEL:-tcg}

image() { # NAME CFG [mkimage args...]
	local n=$1 c=$2
	shift 2
	"$TOP/tools/mkimage" -e "$EFI" -c "$c" -o "$W/$n.img" "$@" >/dev/null
}
boot() { # NAME TIMEOUT [--usb|--smp N] [QEMU ARGS...] [-- vmrun steps...]
	local n=$1 t=$2
	shift 2
	local ro=() qa=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		case $1 in
		--usb) ro+=("$1") ;;
		--smp) ro+=("$1" "$2"); shift ;;
		*) qa+=("$1") ;;
		esac
		shift
	done
	[ $# -gt 0 ] && shift
	"$VMRUN" --log "$W/$n.log" --timeout "$t" "$@" -- \
		"$TOP/tools/run-qemu" --test "${ro[@]}" "$W/$n.img" "${qa[@]}"
}

echo "--- mkimage refuses what it cannot build, with a clear error"
mk() { "$TOP/tools/mkimage" -e "$EFI" "$@" 2>&1 >/dev/null; }
rm -f "$W/x.img"
printf '[vatra]\n' >"$W/min.cfg"
check "mkimage: missing config named" eval 'mk -c "$W/nope.cfg" -o "$W/x.img" | grep -q "config .*nope.cfg not found"'
check "mkimage: missing guest file named" eval 'mk -c "$W/min.cfg" -o "$W/x.img" -f "$W/nofile:/g/k" | grep -q "file .*nofile not found"'
check "mkimage: ESP path must be absolute" eval 'mk -c "$W/min.cfg" -o "$W/x.img" -f "$W/min.cfg:g/k" | grep -q "must start with /"'
head -c 3000000 /dev/zero >"$W/big.bin"
check "mkimage: image too small refused" eval 'mk -c "$W/min.cfg" -o "$W/x.img" -s 3 -f "$W/big.bin:/g/big" | grep -q "image too small"'
check "mkimage: nothing left behind on failure" eval 'test ! -e "$W/x.img" && test ! -e "$W/x.img.tmp"'
check "mkimage: guest file lands on the ESP" eval '"$TOP/tools/mkimage" -e "$EFI" -c "$W/min.cfg" -o "$W/x.img" -f "$W/big.bin:/guests/sub/big.bin" >/dev/null && MTOOLS_SKIP_CHECK=1 mdir -i "$W/x.img@@1048576" ::/guests/sub | grep -qi "big.*bin.*3000000"'

echo "--- boot from a disk, Intel IOMMU and NICs present: banner, caps, memory, ACPI, W^X, PCI, vectors"
mkcfg "$W/good.cfg" "[vatra]" "console = com1,115200" "log_level = info" \
	"on_all_stopped = exit" "selftest = yes"
mkcfg "$W/goodsh.cfg" "[vatra]" "console = com1,115200" "log_level = info" \
	"on_all_stopped = shell" "selftest = yes"
image good "$W/goodsh.cfg"
image goodexit "$W/good.cfg"
# An e1000 and a virtio-net on the root bus, and a modern-only virtio-net
# behind a PCIe root port (on its secondary bus, 1).
boot good 120 --smp 2 -device intel-iommu -device e1000 -device virtio-net-pci \
	-device pcie-root-port,id=rp1,chassis=1 -device virtio-net-pci,bus=rp1,disable-legacy=on -- \
	--step "vatra> " "pci\n" \
	--step "vatra> " "caps\n" \
	--step "vatra> " "poweroff\n"; st=$?
L=$W/good.log
check "disk: powers off from the shell" status_is $st 0
check "disk: loader runs and leaves boot services" has "$L" "vatra loader: core [0-9]+ KiB at 0x[0-9a-f]+, RSDP 0x[0-9a-f]+"
check "disk: the loader was started from the SATA disk, not USB" \
	has "$L" "^vatra loader: boot device Acpi/Pci\(0x[0-9a-f]+,0x[0-9a-f]+\)/Sata\([0-9]+\)/HD\(1\)$"
check "disk: banner" has "$L" "^Vatra [0-9.]+ - bare-metal hypervisor"
check "disk: config read" has "$L" "^vatra.cfg: [0-9]+ bytes, 0 partition\(s\), 0 error\(s\)"
check "disk: caps reports AMD-V" has "$L" "^caps: virt +AMD-V \(SVM rev 1\)$"
check "disk: caps reports NPT" has "$L" "^caps: npt +yes"
check "disk: caps reports 16 ASIDs" has "$L" "^caps: asids +16"
check "disk: caps reports missing NRIP save" has "$L" "^caps: nrip-save +no"
check "disk: caps reports missing decode assists" has "$L" "^caps: decode +no"
check "disk: caps reports the Intel IOMMU" has "$L" "^caps: iommu +Intel VT-d \(DMAR, 1 unit"
check "disk: memory map summary" has "$L" "^mem: [0-9]+ regions: free [0-9]+ MiB"
check "disk: allocator has ~2 GiB" has "$L" "^mem: allocator manages (19|20)[0-9]{2} MiB"
check "disk: ACPI root table" has "$L" "^acpi: RSDP rev 2, XSDT"
for t in FACP APIC MCFG DMAR DSDT; do
	check "disk: ACPI table $t listed" has "$L" "^acpi: table $t at 0x[0-9a-f]+, [0-9]+ bytes"
done
check "disk: MADT lists 2 CPUs and an IOAPIC" has "$L" "^acpi: 2 CPU\(s\), 1 IOAPIC\(s\), LAPIC at 0xfee00000"
check "disk: FADT power-off and reset found" has "$L" "^acpi: power-off via PM1 control \(S5\), reset via FADT"
check "disk: W^X page tables on" has "$L" "^mmu: W\^X page tables on \(nx on, wp on"
check "disk: 8 protection probes fault" count "$L" "^selftest: .* faults \(#PF" 8
check "disk: write to text faults as a write" has "$L" "^selftest: write to text +faults \(#PF, error 0x3\)"
check "disk: execute data faults as a fetch" has "$L" "^selftest: execute data +faults \(#PF, error 0x11\)"
check "disk: W^X self-test verdict" has "$L" "^selftest: W\^X and guard pages hold"
check "disk: reaches ready" has "$L" "^vatra: ready"
check "disk: no errors or panics" hasnt "$L" "^(error|PANIC)"
# The expected BAR sizes were read from QEMU 7.2's `info pci` for this
# machine (q35, OVMF, the devices above): e1000 BAR0 mem32 128K, BAR1 io
# 64; virtio-net BAR0 io 32, BAR1 mem32 4K, BAR4 mem64 pref 16K; the root
# port BAR0 mem32 4K, secondary bus 1; behind it the modern virtio-net
# BAR1 mem32 4K, BAR4 mem64 pref 16K.
pci_block() { # LOG BDF OUT: the report's lines of one function
	tr -d '\r' <"$1" | awk -v bdf="$2" '
		/^ *[0-9a-f]+:[0-9a-f]+:[0-9a-f]+\.[0-7] / { on = ($1 == bdf) }
		/^(pci|vatra>)/ { on = 0 }
		on' >"$3"
}
check "pci: enumerated at boot through ECAM" has "$L" "^pci: 8 function\(s\) on 2 bus\(es\) of 1 segment\(s\) through ECAM$"
pci_block "$L" 0000:00:01.0 "$W/pci-e1000.txt"
P=$W/pci-e1000.txt
check "pci: e1000 listed" has "$P" "^0000:00:01.0 8086:100e Ethernet controller +free$"
check "pci: e1000 BAR0 mem32 128K" has "$P" "^    BAR0 mem32 0x[0-9a-f]+ 128K$"
check "pci: e1000 BAR1 io 64" has "$P" "^    BAR1 io 0x[0-9a-f]+ 64$"
check "pci: e1000 has two BARs" count "$P" "^ +BAR[0-9] " 2
pci_block "$L" 0000:00:02.0 "$W/pci-virtio.txt"
P=$W/pci-virtio.txt
check "pci: virtio-net listed" has "$P" "^0000:00:02.0 1af4:1000 Ethernet controller +free$"
check "pci: virtio-net BAR0 io 32" has "$P" "^    BAR0 io 0x[0-9a-f]+ 32$"
check "pci: virtio-net BAR1 mem32 4K" has "$P" "^    BAR1 mem32 0x[0-9a-f]+ 4K$"
check "pci: virtio-net BAR4 mem64 pref 16K" has "$P" "^    BAR4 mem64 pref 0x[0-9a-f]+ 16K$"
check "pci: virtio-net MSI-X and its vendor caps" has "$P" "caps: MSI-X\(4 table BAR1\+0x0 pba BAR1\+0x800\) vendor"
pci_block "$L" 0000:00:03.0 "$W/pci-rp.txt"
P=$W/pci-rp.txt
check "pci: root port listed" has "$P" "^0000:00:03.0 1b36:000c PCI bridge +free$"
check "pci: root port leads to bus 1, its windows open" has "$P" "^    buses 01-01  io 0x[0-9a-f]+-0x[0-9a-f]*fff  mem 0x[0-9a-f]+-0x[0-9a-f]*fffff  pref 0x[0-9a-f]+-0x[0-9a-f]*fffff$"
check "pci: root port BAR0 mem32 4K" has "$P" "^    BAR0 mem32 0x[0-9a-f]+ 4K$"
check "pci: root port PCIe caps" has "$P" "caps: PCIe\(root-port\) MSI-X"
check "pci: root port extended caps" has "$P" "^    ext: AER ACS$"
pci_block "$L" 0000:01:00.0 "$W/pci-behind.txt"
P=$W/pci-behind.txt
check "pci: virtio-net found behind the root port" has "$P" "^  0000:01:00.0 1af4:1041 Ethernet controller +free$"
check "pci: it has no legacy I/O BAR" count "$P" "^ +BAR[0-9] " 2
check "pci: its BAR1 mem32 4K" has "$P" "^      BAR1 mem32 0x[0-9a-f]+ 4K$"
check "pci: its BAR4 mem64 pref 16K" has "$P" "^      BAR4 mem64 pref 0x[0-9a-f]+ 16K$"
check "pci: its caps, FLR from PCIe" has "$P" "caps: MSI-X\(4 .* PM PCIe\(endpoint\) FLR$"
# in_window BAR WINDOW: the root port forwards the address of a BAR of
# the function behind it.
in_window() {
	local a w lo hi
	a=$(awk -v b="$1" '$1 == b { print $3 == "pref" ? $4 : $3 }' "$W/pci-behind.txt")
	w=$(grep -oE " $2 0x[0-9a-f]+-0x[0-9a-f]+" "$W/pci-rp.txt" | awk '{ print $2 }')
	lo=${w%-*} hi=${w#*-}
	[ -n "$a" ] && [ -n "$w" ] && (( a >= lo && a <= hi ))
}
check "pci: its BAR1 lies in the root port's memory window" in_window BAR1 mem
check "pci: its BAR4 lies in the root port's prefetchable window" in_window BAR4 pref
check "pci: no malformed config space" hasnt "$L" "^(warning: )?pci: [0-9a-f]{4}:"
check "vectors: a self-IPI reaches an allocated vector" has "$L" "^selftest: vector 0x30: a self-IPI ran its handler; freed, the next came as unexpected$"
check "vectors: the self-test's deliberate stray is counted, not warned about" count "$L" "unexpected interrupt on vector 0x30" 0
# One vector is the VT-d fault event's.
check "vectors: caps shows the table" has "$L" "^vectors: 0x30-0xef for drivers, 1 in use, 191 free; spurious [0-9]+, unexpected 1$"
check "vectors: the VT-d fault event has its vector" has "$L" "^vectors: 0x[0-9a-f]+ vt-d fault +allocated"
check "vectors: the LAPIC timer has fired" has "$L" "^vectors: 0x20 lapic-timer +fixed +[1-9][0-9]*$"
check "vectors: the kick vector is the hypervisor's" has "$L" "^vectors: 0xf2 kick +fixed"

echo "--- the same image as a USB stick, AMD IOMMU present"
cp "$W/goodexit.img" "$W/usb.img"
boot usb 120 --usb -device amd-iommu; st=$?
L=$W/usb.log
check "usb: exits with status 0" status_is $st 1
# The loader names the device path it was started from: a USB node
# between the controller and the partition only on a USB boot.
check "usb: the loader was started from the USB stick" \
	has "$L" "^vatra loader: boot device Acpi/Pci\(0x[0-9a-f]+,0x[0-9a-f]+\)/USB\([0-9]+,[0-9]+\)/HD\(1\)$"
check "usb: banner" has "$L" "^Vatra [0-9.]+ - bare-metal hypervisor"
check "usb: caps reports the AMD IOMMU" has "$L" "^caps: iommu +AMD-Vi \(IVRS, [1-9]"
check "usb: reaches ready" has "$L" "^vatra: ready"

echo "--- a corrupt vatra.cfg: line-numbered errors, the valid rest applies"
mkcfg "$W/badcfg.cfg" \
	"# a configuration with mistakes in it" \
	"[vatra]" \
	"log_level = debug" \
	"consol = com1" \
	"on_all_stopped = exit" \
	"this line has no equals sign" \
	"[weird]" \
	"foo = bar" \
	"[partition ok]" \
	"kernel = /guests/missing.bin" \
	"memory = lots" \
	"[vatra]" \
	"selftest = maybe"
image badcfg "$W/badcfg.cfg"
boot badcfg 120; st=$?
L=$W/badcfg.log
check "badcfg: exits with the failed partition's status" status_is $st 255
check "badcfg: error count reported" has "$L" "^vatra.cfg: [0-9]+ bytes, 1 partition\(s\), 5 error\(s\)"
check "badcfg: unknown key on line 4" has "$L" "^error: vatra.cfg:4: .*consol"
check "badcfg: malformed line 6" has "$L" "^error: vatra.cfg:6: "
check "badcfg: unknown section on line 7" has "$L" "^error: vatra.cfg:7: .*weird"
check "badcfg: bad size on line 11" has "$L" "^error: vatra.cfg:11: .*lots"
check "badcfg: bad boolean on line 13" has "$L" "^error: vatra.cfg:13: .*maybe"
check "badcfg: valid log_level applied" has "$L" "^config: console 0x3f8,115200 log_level debug"
check "badcfg: missing guest file reported" has "$L" "^error: file /guests/missing.bin: not loaded \(ENOENT\)"
check "badcfg: invalid partition reported, not started" has "$L" "^error: partition ok: not started: its section in vatra.cfg \(line 9\) has errors"
check "badcfg: reaches ready" has "$L" "^vatra: ready"

echo "--- a corrupt ACPI table from the firmware is reported, not trusted"
# A DMAR whose first remapping structure claims length 0.
printf '\x26\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0' >"$W/dmar.bin"
cp "$W/goodexit.img" "$W/badacpi.img"
boot badacpi 120 -acpitable sig=DMAR,rev=1,oem_id=VATRA,data="$W/dmar.bin"; st=$?
L=$W/badacpi.log
check "badacpi: exits with status 0" status_is $st 1
check "badacpi: the DMAR table is listed" has "$L" "^acpi: table DMAR"
check "badacpi: the bad entry is named" has "$L" "^error: acpi: DMAR.*length 0.*\(table not trusted\)"
check "badacpi: reaches ready" has "$L" "^vatra: ready"

# The demo image (make run) and the shell are driven from a terminal in
# the terminal tier (tests/integration/terminal.sh).

echo "--- an unexpected exception in the hypervisor: full register dump, clean stop"
mkcfg "$W/trap.cfg" "[vatra]" "on_all_stopped = exit" "selftest = trap"
image trap "$W/trap.cfg"
boot trap 120; st=$?
L=$W/trap.log
check "trap: stops with the fatal status 0x7f" status_is $st 255
check "trap: names the exception" has "$L" "^error: hypervisor exception 6 \(#UD invalid opcode\)"
for r in "RIP [0-9a-f]{16} CS 0008" "RSP [0-9a-f]{16} SS 0010 CR2" "RAX [0-9a-f]{16} RBX" "R13 [0-9a-f]{16} R14 .* CR4"; do
	check "trap: dump has ${r%% *}" has "$L" "^error:   $r"
done
check "trap: panic says where" has "$L" "^error: PANIC at arch/x86/trap.c:[0-9]+: unexpected exception"
check "trap: never reaches ready" hasnt "$L" "^vatra: ready"

echo "--- guest test kernels under SVM + NPT, all partitions in one boot; then the shell's stats"
# The devices kernel times its device clocks: it runs on its own below,
# not time-shared with a dozen partitions.
GUEST_DEVICES=
. "$TOP/tests/integration/guests.sh"
GUEST_SPINNER=1 guest_suite_image "$W/guests.img" "on_all_stopped = shell"
boot guests 400 -- \
	--step "partition exitloop: exited" "destroy spin\n" \
	--step "vatra: all partitions stopped" "stats\n" \
	--step "vatra> " "stats cpuid\n" \
	--step "vatra> " "stats nosuch\n" \
	--step "vatra> " "destroy nosuch\n" \
	--step "vatra> " "destroy cpuid\n" \
	--step "vatra> " "info cpuid\n" \
	--step "vatra> " "start cpuid\n" \
	--step "partition cpuid: exited" "cpus\n" \
	--step "vatra> " "pci\n" \
	--step "vatra> " "pause cpuid\n" \
	--step "vatra> " "resume cpuid\n" \
	--step "vatra> " "list\n" \
	--step "vatra> " "poweroff\n"; st=$?
L=$W/guests.log
guest_suite_check qemu "$L"
# TCG reads LS_CFG (family 17h's SSBD) as every unknown MSR, 0: bare
# Linux takes it for LS_CFG SSBD, so guests get VIRT_SPEC_CTRL on it.
check "spec: VIRT_SPEC_CTRL offered on LS_CFG, nothing else (TCG's EPYC)" has "$L" \
	"^vmm: guest speculation controls: SPEC_CTRL 0x0, IBPB no, VIRT_SPEC_CTRL on LS_CFG$"
check "spec: the msr kernel sees VIRT_SSBD and no SPEC_CTRL or IBPB" has "$L" \
	"^\[msr\] msr: speculation controls offered: SPEC_CTRL 0x0, IBPB no, VIRT_SSBD yes$"
check "spec: VIRT_SPEC_CTRL keeps SSBD across exits" has "$L" \
	"^\[msr\] msr: VIRT_SPEC_CTRL: SSBD set across 100 exits, reads 0x4$"
check "guests: poweroff after the suite" status_is $st 0
check "stats: per-vCPU exit totals" has "$L" "^  vCPU 0 on CPU [0-9]+: [0-9]+ exits, [0-9]+ Mcycles run"
# The first stats block of partition P: "total" then "reason count" lines.
stats_block() { # LOG P
	tr -d '\r' <"$1" | awk -v p="$2" '
		prev ~ "^partition " p ": " && /^  vCPU 0 on CPU/ { on = 1; print "total", $6; prev = $0; next }
		on && /^    [a-z]/ { print $1, $2; prev = $0; next }
		on { exit }
		{ prev = $0 }'
}
# stats_agrees LOG P REASON...: each reason's count in P's stats is
# non-zero and equal to the count printed when P stopped, and the reasons
# add up to the vCPU's exit total.
stats_agrees() {
	local log=$1 p=$2 r got stop
	shift 2
	local blk
	blk=$(stats_block "$log" "$p")
	[ -n "$blk" ] || return 1
	for r in "$@"; do
		got=$(awk -v r="$r" '$1 == r { print $2 }' <<<"$blk")
		stop=$(tr -d '\r' <"$log" | grep -m1 -E "^partition $p: exits by reason:" |
			grep -oE "(: |, )$r [0-9]+" | grep -oE "[0-9]+$")
		[ -n "$got" ] && [ "$got" -gt 0 ] && [ "$got" = "$stop" ] || return 1
	done
	awk '$1 == "total" { t = $2; next } { s += $2 } END { exit !(t > 0 && s == t) }' <<<"$blk"
}
check "stats: per-reason counts (cpuid) are the guest's, non-zero, adding up" stats_agrees "$L" cpuid cpuid io
check "stats: per-reason counts (mmio) are the guest's, non-zero, adding up" stats_agrees "$L" mmio mmio io
check "stats: unmapped = ignore accesses counted (oobi)" \
	has "$L" "^    unmapped: 7 reads \(all ones\), 3 writes \(dropped\)$"
check "stats: unknown partition refused" has "$L" "^error: no partition named 'nosuch'"
check "spin: a guest that never exits was running" has "$L" "^\[spin\] spin: looping without exits"
check "spin: preempted, so the others finished beside it" has "$L" "^partition exitloop: exited with status 0"
check "spin: destroyed by the operator" has "$L" "^partition spin: destroyed by the operator"
check "destroy: an unknown partition is refused" count "$L" "^error: no partition named 'nosuch'" 2
check "destroy: a stopped partition is refused" has "$L" "^error: partition cpuid is not running"
check "info: shows the partition" has "$L" "^  kernel   /guests/cpuid.elf"
check "info: shows why it stopped" has "$L" "^  stopped  exited with status 0 \(debug-exit\)"
check "start: a stopped partition runs again" count "$L" "^partition cpuid: started" 2
check "start: and passes again" count "$L" "^\[cpuid\] PASS: " 2
if ! count "$L" "^partition cpuid: started" 2 || ! count "$L" "^\[cpuid\] PASS: " 2; then
	# What the restart printed, for a failure seen only elsewhere.
	echo "  the log from 'start cpuid' on:"
	tr -d '\r' <"$L" | grep -n -A16 "start cpuid" | sed 's/^/    /'
	tr -d '\r' <"$L" | grep -nE "^partition cpuid: |^\[cpuid\] (PASS|FAIL)" | sed 's/^/    /'
fi
check "cpus: lists the boot CPU" has "$L" "^cpu 0: apic id 0, online, boot CPU \\(shell\\)"
check "cpus: the second CPU is online" has "$L" "^cpu 1: apic id 1, online, [0-9]+ vCPU"
check "smp: both CPUs of -smp 2 come up" has "$L" "^smp: 2 of 2 CPU\\(s\\) online"
check "pci: lists the host bridge" has "$L" "^0000:00:00.0 8086:29c0 Host bridge +free$"
check "pause: refused on a stopped partition" count "$L" "^error: partition cpuid is not running" 3
check "list: shows stopped partitions" has "$L" "^triple +stopped +1 +16M  stopped: triple fault"

echo "--- debug registers, #DB/#AC reflected in loops, a partition INIT-ing itself, XSAVE state, NMIs"
GUEST_NMI_BUTTON=1 GUEST_DBG_FLAGS="no_bp no_ac no_icebp" guest_dbg_image "$W/dbg.img" "on_all_stopped = exit"
boot dbg 240 -- --step "\[nmi\] nmi: waiting for the NMI button" "nmi nmi\n"
guest_dbg_check qemu "$W/dbg.log"
check "nmi: the shell's nmi presses the partition's NMI button" has "$W/dbg.log" \
	"^partition nmi: NMI button pressed: 1 of 1 vCPU\(s\) took it on LINT1$"
check "nmi: the guest takes it on LINT1" has "$W/dbg.log" "^\[nmi\] nmi: the NMI button arrived on LINT1$"

echo "--- an unmodified Debian Linux kernel in a 2-vCPU, 256 MiB partition"
. "$TOP/tests/integration/linux.sh"
linux_artifacts
bare=$(linux_bare_memtotal)
linux_image "$W/linux.img" 2 "on_all_stopped = exit"
cp "$W/linux.img" "$W/linuxrun.img"
boot linuxrun 300; st=$?
linux_check qemu "$W/linuxrun.log" 2 "$bare"
check "qemu: the partition's status reaches the exit device" status_is $st 1
check "qemu: TSC calibrated from the PM timer" has "$W/linuxrun.log" "^\[linux\] .*tsc: Detected [0-9.]+ MHz"

echo "--- the same Linux partition on QEMU's -cpu max, compared with the same kernel bare on it"
bare=$(VATRA_QEMU_CPU=max linux_bare_memtotal)
cp "$W/linux.img" "$W/linuxmax.img"
VATRA_QEMU_CPU=max boot linuxmax 300
linux_check qemu-max "$W/linuxmax.log" 2 "$bare"
check "qemu-max: Linux runs with 5-level paging, as bare on max" has "$W/linuxmax.log" \
	"^\[linux\] VATRA-INIT: address sizes : [0-9]+ bits physical, 57 bits virtual"

echo "--- -cpu max: 5-level paging (la57), and the msr, features and xsave kernels"
mkcfg "$W/max.cfg" "[vatra]" "on_all_stopped = exit"
for k in la57 msr features; do
	printf '[partition %s]\nkernel = /guests/%s.elf\nmemory = 16M\ndebug_exit = yes\ncmdline = name=%s\n' \
		"$k" "$k" "$k" >>"$W/max.cfg"
done
# xsave keeps its vector registers while a scribbler on its CPU writes them.
printf '[partition xsave]\nkernel = /guests/xsave.elf\nmemory = 16M\ndebug_exit = yes\ncpus = 0\ncmdline = name=xsave\n' >>"$W/max.cfg"
printf '[partition scribble]\nkernel = /guests/xsave.elf\nmemory = 16M\ndebug_exit = yes\ncpus = 0\ncmdline = name=scribble role=scribble seconds=3\n' >>"$W/max.cfg"
image max "$W/max.cfg" -f "$B/guests/la57.elf:/guests/la57.elf" -f "$B/guests/xsave.elf:/guests/xsave.elf" \
	-f "$B/guests/msr.elf:/guests/msr.elf" -f "$B/guests/features.elf:/guests/features.elf"
VATRA_QEMU_CPU=max boot max 120
L=$W/max.log
check "max: YMM registers survive preemption by a partition writing them" \
	has "$L" "^\[xsave\] xsave: preempted [1-9][0-9]* times, YMM0-15(, ZMM16 and k1)?(, PKRU)? changed 0 times"
for k in la57 msr features xsave scribble; do
	check "max: $k passes" has "$L" "^\[$k\] PASS: [0-9]+ checks"
	check "max: $k exits with status 0" has "$L" "^partition $k: exited with status 0"
done
check "max: LA57 offered (TCG has it)" has "$L" "^\[la57\] la57: CPUID 7.0 ECX\[16\] offered$"
check "max: the guest runs with 5-level paging under NPT" has "$L" "^\[la57\] la57: 5-level paging on: CR4 0x[0-9a-f]*[13579bdf][0-9a-f]{3},"
check "max: CR4.LA57 cannot change in IA-32e mode" has "$L" "^\[la57\] la57: clearing CR4.LA57 in IA-32e mode: #GP$"
check "max: MMIO through a 5-level mapping" has "$L" "^\[la57\] la57: LAPIC version 0x([0-9a-f]+), through the alias 0x\1$"
check "max: REP OUTSB emulated through a 5-level mapping" has "$L" \
	"^\[la57\] la57: this line went out by REP OUTSB through a 5-level mapping$"
check "max: the emulator's walk faults where the PML5 entry is absent" has "$L" \
	"^\[la57\] la57: REP OUTSB from 0x2000000[0-9a-f]{6}: #PF, error 0x0, CR2 0x2000000[0-9a-f]{6}$"
check "max: the emulator takes 57-bit canonical addresses" has "$L" \
	"^\[la57\] la57: REP OUTSB from 0x100000000[0-9a-f]{6} \(not canonical in 57 bits\): #GP\(0\)$"

echo "--- partitions side by side on 4 CPUs: three Linux guests (1, 1 and 2 vCPUs), stop one, start it again"
# alpha boots the kernel with syssize rounded up past the end of the file.
linux_syssize_past_end "$LINUX_KERNEL" "$W/vmlinuz-sys"
mkcfg "$W/smp.cfg" "[vatra]" "on_all_stopped = shell" \
	"[partition alpha]" "kernel = /guests/vmlinuz-sys" "initrd = /guests/initrd.gz" \
	"cmdline = console=ttyS0 vatra.demo" "memory = 160M" \
	"[partition beta]" "kernel = /guests/vmlinuz" "initrd = /guests/initrd.gz" \
	"cmdline = console=ttyS0 vatra.demo" "memory = 192M" \
	"[partition gamma]" "kernel = /guests/vmlinuz" "initrd = /guests/initrd.gz" \
	"cmdline = console=ttyS0 vatra.demo" "memory = 256M" "vcpus = 2"
image smp "$W/smp.cfg" -f "$LINUX_KERNEL:/guests/vmlinuz" -f "$LINUX_INITRD:/guests/initrd.gz" \
	-f "$W/vmlinuz-sys:/guests/vmlinuz-sys"
boot smp 400 --smp 4 -- \
	--step "@seen \[alpha\] Vatra demo partition" "" \
	--step "@seen \[beta\] Vatra demo partition" "" \
	--step "@seen \[gamma\] Vatra demo partition" "cpus\n" \
	--step "cpu 0: apic id" "list\n" \
	--step "NAME +STATE" "destroy beta\n" \
	--step "destroyed by the operator" "list\n" \
	--step "beta +stopped" "start beta\n" \
	--step "\[beta\] Vatra demo partition" "list\n" \
	--step "beta +running" "poweroff\n"; st=$?
L=$W/smp.log
check "smp: the four CPUs of -smp 4 come up" has "$L" "^smp: 4 of 4 CPU\\(s\\) online"
mt() { tr -d '\r' <"$L" | sed -n "s/^\[$1\] Vatra demo partition: \([0-9]*\) CPU(s), MemTotal: \([0-9]*\) kB/\1 \2/p" | head -1; }
read -r a_cpus a_mem < <(mt alpha)
read -r b_cpus b_mem < <(mt beta)
read -r g_cpus g_mem < <(mt gamma)
check "smp: alpha, beta and gamma see 1, 1 and 2 CPUs (${a_cpus:-?} ${b_cpus:-?} ${g_cpus:-?})" \
	eval "[ '${a_cpus:-}' = 1 ] && [ '${b_cpus:-}' = 1 ] && [ '${g_cpus:-}' = 2 ]"
check "smp: each sees its own memory, 160M < 192M < 256M (${a_mem:-?} ${b_mem:-?} ${g_mem:-?} kB)" \
	eval "[ -n '${a_mem:-}' ] && [ -n '${b_mem:-}' ] && [ -n '${g_mem:-}' ] && [ ${a_mem:-0} -lt ${b_mem:-0} ] && [ ${b_mem:-0} -lt ${g_mem:-0} ] && [ ${g_mem:-0} -gt 200000 ]"
check "smp: a bzImage whose syssize runs past the end of the file reaches /init (alpha)" \
	has "$L" "^\[alpha\] Vatra demo partition: 1 CPU"
check "smp: the vCPUs are spread over the CPUs" has "$L" "^cpu 3: apic id 3, online, 1 vCPU"
check "smp: beta stopped, the others still run" \
	eval "tr -d '\r' <'$L' | sed -n '/destroyed by the operator/,\$p' | grep -A4 '^NAME' | head -5 | grep -Eq '^alpha +running' && tr -d '\r' <'$L' | sed -n '/destroyed by the operator/,\$p' | grep -A4 '^NAME' | head -5 | grep -Eq '^gamma +running +2'"
check "smp: beta is listed as stopped" has "$L" "^beta +stopped +1 +192M  destroyed by the operator"
check "smp: beta boots again after start" count "$L" "^\[beta\] Vatra demo partition: 1 CPU" 2
check "smp: all three run at the end" \
	eval "tr -d '\r' <'$L' | tail -20 | grep -Eq '^beta +running' && tr -d '\r' <'$L' | tail -20 | grep -Eq '^alpha +running'"
check "smp: poweroff at the end" status_is $st 0

echo "--- time slicing: two busy partitions pinned to CPU 1 with weights 2:1"
mkcfg "$W/weights.cfg" "[vatra]" "on_all_stopped = shell" \
	"[partition heavy]" "kernel = /guests/spin.elf" "memory = 16M" "cpus = 1" "weight = 512" \
	"[partition light]" "kernel = /guests/spin.elf" "memory = 16M" "cpus = 1" "weight = 256" \
	"[partition capped]" "kernel = /guests/spin.elf" "memory = 16M" "cpus = 0" "cap = 25" \
	"[partition nocpu]" "kernel = /guests/spin.elf" "memory = 16M" "cpus = 7" \
	"[partition ded]" "kernel = /guests/spin.elf" "memory = 16M" "cpus = 1" "dedicated = yes" \
	"[partition huge]" "kernel = /guests/spin.elf" "memory = 64G" \
	"[partition nofile]" "kernel = /guests/nothere.elf" "memory = 16M"
image weights "$W/weights.cfg" -f "$B/guests/spin.elf:/guests/spin.elf"
boot weights 200 -- \
	--step "@seen \[light\] spin: looping" "" \
	--step "@seen \[heavy\] spin: looping" "" \
	--step "@seen \[capped\] spin: looping" "" \
	--step "@sleep 1" "stats\n" \
	--step "capped: running" "" \
	--step "@sleep 4" "stats\n" \
	--step "capped: running" "cpus\n" \
	--step "cpu 1: apic" "poweroff\n"; st=$?
L=$W/weights.log
# Mcycles of each partition's vCPU 0 in the first and the second stats.
mc() { tr -d '\r' <"$L" | awk -v p="$1" '/^partition /{cur=$2} /^  vCPU 0 on CPU/ && cur==p":" {for(i=1;i<=NF;i++) if($i=="Mcycles") print $(i-1)}'; }
read -r h1 h2 < <(mc heavy | tr '\n' ' ')
read -r l1 l2 < <(mc light | tr '\n' ' ')
read -r c1 c2 < <(mc capped | tr '\n' ' ')
ratio=$(awk -v a="$(( ${h2:-0} - ${h1:-0} ))" -v b="$(( ${l2:-0} - ${l1:-0} ))" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "0" }')
check "weights: heavy gets 2x light's CPU time within 10% (measured ${ratio}x)" \
	awk -v r="$ratio" 'BEGIN{exit !(r >= 1.8 && r <= 2.2)}'
share=$(awk -v c="$(( ${c2:-0} - ${c1:-0} ))" -v h="$(( ${h2:-0} - ${h1:-0} ))" -v l="$(( ${l2:-0} - ${l1:-0} ))" 'BEGIN{ if (h + l > 0) printf "%.2f", c / (h + l); else print "0" }')
check "cap: a 25% capped partition alone on CPU 0 gets about a quarter of a CPU (${share} of CPU 1's time)" \
	awk -v r="$share" 'BEGIN{exit !(r >= 0.2 && r <= 0.3)}'
check "weights: stats shows the weights" has "$L" "^  vCPU 0 on CPU 1: [0-9]+ exits, [0-9]+ Mcycles run, weight 512"
check "cpus: a CPU that is not there is refused at start" has "$L" "^error: partition nocpu: not started: cpus = names CPU 7, which is not online \\(CPUs 0-1 are\\)"
check "cpus: a dedicated CPU that another partition uses is a config error" has "$L" "^error: vatra.cfg:[0-9]+: CPU 1 is shared with partition 'heavy' \\(line [0-9]+\\): a dedicated CPU cannot be shared"
check "cpus: the refused partition is not started" has "$L" "^error: partition ded: not started: its section in vatra.cfg"
check "memory: a partition that does not fit is refused before anything starts" \
	eval "tr -d '\r' <'$L' | grep -nE '^error: partition huge \\(vatra.cfg line [0-9]+\\): its 65536 MiB of memory do not fit|^partition heavy: started' | head -1 | grep -q huge"
check "files: a partition whose kernel is missing is named with its line before anything starts" \
	has "$L" "^error: partition nofile \\(vatra.cfg line [0-9]+\\): kernel /guests/nothere.elf was not loaded from the ESP"
check "memory: and says so when its start is refused" has "$L" "^error: partition huge: not started: its 65536 MiB of memory do not fit"

echo "--- console multiplexing: attach, type, detach with Ctrl-A x3, replay"
mkcfg "$W/console.cfg" "[vatra]" "on_all_stopped = shell" \
	"[partition echo]" "kernel = /guests/echo.elf" "memory = 16M" "debug_exit = yes" \
	"[partition cpuid]" "kernel = /guests/cpuid.elf" "memory = 16M" "debug_exit = yes"
image console "$W/console.cfg" -f "$B/guests/echo.elf:/guests/echo.elf" \
	-f "$B/guests/cpuid.elf:/guests/cpuid.elf"
boot console 200 -- \
	--step "partition cpuid: exited" "console echo\n" \
	--step "attached to echo" "hello vatra\n" \
	--step "echo: got hello vatra" "\x01\x01\x01" \
	--step "detached from echo" "pause echo\n" \
	--step "paused" "list\n" \
	--step "vatra> " "resume echo\n" \
	--step "resumed" "info echo\n" \
	--step "uptime" "console nosuch\n" \
	--step "vatra> " "console echo\n" \
	--step "echo: tick 8" "quit\n" \
	--step "partition echo: exited" "info\n" \
	--step "takes a partition name" "stats echo cpuid\n" \
	--step "takes at most one argument" "resume echo\n" \
	--step "is not running" "help\n" \
	--step "power the machine off[^\n]*\n" "poweroff\n"; st=$?
L=$W/console.log
check "console: attach announced" has "$L" "^\[attached to echo: Ctrl-A three times returns to the shell\]"
check "console: the replay shows what came before attaching" \
	eval "tr -d '\r' <'$L' | sed -n '/attached to echo/,\$p' | grep -q '^echo: ready'"
check "console: raw output while attached (no prefix)" has "$L" "^echo: got hello vatra$"
check "console: Ctrl-A x3 detaches" has "$L" "^\[detached from echo\]"
check "console: prefixed output again once detached" has "$L" "^\[echo\] echo: tick"
check "console: bad partition refused" has "$L" "^error: no partition named 'nosuch'"
check "pause: a running partition pauses" has "$L" "^partition echo: paused"
check "pause: list shows it paused" has "$L" "^echo +paused +1 +16M"
check "resume: it runs again" has "$L" "^partition echo: resumed"
check "info: a running partition has an uptime" has "$L" "^  uptime   [0-9]{2}:[0-9]{2}:[0-9]{2}"
check "console: second attach replays output made while detached" \
	eval "tr -d '\r' <'$L' | sed -n '/detached from echo/,\$p' | sed -n '/attached to echo/,\$p' | grep -q '^echo: tick'"
# Its last line may reach the serial line after the partition exited
# (console output is drained between slices), and then with its prefix.
check "console: input reaches the partition after re-attaching" has "$L" "^(\[echo\] )?echo: got quit$"
check "console: the partition ends by itself" has "$L" "^partition echo: exited with status 0"
check "console: poweroff at the end" status_is $st 0
# The command layer's central checks, as the serial shell shows them.
check "commands: a missing partition name is refused" has "$L" "^error: info takes a partition name$"
check "commands: an optional argument takes one word at most" has "$L" "^error: stats takes at most one argument$"
check "commands: a stopped partition cannot be resumed" has "$L" "^error: partition echo is not running$"
check "commands: help marks the operator and admin commands" eval \
	'has "$L" "^  info +NAME +one partition in detail$" && has "$L" "^  start +NAME +start a stopped partition \(operator\)$" && has "$L" "^  poweroff +power the machine off \(admin\)$"'

echo "--- the devices kernel on its own: every emulated device's registers and interrupt paths"
mkcfg "$W/devices.cfg" "[vatra]" "on_all_stopped = exit" "[partition devices]" \
	"kernel = /guests/devices.elf" "memory = 16M" "debug_exit = yes" "cmdline = mem=16M"
image devices "$W/devices.cfg" -f "$B/guests/devices.elf:/guests/devices.elf"
boot devices 200; st=$?
L=$W/devices.log
check "qemu: every emulated device checks out" has "$L" "^\[devices\] PASS: [0-9]+ checks"
check "qemu: devices exits with status 0" status_is $st 1
check "qemu: x2APIC mode works through its MSRs" has "$L" "^\[devices\] devices: x2APIC: id 0"

echo "--- console_mode = quiet: partition output is only kept, and shown on attach"
mkcfg "$W/quiet.cfg" "[vatra]" "on_all_stopped = shell" "console_mode = quiet" \
	"[partition cpuid]" "kernel = /guests/cpuid.elf" "memory = 16M" "debug_exit = yes"
image quiet "$W/quiet.cfg" -f "$B/guests/cpuid.elf:/guests/cpuid.elf"
boot quiet 120 -- \
	--step "partition cpuid: exited" "console cpuid\n" \
	--step "attached to cpuid" "\x01\x01\x01" \
	--step "detached from cpuid|cpuid stopped: detached" "poweroff\n"; st=$?
L=$W/quiet.log
check "quiet: the partition's lines are not printed while detached" hasnt "$L" "^\[cpuid\]"
check "quiet: the partition ran" has "$L" "^partition cpuid: exited with status 0"
check "quiet: the console of a stopped partition detaches by itself, and poweroff ends the run" status_is $st 0
check "quiet: attaching replays what it printed" \
	eval "tr -d '\r' <'$L' | sed -n '/attached to cpuid/,\$p' | grep -q '^PASS: [0-9]* checks'"
