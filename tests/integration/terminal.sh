#!/usr/bin/env bash
# Terminal tier: the README's first command typed as a person types it.
# `make run` runs on a pseudo-terminal of its own (anything that would
# prompt or wait for a terminal does so here too), from an image that is
# built anew as on a fresh clone; the Vatra shell, a Linux partition's
# console and the way back are driven by keystrokes, and the screen is
# checked at every step.
set -u
. "$(dirname "$0")/../lib.sh"
W=$B/itest/terminal
mkdir -p "$W"
VMRUN=$TOP/tests/integration/vmrun.py
export VATRA_ACCEL=${VATRA_ACCEL:-tcg}

echo "--- mkimage in a terminal: several files in one directory, nothing asked"
printf '[vatra]\n' >"$W/min.cfg"
"$VMRUN" --pty --log "$W/mkimage.log" --timeout 60 -- "$TOP/tools/mkimage" -e "$B/vatra.efi" \
	-c "$W/min.cfg" -o "$W/two.img" -f "$W/min.cfg:/guests/a.cfg" -f "$W/min.cfg:/guests/b.cfg" \
	-f "$W/min.cfg:/guests/a.cfg"; st=$?
check "mkimage: finishes on a terminal with two files in one directory" status_is $st 0
check "mkimage: both files land on the ESP" eval \
	'MTOOLS_SKIP_CHECK=1 mdir -b -i "$W/two.img@@1048576" ::/guests </dev/null | grep -c "/guests/[ab].cfg" | grep -qx 2'
check "mkimage: prints nothing but its summary" eval \
	'[ "$(tr -d "\r" <"$W/mkimage.log" | grep -vc "^mkimage: ")" -eq 0 ]'

echo "--- make run in a terminal: the demo's shell, a Linux console, poweroff"
rm -f "$B/vatra.img"
L=$W/make-run.log
# The management network beside the console: free ports for the API and
# metrics forwards (a parallel run keeps its own), and vatractl with the
# config file the image rule writes, run while the demo runs.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
export VATRA_MGMT_PORT=$(free_port) VATRA_METRICS_PORT=$(free_port)
# A triple fault in the hypervisor would make QEMU reset the machine and
# the firmware boot it again: QEMU logs each CPU reset with the registers
# the CPU had, which the check below prints if that happened.
export VATRA_QEMU_LOG=$W/qemu-resets.log
rm -f "$VATRA_QEMU_LOG"
# A run that hangs is asked through QMP, at the timeout, where each CPU
# is (registers, stack, the core's functions on it): printed below.
export VATRA_QEMU_QMP=$W/qmp.sock
rm -f "$VATRA_QEMU_QMP" "$W/hang.txt"
# The README's syslog collector, on a free UDP port the image is built
# for (VATRA_SYSLOG_PORT), running on the host while the demo runs.
export VATRA_SYSLOG_PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
awk '/^python3 -c .import socket; s = socket.socket\(socket.AF_INET, socket.SOCK_DGRAM\)/ { on = 1 }
	on { print } on && /flush=True\)'"'"'$/ { exit }' "$TOP/README.md" | sed "s/5514/$VATRA_SYSLOG_PORT/" >"$W/collector.sh"
