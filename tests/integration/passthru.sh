#!/usr/bin/env bash
# Passthrough tier: QEMU's edu device passed to a test partition behind
# QEMU's Intel IOMMU and, in a second boot, its AMD IOMMU (each with the
# AMD-V CPU), attacked by DMA; and the refusals of bad `devices =` lines
# in the same boots, while the other partitions start. A third, short
# boot has an IOMMU without interrupt remapping.
set -u
. "$(dirname "$0")/../lib.sh"
W=$B/itest/passthru
G=$B/guests
mkdir -p "$W"
EFI=$B/vatra.efi
VMRUN=$TOP/tests/integration/vmrun.py
export VATRA_ACCEL=${VATRA_ACCEL:-tcg}

image() { # NAME CFG
	"$TOP/tools/mkimage" -e "$EFI" -c "$2" -o "$W/$1.img" \
		-f "$G/ptedu.elf:/guests/ptedu.elf" >/dev/null
}
boot() { # NAME TIMEOUT [QEMU ARGS...] [-- vmrun steps...]
	local n=$1 t=$2 qa=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do qa+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	"$VMRUN" --log "$W/$n.log" --timeout "$t" "$@" -- \
		"$TOP/tools/run-qemu" --test "$W/$n.img" "${qa[@]}"
}
RESET="(function level reset|D3hot-D0 power management reset|secondary bus reset|no reset method)"
# While the attacker holds its device: info, then destroy it; the device
# moves to ptmove (started by hand), which must find it clean; once it
# stopped, pt-intx is started, alone on a quiet machine; once it gave its
# line back: pci; once every partition has stopped (the others run on
# their own clocks, which a loaded machine slows): poweroff.
#
# pt-intx counts every interrupt, and QEMU 7.2's TCG can deliver one
# twice: the VMRUN that injects an external interrupt (EVENTINJ) leaves
# the vector as the CPU's pending exception, and a kick of that CPU's
# thread with no interrupt request (another CPU's TLB-flush work after
# a memory-map change) before the guest's next exit delivers it once
# more, nested in its handler whatever RFLAGS.IF says. Measured: about 1
# boot in 20 while the other partitions' devices were being set up
# beside it (2 of 40), none in 40 once it ran alone afterwards.
STEPS=(--step "\[ptattack\] ptedu: holding" "info ptattack\n"
       --step "BAR0 host 0x[0-9a-f]+ guest" "destroy ptattack\n"
       --step "partition ptattack: 0000:00:05.0: $RESET" "start ptmove\n"
       --step "partition ptmove: 0000:00:05.0: $RESET" "start pt-intx\n"
       --step "partition pt-intx: host GSI [0-9]+ given back" "pci\n"
       --step "pci: [0-9]+ function" ""
       --step "@seen vatra: all partitions stopped" "poweroff\n")
part() { # NAME CMDLINE [extra lines...]
	local n=$1 c=$2
	shift 2
	printf '[partition %s]\nkernel = /guests/ptedu.elf\nmemory = 16M\ndebug_exit = yes\ncmdline = %s\n' "$n" "$c"
	printf '%s\n' "$@"
}

# Devices of each boot: the attack's edu at 00:05.0, a second one at
# 00:06.0, two behind a PCIe-to-PCI bridge (one requester ID), and two
# at 00:0b.0 and 00:0f.0, whose INTA# q35 wires to one GSI (23), for
# INTx. The virtio-rng at 00:09.0 shares GSI 21 with 00:05.0.
DEVS=(-device edu,addr=0x5,dma_mask=0xffffffffffffffff
      -device edu,addr=0x6,dma_mask=0xffffffffffffffff
      -device pcie-root-port,id=rp1,chassis=1,addr=0x1c
      -device pcie-pci-bridge,id=pb,bus=rp1
      -device edu,bus=pb,addr=0x1,dma_mask=0xffffffffffffffff
      -device edu,bus=pb,addr=0x2,dma_mask=0xffffffffffffffff
      -device virtio-rng-pci,addr=0x9
      -device edu,addr=0xb,dma_mask=0xffffffffffffffff
      -device edu,addr=0xf,dma_mask=0xffffffffffffffff)

