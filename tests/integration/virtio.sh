#!/usr/bin/env bash
# Virtio tier: one boot under QEMU (TCG, AMD SVM + NPT) with Debian cloud
# kernel partitions using virtio-blk and virtio-net, and a guest test
# kernel feeding a virtio-blk disk hostile rings:
#   blk   mounts an ext4 image (mke2fs -d) from its disk, checks a file's
#         checksum, writes a file, is reset from the shell and finds the
#         file; a second disk is read-only
#   neta, netb on switch sw0: ping each other, 4 MiB with busybox nc,
#         checksum end to end
#   netc  on switch sw1: reaches neither
#   vbad  hostile rings: the device needs a reset each time, never
#         touches memory outside the partition, works again after reset
# then the disk test in one boot under Bochs' Intel VT-x (Haswell).
set -u
. "$(dirname "$0")/../lib.sh"
W=$B/itest/virtio
mkdir -p "$W"
G=$B/guests
export VATRA_ACCEL=${VATRA_ACCEL:-tcg}
. "$TOP/tests/integration/linux.sh"
linux_artifacts

# The disks: an ext4 file system holding data.bin, a read-only disk of
# random bytes, and the hostile kernel's small disk.
rm -rf "$W/fs" "$W/web.img" && mkdir -p "$W/fs"
head -c 300000 /dev/urandom >"$W/fs/data.bin"
data_sha=$(sha256sum <"$W/fs/data.bin" | cut -c1-64)
mke2fs -q -t ext4 -d "$W/fs" "$W/web.img" 16M >/dev/null
head -c 1048576 /dev/urandom >"$W/ro.img"
ro_sha=$(head -c 4096 "$W/ro.img" | sha256sum | cut -c1-64)
{ printf 'VATRA-DISK'; head -c $((32768 - 10)) /dev/zero; } >"$W/bad.img"
cp "$W/web.img" "$W/web.orig"

linux_part() { # NAME ROLE [lines...]
	local n=$1 r=$2
	shift 2
	printf '[partition %s]\nkernel = /guests/vmlinuz\ninitrd = /guests/initrd-virtio.gz\n' "$n"
	printf 'cmdline = console=ttyS0 vatra.virtio=%s\nmemory = 128M\n' "$r"
	printf '%s\n' "$@"
}
{
	printf '[vatra]\non_all_stopped = shell\n[switch sw0]\n[switch sw1]\n[switch sw2]\n'
	linux_part blk blk "disk = /images/web.img" "disk = /images/ro.img ro" "hvc = console"
	linux_part neta neta "net = sw0"
	linux_part netb netb "net = sw0 mac=02:00:00:00:00:0b"
	linux_part netc netc "net = sw1"
	printf '[partition vbad]\nkernel = /guests/vbad.elf\nmemory = 32M\ndebug_exit = yes\n'
	printf 'cmdline = mem=32M\ndisk = /images/bad.img\nnet = sw2\n'
} >"$W/virtio.cfg"
"$TOP/tools/mkimage" -e "$B/vatra.efi" -c "$W/virtio.cfg" -o "$W/virtio.img" \
	-f "$LINUX_KERNEL:/guests/vmlinuz" -f "$LINUX_INITRD_VIRTIO:/guests/initrd-virtio.gz" \
	-f "$W/web.img:/images/web.img" -f "$W/ro.img:/images/ro.img" -f "$W/bad.img:/images/bad.img" \
	-f "$G/vbad.elf:/guests/vbad.elf" >/dev/null

echo "--- one boot: a disk partition reset from the shell, three on two switches, hostile rings"
L=$W/virtio.log
"$TOP/tests/integration/vmrun.py" --log "$L" --timeout 420 \
	--step "\[blk\] VATRA-VIRTIO: hvc0 reader waiting" "console blk\n" \
	--step "attached to blk" "hello-hvc\n" \
	--step "VATRA-VIRTIO: hvc0 got hello-hvc" "\x01\x01\x01" \
	--step "detached from blk" "" \
	--step "@seen VATRA-VIRTIO: first boot done" "reset blk\n" \
	--step "\[blk\] VATRA-VIRTIO: blk done" "" \
	--step "@seen \[neta\] VATRA-VIRTIO: neta done" "" \
	--step "@seen \[netb\] VATRA-VIRTIO: netb done" "" \
	--step "@seen \[netc\] VATRA-VIRTIO: netc done" "" \
	--step "@seen partition vbad: exited" "switch\n" \
	--step "switch sw1:" "info neta\n" \
	--step "eth0 .* on switch sw0" "info blk\n" \
	--step "disk /images/ro.img" "info vbad\n" \
	--step "disk /images/bad.img" "config\n" \
	--step "  hvc console" "poweroff\n" -- \
	"$TOP/tools/run-qemu" --test --smp 4 "$W/virtio.img"