rm -f "$W/syslog.txt"
bash "$W/collector.sh" >"$W/syslog.txt" 2>&1 &
SYSLOG_PID=$!
CTL=("$TOP/tools/vatractl" --config "$B/demo-keys/vatractl.conf" --port "$VATRA_MGMT_PORT")
: >"$L"
rm -f "$W"/ctl-*.txt
(
	for _ in $(seq 400); do
		has "$L" "mgmt: API on port 443" && has "$L" "\[db\] Enter 'help'" && break
		sleep 1
	done
	timeout 30 "${CTL[@]}" list >"$W/ctl-list.txt" 2>&1
	timeout 30 "${CTL[@]}" info web >"$W/ctl-info.txt" 2>&1
	curl -sS --max-time 20 "http://127.0.0.1:$VATRA_METRICS_PORT/metrics" >"$W/ctl-metrics.txt" 2>&1
	# last: the shell waits for this one's log line before poweroff
	timeout 30 "${CTL[@]}" exec version >"$W/ctl-version.txt" 2>&1
) &
CPID=$!
# Each step waits for what the screen must show before typing the next
# keys; a step that never sees its screen ends the run at the timeout.
"$VMRUN" --pty --log "$L" --timeout 420 \
	--on-timeout "python3 '$TOP/tests/integration/qmpdump.py' '$VATRA_QEMU_QMP' '$B/core.elf' >'$W/hang.txt' 2>&1" \
	--step "\[web\] Enter 'help'" "help\n" \
	--step "poweroff +power the machine off[^\n]*\n(.*\n)*?vatra> " "list\n" \
	--step "NAME +STATE[^\n]*\r*\n(.*\n)*?db +running[^\n]*\n(.*\n)*?vatra> " "version\n" \
	--step "Vatra [0-9.]+\r*\nvatra> " "version extra\n" \
	--step "error: version takes no arguments\r*\nvatra> " "garbage\x15verion\x1b[D\x1b[D\x1b[Ds\n" \
	--step "Vatra [0-9.]+\r*\nvatra> " "\x1b[A\x1b[A\x1b[B\n" \
	--step "Vatra [0-9.]+\r*\nvatra> " "cpus\n" \
	--step "cpu 1: apic id[^\n]*\n(.*\n)*?vatra> " "stats web\n" \
	--step "partition web: [^\n]*\n(.*\n)*?vatra> " "nmi web\n" \
	--step "NMI button pressed[^\n]*\n(.*\n)*?vatra> " "nosuchcommand\n" \
	--step "error: unknown command 'nosuchcommand'[^\n]*\nvatra> " "caps\n" \
	--step "caps: cpus[^\n]*\n(.*\n)*?vatra> " "mem\n" \
	--step "allocator: [0-9]+ KiB managed[^\n]*\n(.*\n)*?vatra> " "acpi\n" \
	--step "APIC +0x[0-9a-f]+ +[0-9]+ bytes[^\n]*\n(.*\n)*?vatra> " "config\n" \
	--step "on_all_stopped shell[^\n]*\n(.*\n)*?vatra> " "log\n" \
	--step "selftest: W\^X and guard pages hold[^\n]*\n(.*\n)*?vatra> " "   \n" \
	--step "@seen \[db\] Enter 'help'" "" \
	--step "vatra> " "console web\n" \
	--step "attached to web" "\n" \
	--step "# " "nproc; ping -c1 -W5 10.0.2.2 >/dev/null && echo ping-ok-\$((2*3)); ping -c1 -W5 10.0.0.2 >/dev/null && echo lan-ok-\$((3*3)); echo hello-from-\$((6*7))\n" \
	--step "hello-from-42" "\x01\x01\x01" \
	--step "detached from web[^\n]*\n(.*\n)*?vatra> " "list\n" \
	--step "web +running[^\n]*\n(.*\n)*?vatra> " "" \
	--step "@seen mgmt: admin \(admin\) ran 'version'" "\n" \
	--step "vatra> " "poweroff\n" \
	-- bash -c 'cd "$1" && exec env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make run' make-run "$TOP"; st=$?
# (make run as an operator types it: no make flags of whoever runs the tests,
# whose -s would hide the command line the checks below look for)
kill $CPID 2>/dev/null
wait $CPID 2>/dev/null
kill $SYSLOG_PID 2>/dev/null
wait $SYSLOG_PID 2>/dev/null
T=$W/make-run.txt
tr -d '\r' <"$L" >"$T"
# The CPU resets QEMU logged in long mode (CR0.PG, EFER.LMA) from the
# first of the boot CPU's on: power-on and the APs' INITs come before,
# a machine reset logs every CPU, the boot CPU first.
host_resets() {
	awk 'function out() { if (b != "" && pg && lma && (on || b ~ /^CPU Reset \(CPU 0\)/)) { on = 1; print b } }
		/^CPU Reset/ { out(); b = $0; pg = lma = 0; next }
		{ b = b "\n" $0 } /CR0=[89a-f]/ { pg = 1 } /EFER=[0-9a-f]*[45cd]00/ { lma = 1 }
		END { out() }' "$VATRA_QEMU_LOG" 2>/dev/null
}
check "make run: the hypervisor never reset the machine (one boot)" \
	count "$T" "^Vatra [0-9.]+ - bare-metal hypervisor" 1
if [ "$(grep -cE "^Vatra [0-9.]+ - bare-metal hypervisor" "$T")" -gt 1 ]; then
	echo "    the machine reset; the CPU state QEMU logged at that reset:"
	host_resets | sed 's/^/    /' | head -40
fi
# in_order FILE REGEX...: each REGEX matches a line after the previous one's.
in_order() {
	local f=$1
	shift
	awk -v n=$# 'BEGIN { for (i = 1; i < ARGC; i++) pat[i] = ARGV[i]; ARGC = 1; k = 1 }
		k <= n && $0 ~ pat[k] { k++ } END { exit !(k > n) }' "$@" <"$f"
}
check "make run: builds the image in a terminal (no mtools prompt)" has "$T" "^mkimage: build/vatra.img \([0-9]+ MiB"
check "make run: QEMU starts without a warning" hasnt "$T" "warning|TCG doesn't support|not found|Could not"
# The first screen is the firmware's and then Vatra's: after the command
# line make echoes, the next line (less the firmware's screen-clearing
# escape sequences) is the firmware's boot line.
check "make run: the first line after the build is the firmware's" eval \
	'sed -n "/^tools\/run-qemu /{n;p;q}" "$T" | sed "s/\x1b\[[0-9;=]*[A-Za-z]//g" | grep -qE "^BdsDxe: (loading|starting)"'