suite_cfg() { # FILE [attacker flags] [pt-group flags]
	{
		printf '[vatra]\non_all_stopped = shell\n'
		# partition 0 attacks, 1 is the victim whose RAM it aims at
		part ptattack "role=attack victim=1 hold_ms=60000 ${2:-}" "devices = 0000:00:05.0"
		part ptvictim "role=victim" "cpus = 1"
		# refusals: each its own partition, the rest start
		part pt-absent "role=idle" "devices = 0000:00:17.0"
		part pt-taken "role=idle" "devices = 0000:00:05.0"
		part pt-bridge "role=idle" "devices = 0000:00:00.0"
		part pt-alias "role=idle" "devices = 1234:11e8, 0000:02:01.0"
		# the two functions behind the PCIe-to-PCI bridge together:
		# their DMA and MSIs carry the bridge's requester ID
		part pt-group "role=attack noattack hold_ms=2000 ${3:-}" "devices = 0000:02:01.0, 0000:02:02.0"
		part pt-split "role=idle" "devices = 0000:02:02.0"
		# a legacy virtio I/O BAR through the I/O permission map; its
		# INTx line is ptattack's edu's too: refused
		part pt-io "role=io" "devices = 1af4:1005"
		# two edu on one host GSI, driven through INTx
		part pt-intx "role=intx" "devices = 0000:00:0b.0, 0000:00:0f.0" "autostart = no"
		# the device's next owner, started once ptattack is gone
		part ptmove "role=attack noattack" "devices = 0000:00:05.0" "autostart = no"
	} >"$1"
}