# A partition's lines carry its prefix, except while the test is attached
# to its console.
V() { echo "^(\[$1\] )?VATRA-VIRTIO: $2"; }

# The disk.
check "blk: Linux finds both disks (modern virtio-pci, MSI-X)" has "$L" "$(V blk 'disks vda vdb $')"
check "blk: get-id gives the image's name" has "$L" "$(V blk 'vda serial web.img size 32768$')"
check "blk: the ro disk is read-only and reads the image's bytes" has "$L" "$(V blk "vdb ro 1 head $ro_sha")"
check "blk: the ext4 file's checksum is the one written at build time" has "$L" "$(V blk "data.bin $data_sha")"
check "hvc: a line written to hvc0 reaches the partition's console" has "$L" "$(V blk 'hvc0 says hello$')"
check "hvc: the operator's line typed at 'console blk' reaches hvc0 (hvc = console)" \
	has "$L" "VATRA-VIRTIO: hvc0 got hello-hvc"
check "hvc: info lists the virtio console and its bytes" has "$L" "^    hvc0: [1-9][0-9]* bytes to the console"
check "blk: a file is written and the file system unmounted" has "$L" "$(V blk unmounted)"
# While the test is attached to blk's console its lines come unprefixed.
wrote=$(tr -d '\r' <"$L" | sed -n 's/^\(\[blk\] \)\{0,1\}VATRA-VIRTIO: wrote \([0-9a-f]*\)$/\2/p' | head -1)
check "blk: the shell's reset starts the partition again" has "$L" "^partition blk: reset by the operator|^partition blk: .*starting again"
check "blk: after the reset the written file is there, checksum intact" \
	has "$L" "$(V blk "restarted: written ${wrote:-none} recorded ${wrote:-none}")" ||
	tr -d '\r' <"$L" | grep -E "VATRA-VIRTIO: (wrote|restarted)|detached from blk" | sed 's/^/      /'
check "blk: the image on the ESP is unchanged (writes live in memory)" cmp -s "$W/web.img" "$W/web.orig"
check "blk: info counts its reads and writes" has "$L" "disk /images/web.img, 16 MiB: [1-9][0-9]* reads .*, [1-9][0-9]* writes"
check "blk: info shows the read-only disk with no writes" has "$L" "disk /images/ro.img \(read-only\), 1 MiB: [0-9]+ reads .*, 0 writes"

check "config: shows the switches, disks, NICs and hvc" eval \
	'has "$L" "^switch sw2$" && has "$L" "^  disk /images/ro.img ro$" && has "$L" "^  net sw0 mac=02:00:00:00:00:0b$" && has "$L" "^  hvc console$"'

# The network.
check "net: netb has the MAC its config gives" has "$L" "$(V netb 'eth0 02:00:00:00:00:0b up')"
check "net: neta's MAC is derived, locally administered" has "$L" "$(V neta 'eth0 02:[0-9a-f:]{14} up')"
check "net: neta pings netb" has "$L" "$(V neta 'ping netb 3 of 3')"
check "net: netb pings neta" has "$L" "$(V netb 'ping neta 3 of 3')"
sent=$(tr -d '\r' <"$L" | sed -n 's/^\[neta\] VATRA-VIRTIO: sending \([0-9a-f]*\)$/\1/p' | head -1)
check "net: 4 MiB over TCP with nc arrive intact" has "$L" "$(V netb "received 4194304 bytes ${sent:-none}")"
check "net: neta on sw0 cannot reach netc on sw1" has "$L" "$(V neta 'ping netc 0 of 3')"
check "net: netc on sw1 cannot reach neta" has "$L" "$(V netc 'ping neta 0 of 10')"
check "net: netc receives nothing at all" has "$L" "$(V netc 'netc rx 0 packets')"
check "net: the switch learnt both MACs of sw0" has "$L" "^    02:00:00:00:00:0b port [0-9]+"
check "net: sw1's port delivered no frame" has "$L" "^  port 0 netc eth0 +in [0-9]+ frames [0-9]+ bytes, out 0 frames"
check "net: sw0's ports moved the data" has "$L" "^  port [01] netb eth0 +in [0-9]+ frames [0-9]+ bytes, out [0-9]{4,} frames"