check "make run: the hypervisor's banner" has "$T" "^Vatra [0-9.]+ - bare-metal hypervisor"
for n in web db cpuid; do
	check "make run: partition $n starts" has "$T" "^partition $n: started"
done
check "make run: the test kernel passes" has "$T" "^\[cpuid\] PASS: "
check "make run: both Linux partitions reach their shells" eval \
	'has "$T" "^\[web\] Vatra demo partition: 1 CPU" && has "$T" "^\[db\] Vatra demo partition: 2 CPU"'
check "make run: help lists every command" eval \
	'for c in help version caps mem acpi config log list stats info start stop reset nmi pause resume destroy console cpus pci reboot poweroff; do has "$T" "^  $c( |$)" || exit 1; done'
check "make run: list shows the three partitions" in_order "$T" "^NAME +STATE" "^web +running +1 +256M" "^db +running +2 +256M" "^cpuid +(running|stopped) +1 +16M"
check "make run: version answers" has "$T" "^Vatra [0-9.]+$"
# Ctrl-U drops a typed line, cursor-left moves the insertion point, and
# Up/Down walk the history: each of the two lines below is a "version".
check "make run: line editing (Ctrl-U, cursor keys) and history recall" eval \
	'[ "$(sed -n "/^error: version takes no arguments/,/^cpu 0: apic id/p" "$T" | grep -cx "Vatra [0-9.]*")" -eq 2 ]'
check "make run: cpus shows where vCPUs run" in_order "$T" "^cpu 0: apic id [0-9]+, .*vCPU" "^cpu 1: apic id [0-9]+, .*vCPU"
check "make run: stats shows exits of the running Linux partition" in_order "$T" \
	"^partition web: " "^  vCPU 0 on CPU [0-9]+: [1-9][0-9]* exits"
check "make run: nmi presses the partition's NMI button" has "$T" \
	"^partition web: NMI button pressed: 1 of 1 vCPU\(s\) took it on LINT1$"
check "make run: Linux takes the NMI from its LINT1" has "$T" "^\[web\] .*NMI received for unknown reason"
check "make run: an extra argument is refused" has "$T" "^error: version takes no arguments$"
check "make run: an unknown command is refused" has "$T" "^error: unknown command 'nosuchcommand' \(try 'help'\)$"
check "make run: caps names AMD-V and the CPUs" in_order "$T" "^caps: virt +AMD-V \(SVM rev 1\)" "^caps: cpus +2 online"
# mem: the map, and an allocator whose size is the one the boot log gave,
# with some of it free.
mem_agrees() {
	local boot shell
	boot=$(tr -d '\r' <"$T" | sed -nE 's/^mem: allocator manages ([0-9]+) MiB, .*/\1/p' | head -1)
	shell=$(tr -d '\r' <"$T" | sed -nE 's/^allocator: ([0-9]+) KiB managed, ([0-9]+) KiB free$/\1 \2/p' | head -1)
	[ -n "$boot" ] && [ -n "$shell" ] || return 1
	set -- $shell
	[ $(($1 / 1024)) -eq "$boot" ] && [ "$2" -gt 0 ] && [ "$2" -le "$1" ]
}
check "make run: mem shows the map" has "$T" "^(0x)?[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ KiB  "
check "make run: mem shows the allocator the boot log reported" mem_agrees
# acpi: exactly the tables the boot log listed, with their addresses,
# lengths and revisions.
acpi_agrees() {
	local boot shell
	boot=$(tr -d '\r' <"$T" | sed -nE 's/^acpi: table ([A-Z0-9]{4}) at (0x[0-9a-f]+), ([0-9]+) bytes, rev ([0-9]+),.*/\1 \2 \3 \4/p' | sort -u)
	shell=$(tr -d '\r' <"$T" | sed -nE 's/^([A-Z0-9]{4})  (0x[0-9a-f]+) +([0-9]+) bytes  rev ([0-9]+)( .*)?$/\1 \2 \3 \4/p' | sort -u)
	[ -n "$boot" ] && [ "$boot" = "$shell" ] && grep -q '^APIC ' <<<"$shell"
}
check "make run: acpi lists the machine's tables as the boot found them" acpi_agrees
check "make run: config shows the demo's settings" has "$T" "^console 0x3f8,115200 +log_level info +on_all_stopped shell"
check "make run: log replays the boot log" count "$T" "^selftest: W\^X and guard pages hold" 2
check "make run: console attaches with the partition's name" has "$T" "attached to web"
check "make run: the Linux shell runs the typed command" in_order "$T" "attached to web" "^1$" "^hello-from-42$" "detached from web"
check "make run: web owns the demo's virtio NIC behind the IOMMU" has "$T" "^partition web: 0000:00:[0-9a-f]{2}\.0 1af4:1041 is its 00:02\.0"
check "make run: web gets a DHCP lease through it" has "$T" "^\[web\] Vatra demo partition: eth0 10\.0\.2\.15 from 10\.0\.2\.2"
check "make run: a ping typed on web's console is answered" in_order "$T" "attached to web" "^ping-ok-6$" "^hello-from-42$"
check "make run: ... and db answers on the switch beside it" in_order "$T" "attached to web" "^lan-ok-9$" "^hello-from-42$"
check "make run: Ctrl-A three times comes back to the shell" in_order "$T" "^hello-from-42$" "detached from web" "^web +running"
check "make run: the management NIC is the hypervisor's, in its own IOMMU domain" eval \
	'has "$T" "^mgmt: virtio-net at 00:03\.0, MAC 52:54:00" && has "$T" "^mgmt: the NIC reaches only its own buffers \(IOMMU domain [0-9]+\)" && hasnt "$T" "^iommu: fault #|^vtd .*overflowed"'