suite_check() { # TAG LOG
	local t=$1 L=$2
	check "$t: the attacker passes its checks" has "$L" "^\[ptattack\] ptedu: holding after [0-9]+ checks, 0 failed"
	check "$t: the attacker is destroyed while it holds the device" has "$L" "^partition ptattack: destroyed by the operator"
	check "$t: the victim passes its checks" has "$L" "^\[ptvictim\] PASS: [0-9]+ checks"
	check "$t: the edu is the attacker's 00:02.0" has "$L" "^partition ptattack: 0000:00:05.0 1234:11e8 is its 00:02.0"
	check "$t: its BAR0 was pre-assigned in the PCI window" has "$L" "^\[ptattack\] ptedu: edu at 00:02.0, BAR0 0xc[0-9a-f]{7}$"
	check "$t: config space: ROM hidden, header read-only, MSI listed" has "$L" "^\[ptattack\] ptedu: config space: ROM hidden, IDs and header read-only, MSI at 0x"
	check "$t: BAR0 moves with the guest's writes" has "$L" "^\[ptattack\] ptedu: BAR0 moved from 0x[0-9a-f]+ to 0xe0000000: ID 0x10000ed there, 0xffffffff at the old place"
	check "$t: DMA inside its own RAM works" has "$L" "^\[ptattack\] ptedu: DMA in own RAM: 2048 bytes there and back match"
	check "$t: DMA at the victim's RAM brings nothing back" has "$L" "^\[ptattack\] ptedu: DMA at the victim's RAM \(host 0x[0-9a-f]+\): the marker did not come back"
	check "$t: the victim's marker is intact" has "$L" "^\[ptvictim\] ptedu: victim marker intact after the attack"
	check "$t: DMA at hypervisor memory brings nothing back" has "$L" "^\[ptattack\] ptedu: DMA at the hypervisor's marker page \(host 0x[0-9a-f]+\): the marker did not come back"
	check "$t: the hypervisor's marker is intact" has "$L" "^\[ptattack\] ptedu: hypervisor marker intact"
	check "$t: an MSI aimed outside the partition is refused and logged" has "$L" "^warning: partition ptattack: 0000:00:05\.0: MSI address 0xfee07000 data 0x61 refused: destination APIC ID is none of the partition's vCPUs"
	check "$t: ... and nothing arrives" has "$L" "^\[ptattack\] ptedu: MSI to APIC 7 \(not the partition's\): 0 interrupts"
	check "$t: the edu's MSI arrives as the guest's vector" has "$L" "^\[ptattack\] ptedu: MSI vector 0x61 to APIC 0: 2 interrupts for a raise and a DMA"
	check "$t: the edu is reset when its partition stops" has "$L" "^partition ptattack: 0000:00:05.0: $RESET"
	local v
	v=$(tr -d '\r' <"$L" | sed -n 's/^\[ptattack\] ptedu: DMA at the victim.s RAM (host \(0x[0-9a-f]*\)).*/\1/p')
	if [ "$t" = vtd ]; then
		# QEMU 7.2's AMD IOMMU never writes its event log (IOMMU.md)
		check "$t: the fault names the owning partition" has "$L" "^warning: iommu: fault #[0-9]+ from 0000:00:05\.0: write at ${v:-none}: .*, partition ptattack$"
		check "$t: info counts the device's faults" has "$L" "^  device   0000:00:05\.0 .*, 4 IOMMU faults, "
		check "$t: the write at the victim's RAM is logged with device and address" has "$L" "^warning: iommu: fault #[0-9]+ from 0000:00:05\.0: write at ${v:-none}: "
		check "$t: the read of the victim's RAM is logged with device and address" has "$L" "^warning: iommu: fault #[0-9]+ from 0000:00:05\.0: read at ${v:-none}: "
	fi
	check "$t: the device moves to ptmove after ptattack is gone" has "$L" "^partition ptmove: 0000:00:05\.0 1234:11e8 is its 00:02\.0"
	check "$t: ptmove finds it clean: decode off, BAR0 back where firmware put it" has "$L" "^\[ptmove\] ptedu: edu at 00:02\.0, BAR0 0xc[0-9a-f]{7}$"
	check "$t: ptmove drives it: DMA and MSI" has "$L" "^\[ptmove\] ptedu: MSI vector 0x61 to APIC 0: 2 interrupts for a raise and a DMA"
	check "$t: ptmove passes its checks" has "$L" "^\[ptmove\] PASS: [0-9]+ checks"
	check "$t: the edu is reset again when ptmove stops" has "$L" "^partition ptmove: 0000:00:05.0: $RESET"
	check "$t: refused: a function that does not exist" has "$L" "^error: partition pt-absent: vatra.cfg line [0-9]+: devices = \.\.\.: 0000:00:17\.0 does not exist$"
	check "$t: refused: a function another partition has" has "$L" "^error: partition pt-taken: vatra.cfg line [0-9]+: devices = \.\.\.: 0000:00:05\.0 is already partition ptattack's$"
	check "$t: refused: the host bridge" has "$L" "^error: partition pt-bridge: vatra.cfg line [0-9]+: devices = \.\.\.: 0000:00:00\.0 is a bridge"
	check "$t: refused: half of an alias group" has "$L" "^error: partition pt-alias: vatra.cfg line [0-9]+: devices = \.\.\.: 0000:02:01\.0 shares its requester ID 02:00\.0 with 0000:02:02\.0: list them together$"
	check "$t: refused: one function of a group another partition has" has "$L" "^error: partition pt-split: vatra.cfg line [0-9]+: devices = \.\.\.: 0000:02:02\.0 is already partition pt-group's$"
	check "$t: a group behind a PCIe-to-PCI bridge goes to one partition" has "$L" "^partition pt-group: 0000:02:02\.0 1234:11e8 is its 00:03\.0"
	check "$t: ... whose edu works (DMA and MSI under the bridge's requester ID)" has "$L" "^\[pt-group\] ptedu: holding after [0-9]+ checks, 0 failed"
	check "$t: ... and its MSI arrives" has "$L" "^\[pt-group\] ptedu: MSI vector 0x61 to APIC [0-9]+: 2 interrupts for a raise and a DMA"
	check "$t: an I/O BAR works at the host's ports while I/O decode is on" has "$L" "^\[pt-io\] ptedu: virtio I/O BAR at port 0x[0-9a-f]+: features 0x[0-9a-f]+, status 0x1 read back, 0xffffffff with I/O decode off"
	check "$t: pt-io passes its checks" has "$L" "^\[pt-io\] PASS: [0-9]+ checks"
	check "$t: INTx: the host GSI comes from the firmware's _PRT" has "$L" "^partition pt-intx: 0000:00:0b\.0: INTA -> host GSI 23 \(level, high\) -> its GSI 16$"
	check "$t: INTx: a second function on that GSI shares the line" has "$L" "^partition pt-intx: 0000:00:0f\.0: INTA -> host GSI 23 \(level, high\), shared -> its GSI 16$"
	check "$t: INTx: a GSI another partition's function is on is refused" has "$L" "^warning: partition pt-io: 0000:00:09\.0: INTx refused: GSI 21 is shared with 0000:00:05\.0, partition ptattack's$"
	check "$t: INTx: the guest's _PRT maps both pins to one GSI" has "$L" "^\[pt-intx\] ptedu: INTx: 00:02\.0 and 00:03\.0 pin A -> GSI 16 \(_PRT, level, low\)"
	check "$t: INTx: a raise on each edu arrives once, at its function" has "$L" "^\[pt-intx\] ptedu: INTx: a raise on each: 2 interrupts, seen by edu 1 and 1$"
	check "$t: INTx: a cause left asserted comes again (level)" has "$L" "^\[pt-intx\] ptedu: INTx: a cause left asserted comes again after the EOI: 2 interrupts$"
	check "$t: INTx: both raised at once are both acknowledged" has "$L" "^\[pt-intx\] ptedu: INTx: both raised at once: both acknowledged"
	check "$t: INTx: INTx Disable holds the interrupt back" has "$L" "^\[pt-intx\] ptedu: INTx: with INTx Disable 0 interrupts, after clearing it 1$"
	check "$t: INTx: a line let go while masked delivers nothing stale" has "$L" "^\[pt-intx\] ptedu: INTx: raised and acknowledged while masked: 0 interrupts at the unmask$"
	check "$t: pt-intx passes its checks" has "$L" "^\[pt-intx\] PASS: [0-9]+ checks"
	check "$t: INTx: the line is given back at the stop" has "$L" "^partition pt-intx: 0000:00:0f\.0: $RESET"
	if ! has "$L" "^\[pt-intx\] PASS: "; then
		# What the INTx partition printed, for a failure seen only elsewhere.
		echo "  pt-intx's lines and the run's end:"
		tr -d '\r' <"$L" | grep -nE "pt-intx|^vatra: |^error|^warning|poweroff" | sed 's/^/    /'
		tr -d '\r' <"$L" | tail -n 5 | sed 's/^/    /'
	fi
	for n in pt-absent pt-taken pt-bridge pt-alias pt-split; do
		check "$t: $n does not start" has "$L" "^error: partition $n: not started: vatra.cfg line [0-9]+ \(devices\)"
		check "$t: $n's kernel never ran" hasnt "$L" "^\[$n\] "
	done
	check "$t: info lists the partition's device" has "$L" "^  device   0000:00:05\.0 1234:11e8 as 00:02\.0, requester ID 00:05\.0, MSI (on|off), [0-9]+ interrupts"
	check "$t: info shows BAR0 where the guest moved it" has "$L" "^    BAR0 host 0x[0-9a-f]+ guest 0xe0000000 size 0x100000 mapped"
	check "$t: pci shows the free edu" has "$L" "^0000:00:06\.0 1234:11e8 .* free"
}