# The hostile rings.
for c in loop next head avail ram wrap indirect indzero ringram; do
	check "vbad: $c: the device needs a reset, then works again" \
		has "$L" "^\[vbad\] vbad: $c: device needs reset, reset, works again"
done
for c in net-loop net-ram; do
	check "vbad: $c: the NIC needs a reset, then sends again" \
		has "$L" "^\[vbad\] vbad: $c: device needs reset, reset, works again"
done
check "vbad: the NIC's bad rings are named" has "$L" \
	"^warning: partition vbad: virtio-net 00:04.0: queue 1: loop in a descriptor chain; the device needs a reset"
check "vbad: INTx: a disk completion raises IOAPIC pin 11 once (MSI-X off)" \
	has "$L" "^\[vbad\] vbad: INTx: 1 interrupt\(s\) on IOAPIC pin 11"
check "vbad: passes its checks" has "$L" "^\[vbad\] PASS: [0-9]+ checks"
check "vbad: one log line per bad ring, naming it" has "$L" \
	"^warning: partition vbad: virtio-blk 00:03.0: queue 0: loop in a descriptor chain; the device needs a reset"
check "vbad: a buffer past RAM is named" has "$L" \
	"^warning: partition vbad: virtio-blk 00:03.0: queue 0: buffer outside the partition's RAM; the device needs a reset"
check "vbad: nine bad rings, nine lines" count "$L" "^warning: partition vbad: virtio-blk 00:03.0: .*the device needs a reset" 9
check "vbad: two bad NIC rings, two lines" count "$L" "^warning: partition vbad: virtio-net 00:04.0: .*the device needs a reset" 2
check "vbad: the hypervisor stopped nothing else" hasnt "$L" "^partition (blk|neta|netb|netc): .*(stopped|error)"
check "virtio: no guest kernel oops" hasnt "$L" "Call Trace|BUG:|Oops"

echo "--- corei7_haswell_4770 (Bochs, Intel VT-x): the disk test in one boot"
{
	printf '[vatra]\non_all_stopped = exit\n'
	linux_part blk blkonce "disk = /images/web.img"
} >"$W/bochs.cfg"
"$TOP/tools/mkimage" -e "$B/vatra.efi" -c "$W/bochs.cfg" -o "$W/bochs.img" \
	-f "$LINUX_KERNEL:/guests/vmlinuz" -f "$LINUX_INITRD_VIRTIO:/guests/initrd-virtio.gz" \
	-f "$W/web.orig:/images/web.img" >/dev/null
L=$W/bochs-haswell.log
"$TOP/tools/run-bochs" --model corei7_haswell_4770 --timeout 600 "$W/bochs.img" "$L"
check "bochs-vtx: VT-x runs the partition" has "$L" "^vmx: on \(EPT"
check "bochs-vtx: Linux finds the disk" has "$L" "$(V blk 'vda serial web.img size 32768$')"
check "bochs-vtx: the ext4 file's checksum" has "$L" "$(V blk "data.bin $data_sha")"
# While the test is attached to blk's console its lines come unprefixed.
wrote=$(tr -d '\r' <"$L" | sed -n 's/^\(\[blk\] \)\{0,1\}VATRA-VIRTIO: wrote \([0-9a-f]*\)$/\2/p' | head -1)
check "bochs-vtx: a written file reads back after a remount" \
	has "$L" "$(V blk "remounted: written ${wrote:-none} recorded ${wrote:-none}")"
check "bochs-vtx: Linux powers off" has "$L" "^partition blk: powered off by the guest"