check "make run: the API is up with the demo's keys" has "$T" "^mgmt: API on port 443"
check "make run: vatractl list (config file) shows web, db and cpuid" in_order "$W/ctl-list.txt" \
	"^NAME +STATE" "^web +running" "^db +running" "^cpuid +(running|stopped)"
check "make run: vatractl info web shows its passed-through NIC" eval \
	'grep -q "00:02\.0.*1af4:1041" "$W/ctl-info.txt"'
check "make run: vatractl exec version answers" eval 'grep -qx "Vatra [0-9.]*" "$W/ctl-version.txt"'
check "make run: the forwarded plaintext /metrics answers" eval \
	'grep -q "^vatra_partition_up{partition=\"web\"} 1" "$W/ctl-metrics.txt"'
# Each line the collector printed is one RFC 5424 message (user facility,
# stamped with the time of the RTC, which QEMU sets from the host) and the log's
# lines are there: the boot's from syslog's start on, the partitions'
# starts, vatractl's command.
check "make run: the README's syslog collector on the host gets the log as RFC 5424" eval \
	'grep -q "^[0-9]" <<<"$VATRA_SYSLOG_PORT" && grep -q "s.bind((\"127.0.0.1\", $VATRA_SYSLOG_PORT))" "$W/collector.sh" && python3 - "$W/syslog.txt" "$T" <<'"'"'PY'"'"'
import datetime, re, sys
lines = open(sys.argv[1]).read().splitlines()
rx = re.compile(r"^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\S{1,255}) (\S{1,48}) (\S{1,128}) (\S{1,32}) (-|\[.*\]) (.*)$")
ms = [rx.match(l) for l in lines]
assert len(lines) > 10 and all(ms), [l for l, m in zip(lines, ms) if not m][:3] or len(lines)
now = datetime.datetime.now(datetime.timezone.utc)
for m in ms:
    assert int(m.group(1)) // 8 == 1, m.group(0)
    t = datetime.datetime.strptime(m.group(2), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    assert abs((now - t).total_seconds()) < 900, m.group(0)
msg = [m.group(8) for m in ms]
for n in ("web", "db"):
    assert any(re.match("partition %s: started" % n, x) for x in msg), n
assert any(m.group(1) == "14" and m.group(8).startswith("mgmt: admin (admin) ran '"'"'version'"'"'") for m in ms), msg[-5:]
# The boot log from the start of syslog to "vatra: ready" arrives
# whole, first and in order, though it goes out before the address of
# the collector is resolved.
serial = open(sys.argv[2]).read().splitlines()
a = next(i for i, l in enumerate(serial) if l.startswith("mgmt: remote syslog to 10.0.2.2:"))
b = serial.index("vatra: ready", a)
assert msg[:b + 1 - a] == serial[a:b + 1], (msg[:3], serial[a:a + 3])
PY'
check "make run: poweroff ends the run" in_order "$T" "^vatra> poweroff" "^powering off"
check "make run: make exits with status 0 after poweroff" status_is $st 0
if grep -q "^FAIL make run" "$RESULTS"; then
	echo "    the last 60 lines of the screen:"
	tail -60 "$T" | sed 's/\x1b\[[0-9;=?]*[A-Za-z]//g; s/^/    | /'
	if [ -s "$W/hang.txt" ]; then
		echo "    where QEMU's CPUs were at the timeout:"
		sed 's/^/    : /' "$W/hang.txt"
	fi
fi