# The forged MSI (ptedu.c, test_forge): the IOMMU must have looked the
# message's entry up and dropped it. QEMU's trace of its remapping-entry
# reads is the witness. What QEMU 7.2 cannot show (IOMMU.md), so left
# untested: a forged message naming another device's entry (it checks no
# requester ID on a device's plain write to 0xFEEx, and AMD-Vi takes it
# as the IOAPIC's) and one in compatibility format (passed through with
# remapping on).
# A line of FILE matching RE1 whose next line matches RE2, or (the same
# lookup as QEMU reports it on stderr, into the log) LOG matching RE3.
then_has() {
	grep -A1 -E -- "$2" "$1" 2>/dev/null | grep -qE -- "$3" || { [ -n "${5:-}" ] && has "$4" "$5"; }
}
forge_check() { # TAG LOG TRACE ENTRY-RE EMPTY-RE [STDERR-RE]
	local t=$1 L=$2
	check "$t: a forged MSI naming nobody's remapping entry delivers nothing" has "$L" \
		"^\[ptattack\] ptedu: forged MSI \(address 0xfee1fff0 data 0xff, an entry nobody has\): 0 interrupts$"
	check "$t: ... the IOMMU looked that entry up and found it empty" then_has "$3" "$4" "$5" "$L" "${6:-}"
	if ! then_has "$3" "$4" "$5" "$L" "${6:-}"; then
		echo "  the trace ($(grep -c '' "$3" 2>/dev/null) lines) and the log's IRTE lines:"
		grep -n "" "$3" 2>/dev/null | tail -n 12 | sed 's/^/    /'
		tr -d '\r' <"$L" | grep -nE "IRTE|remap|forged|holding" | sed 's/^/    /'
	fi
	check "$t: ... and the hypervisor took no interrupt it did not expect" hasnt "$L" "^warning: vectors: unexpected interrupt"
}

echo "--- edu passed through behind the Intel IOMMU (AMD-V CPU)"
suite_cfg "$W/vtd.cfg" "faults forge"
image vtd "$W/vtd.cfg"
rm -f "$W/vtd-trace.log"
printf '%s\n' vtd_ir_remap_msi_req vtd_ir_irte_get >"$W/vtd-trace.events"
boot vtd 240 -device intel-iommu,intremap=on "${DEVS[@]}" \
	-trace events="$W/vtd-trace.events",file="$W/vtd-trace.log" -- "${STEPS[@]}"
suite_check vtd "$W/vtd.log"
forge_check vtd "$W/vtd.log" "$W/vtd-trace.log" "^vtd_ir_remap_msi_req addr 0xfee1fff0 data 0xff$" \
	"^vtd_ir_irte_get index 4095 low 0x0 high 0x0$" "vtd_irte_get: detected non-present IRTE \(index=4095, high=0x0, low=0x0\)"

echo "--- edu passed through behind the AMD IOMMU"
# QEMU 7.2's AMD IOMMU keys a device's DMA address space by the bus
# number the device had when QEMU created it, before the firmware
# numbered the buses: DMA from behind the bridge never reaches the
# partition's domain there, so pt-group skips its DMA check (its MSIs,
# attributed at send time, are checked).
suite_cfg "$W/amdvi.cfg" forge nodma
image amdvi "$W/amdvi.cfg"
rm -f "$W/amdvi-trace.log"
printf '%s\n' amdvi_ir_irte amdvi_ir_irte_val >"$W/amdvi-trace.events"
boot amdvi 240 -device amd-iommu,intremap=on "${DEVS[@]}" \
	-trace events="$W/amdvi-trace.events",file="$W/amdvi-trace.log" -- "${STEPS[@]}"
L=$W/amdvi.log
suite_check amdvi "$L"
forge_check amdvi "$L" "$W/amdvi-trace.log" "^amdvi_ir_irte addr 0x[0-9a-f]+ offset 0x3fc$" \
	"^amdvi_ir_irte_val data 0x0$"
check "amdvi: pci shows the IOMMU's function as the hypervisor's" has "$L" "^0000:00:[0-9a-f]{2}\.0 1022:[0-9a-f]{4} IOMMU +hypervisor \(the IOMMU\)"

# A Linux partition owning an NVMe disk and a virtio-net NIC whose DMA
# the IOMMU translates (iommu_platform=on): tests/linux/init-passthru
# writes a file on the disk's ext4, gets a DHCP lease and a ping through
# the NIC, resets the partition, and after the restart gets a lease again
# and reads the file back. Beside it in the same boot, a partition
# under Debian's generic kernel owns an e1000e: Linux binds e1000e to it,
# gets a lease and three ping answers (tests/linux/init-e1000e). No IOMMU
# fault in either.
read -r LINUX_KERNEL _ < <("$TOP/tools/guest-linux" "$B/linux" | tail -1)
# The e1000e's partition: Debian's generic kernel (the cloud kernel has
# no e1000e driver) and tests/linux/init-e1000e, which loads the driver,
# gets a lease and pings 10.0.2.2 through the NIC.
read -r GENERIC_KERNEL _ < <("$TOP/tools/guest-linux-generic" "$B/linux-generic" "$B/linux/busybox" \
	"$TOP/tests/linux/init-e1000e" "$W/e1000e-initrd.gz" e1000e | tail -1)
[ -n "$GENERIC_KERNEL" ] || { echo "passthru: no generic kernel" >&2; exit 1; }
linux_initrd() {
	local root=$W/ptroot
	rm -rf "$root"
	cp -a "$B/linux/initramfs" "$root"
	cp "$TOP/tests/linux/init-passthru" "$root/init"
	mkdir -p "$root/lib/modules"
	for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
		failover net_failover virtio_net; do
		cp "$(find "$B/linux/kernel/lib/modules" -name "$m.ko" | head -1)" "$root/lib/modules/"
	done
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) >"$W/ptinitrd.gz"
}
linux_boot() { # TAG IOMMU-MODEL [intx]
	local t=$1 L=$W/$1-linux.log intx=${3:-} extra=
	[ -n "$intx" ] && extra=" pci=nomsi"
	rm -f "$W/$t-disk.raw"
	truncate -s 64M "$W/$t-disk.raw"
	"$(command -v mke2fs || echo /usr/sbin/mke2fs)" -q -t ext4 -F "$W/$t-disk.raw"
	{
		printf '[vatra]\non_all_stopped = exit\n'
		printf '[partition disk]\nkernel = /guests/vmlinuz\ninitrd = /guests/initrd.gz\n'
		printf 'cmdline = console=ttyS0%s\nmemory = 256M\nvcpus = 2\n' "$extra"
		printf 'devices = 0000:00:07.0, 1af4:1041\n'
		# beside it, the e1000e under the generic kernel
		printf '[partition nic]\nkernel = /guests/vmlinuz-generic\ninitrd = /guests/initrd-e1000e.gz\n'
		printf 'cmdline = console=ttyS0%s\nmemory = 256M\ndevices = 8086:10d3\n' "$extra"
	} >"$W/$t-linux.cfg"
	"$TOP/tools/mkimage" -e "$EFI" -c "$W/$t-linux.cfg" -o "$W/$t-linux.img" \
		-f "$LINUX_KERNEL:/guests/vmlinuz" -f "$W/ptinitrd.gz:/guests/initrd.gz" \
		-f "$GENERIC_KERNEL:/guests/vmlinuz-generic" -f "$W/e1000e-initrd.gz:/guests/initrd-e1000e.gz" >/dev/null
	"$VMRUN" --log "$L" --timeout 300 -- "$TOP/tools/run-qemu" --test "$W/$t-linux.img" -device "$2" \
		-drive if=none,id=nv,file="$W/$t-disk.raw",format=raw \
		-device nvme,serial=vatra,drive=nv,addr=0x7 \
		-device virtio-net-pci,netdev=n0,iommu_platform=on,disable-legacy=on,addr=0x8 \
		-netdev user,id=n0,restrict=on \
		-device e1000e,netdev=n1,addr=0x6 -netdev user,id=n1,restrict=on
	check "$t: Linux: the NVMe disk is its 00:02.0" has "$L" "^partition disk: 0000:00:07\.0 1b36:0010 is its 00:02\.0"
	check "$t: Linux: the virtio NIC (first free 1af4:1041) is its 00:03.0" has "$L" "^partition disk: 0000:00:08\.0 1af4:1041 is its 00:03\.0"
	check "$t: Linux: both runs see the disk" count "$L" "^\[disk\] VATRA-PT: nvme0n1 131072 sectors" 2 ||
		tr -d '\r' <"$L" | grep -E "^(error|warning):|^partition disk:" | head -30 | sed 's/^/      /'
	check "$t: Linux: its DSDT's PCI root bridge is found" has "$L" "^\[disk\] VATRA-PT: dmesg ACPI: PCI Root Bridge \[PCI0\] \(domain 0000 \[bus 00-ff\]\)"
	check "$t: Linux: ... with the memory window of its _CRS" has "$L" "^\[disk\] \[ *[0-9.]+\] pci_bus 0000:00: root bus resource \[mem 0xc0000000-0xfebfffff window\]"
	if [ -n "$intx" ]; then
		# pci=nomsi: both drivers on INTx, through the _PRT's GSIs
		# (16 and 17 of the partition's IOAPIC, level: fasteoi)
		check "$t: Linux: the NVMe queues interrupt through INTx (GSI from the _PRT, level)" has "$L" "^\[disk\] VATRA-PT: irq 16: [0-9]+ [0-9]+ IO-APIC 16-fasteoi nvme0q0"
		check "$t: Linux: ... and the disk's interrupts came" has "$L" "^\[disk\] VATRA-PT: irq 16: ([1-9][0-9]* [0-9]+|[0-9]+ [1-9][0-9]*) IO-APIC"
		check "$t: Linux: the NIC interrupts through INTx (GSI from the _PRT, level)" has "$L" "^\[disk\] VATRA-PT: irq 17: ([1-9][0-9]* [0-9]+|[0-9]+ [1-9][0-9]*) IO-APIC 17-fasteoi virtio0"
		check "$t: Linux: Vatra routes the NVMe's INTA to its GSI 16" has "$L" "^partition disk: 0000:00:07\.0: INTA -> host GSI 23 \(level, high\) -> its GSI 16$"
	else
		check "$t: Linux: the NVMe queues interrupt through MSI-X" has "$L" "^\[disk\] VATRA-PT: irq [0-9]+: [0-9]+ [0-9]+ PCI-MSI [0-9]+-edge nvme0q1"
		check "$t: Linux: the NIC's queues interrupt through MSI-X" has "$L" "^\[disk\] VATRA-PT: irq [0-9]+: [0-9]+ [0-9]+ PCI-MSI [0-9]+-edge virtio0-input\.0"
	fi
	check "$t: Linux: a DHCP lease in both runs" count "$L" "^\[disk\] VATRA-PT: lease 10\.0\.2\.15 from 10\.0\.2\.2" 2
	check "$t: Linux: ping answered in both runs" count "$L" "^\[disk\] VATRA-PT: ping 10\.0\.2\.2 answered" 2
	check "$t: Linux: the file is written, then the partition resets" has "$L" "^partition disk: reset by the guest; starting again"
	check "$t: Linux: the disk is reset at the restart" has "$L" "^partition disk: 0000:00:07\.0: function level reset"
	check "$t: Linux: the file reads back after the restart" has "$L" "^\[disk\] VATRA-PT: read back: written before the restart"
	check "$t: Linux: powers off at the end" has "$L" "^partition disk: powered off by the guest"
	check "$t: Linux: nothing failed" hasnt "$L" "VATRA-PT: (no |mount failed|insmod|ping 10.0.2.2 unanswered)"
	# the e1000e partition
	check "$t: e1000e: the NIC is its 00:02.0" has "$L" "^partition nic: 0000:00:06\.0 8086:10d3 is its 00:02\.0"
	check "$t: e1000e: Linux binds e1000e to it" has "$L" "^\[nic\] VATRA-NIC: eth0 is 0000:00:02\.0 0x8086:0x10d3, driver e1000e$"
	check "$t: e1000e: the link comes up" has "$L" "^\[nic\] VATRA-NIC: dmesg e1000e 0000:00:02\.0 eth0: NIC Link is Up"
	check "$t: e1000e: a DHCP lease" has "$L" "^\[nic\] VATRA-NIC: lease 10\.0\.2\.15 from 10\.0\.2\.2"
	check "$t: e1000e: three pings to 10.0.2.2 answered" has "$L" "^\[nic\] VATRA-NIC: ping 10\.0\.2\.2: 3 sent, 3 received"
	if [ -n "$intx" ]; then
		check "$t: e1000e: Vatra routes its INTA to its GSI 16" has "$L" "^partition nic: 0000:00:06\.0: INTA -> host GSI 22 \(level, high\) -> its GSI 16$"
		check "$t: e1000e: it interrupts through INTx (GSI from the _PRT, level)" has "$L" "^\[nic\] VATRA-NIC: irq 16: [1-9][0-9]* IO-APIC 16-fasteoi eth0$"
	else
		check "$t: e1000e: its receive queue interrupts through MSI-X" has "$L" "^\[nic\] VATRA-NIC: irq [0-9]+: [1-9][0-9]* PCI-MSI [0-9]+-edge eth0-rx-0"
		check "$t: e1000e: ... and its transmit queue" has "$L" "^\[nic\] VATRA-NIC: irq [0-9]+: [1-9][0-9]* PCI-MSI [0-9]+-edge eth0-tx-0"
	fi
	check "$t: e1000e: nothing failed" hasnt "$L" "VATRA-NIC: (no |insmod)"
	check "$t: e1000e: powers off, the NIC is reset" has "$L" "^partition nic: 0000:00:06\.0: $RESET"
	# QEMU 7.2's AMD IOMMU never writes its event log (IOMMU.md): there
	# this holds whatever the devices did; the DMA checks are the pings
	check "$t: no IOMMU fault" hasnt "$L" "^warning: iommu: fault"
}
echo "--- Linux with a passed-through NVMe disk and virtio-net NIC, and Linux with an e1000e"
linux_initrd
# Under VT-d with pci=nomsi (the drivers take INTx), under AMD-Vi with
# MSI-X (make run's demo covers virtio-net's MSI-X under VT-d).
linux_boot vtd intel-iommu intx
linux_boot amdvi amd-iommu

echo "--- an IOMMU without interrupt remapping"
{
	printf '[vatra]\non_all_stopped = exit\n'
	part pt-unsafe "role=idle" "devices = 0000:00:05.0"
	part pt-other "role=idle"
} >"$W/noir.cfg"
image noir "$W/noir.cfg"
boot noir 120 -device intel-iommu,intremap=off "${DEVS[@]}"
L=$W/noir.log
check "noir: refused without allow_unsafe_interrupts" has "$L" "^error: partition pt-unsafe: vatra.cfg line [0-9]+: devices = \.\.\.: the .* IOMMU does not remap interrupts: a guest could send any interrupt to any CPU \(allow_unsafe_interrupts = yes in \[vatra\] accepts that\)"
check "noir: the other partition starts" has "$L" "^\[pt-other\] PASS: [0-9]+ checks"
