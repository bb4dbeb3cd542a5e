#!/usr/bin/env bash
# Management network tier: Vatra under QEMU with a modern virtio-net on
# user-mode networking (restricted: nothing leaves QEMU; the API is
# reached only through a host forward on 127.0.0.1). One boot at a static
# address runs vatractl, curl, the Prometheus parser, the syslog capture
# and the robustness probes against the live hypervisor while its
# partitions run; e1000e behind an Intel IOMMU; e1000 behind an AMD
# IOMMU takes its address by DHCP.
set -u
. "$(dirname "$0")/../lib.sh"
W=$B/itest/mgmtnet
rm -rf "$W"
mkdir -p "$W/keys"
EFI=$B/vatra.efi
K=$W/keys
CTL=$TOP/tools/vatractl
# Debian's python3 (with python3-prometheus-client), whatever else is on PATH.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

"$TOP/tools/vatra-mgmt-keys" "$K" server >/dev/null
"$TOP/tools/vatra-mgmt-keys" "$K" client op operator >/dev/null
"$TOP/tools/vatra-mgmt-keys" "$K" client ro readonly >/dev/null
"$TOP/tools/vatra-mgmt-keys" "$K" client other admin >/dev/null
"$TOP/tools/vatra-mgmt-keys" "$K" token adm admin >/dev/null
sed -i '/ other$/d' "$K/auth"     # a certificate the hypervisor does not know

# image NAME MGMT_IP_LINE [more [vatra] lines]
image() {
	local n=$1 ip=$2
	shift 2
	mkcfg "$W/$n.cfg" "[vatra]" "on_all_stopped = shell" "mgmt_nic = auto" "$ip" "$@" \
		"syslog = 10.0.2.2:514" \
		"[partition a]" "kernel = /guests/spin.elf" "memory = 16M" \
		"[partition b]" "kernel = /guests/spin.elf" "memory = 16M" \
		"[partition echo]" "kernel = /guests/echo.elf" "memory = 16M" "cmdline = tick_ms=600000"
	"$TOP/tools/mkimage" -e "$EFI" -c "$W/$n.cfg" -o "$W/$n.img" \
		-f "$B/guests/spin.elf:/guests/spin.elf" -f "$B/guests/echo.elf:/guests/echo.elf" \
		-f "$K/server.crt:/mgmt/server.crt" \
		-f "$K/server.key:/mgmt/server.key" -f "$K/auth:/mgmt/auth" >/dev/null
}

QPID=
SPID=
# start NAME [NIC [QEMU ARGS...]]: boots NAME.img with the serial line on a FIFO (input)
# and NAME.log (output), the NIC model (default modern virtio-net)
# forwarding 127.0.0.1:PORT to the API and 127.0.0.1:MPORT to the
# plaintext metrics port 9100; waits for the API line (150 s at most).
start() {
	local n=$1 nic=${2:-virtio-net-pci,disable-legacy=on}
	shift $(( $# < 2 ? $# : 2 ))
	PORT=$(free_port)
	MPORT=$(free_port)
	rm -f "$W/$n.in"
	: >"$W/$n.log"
	mkfifo "$W/$n.in"
	sleep 1000 >"$W/$n.in" &
	SPID=$!
	rm -f "$W/$n.qmp"
	VATRA_QEMU_QMP=$W/$n.qmp nice -n 10 "$TOP/tools/run-qemu" --test "$W/$n.img" \
		-netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$PORT-:443,hostfwd=tcp:127.0.0.1:$MPORT-:9100" \
		-device "$nic,netdev=n0,romfile=" \
		-object "filter-dump,id=f0,netdev=n0,file=$W/$n.pcap" "$@" \
		<"$W/$n.in" >"$W/$n.log" 2>&1 &
	QPID=$!
	for _ in $(seq 150); do
		has "$W/$n.log" "mgmt: API on port 443" && has "$W/$n.log" "spin: looping" && return 0
		kill -0 $QPID 2>/dev/null || return 1
		sleep 1
	done
	return 1
}
stop() {
	[ -n "$QPID" ] && kill $QPID 2>/dev/null
	[ -n "$SPID" ] && kill $SPID 2>/dev/null
	wait $QPID 2>/dev/null
	QPID= SPID=
}
trap stop EXIT
ctl() { # WHO ARGS...
	local who=$1
	shift
	if [ "$who" = adm ]; then
		"$CTL" --host 127.0.0.1 --port "$PORT" --server-cert "$K/server.crt" \
			--token-file "$K/adm.token" --timeout 20 "$@"
	else
		"$CTL" --host 127.0.0.1 --port "$PORT" --server-cert "$K/server.crt" \
			--cert "$K/$who.crt" --key "$K/$who.key" --timeout 20 "$@"
	fi
}
state_of() { ctl op list --json | python3 -c "import json,sys; print({p['name']:p['state'] for p in json.load(sys.stdin)['partitions']}['$1'])"; }

echo "--- virtio-net, static 10.0.2.15/24: the API while partitions run"
image static "mgmt_ip = 10.0.2.15/24" "mgmt_metrics_port = 9100"
L=$W/static.log
if start static; then
	pass "mgmt: boot with virtio-net, API up"
	check "mgmt: the NIC is the hypervisor's (pci shows it)" eval \
		'has "$L" "mgmt: virtio-net at [0-9a-f:.]+, MAC 52:54:00" && ctl ro pci | grep -E "^0000:00:[0-9a-f.]+ +1af4:1041 .*hypervisor \(management NIC\)" >/dev/null' 
	check "mgmt: the shell's net command reports the NIC and its address" eval \
		'ctl ro exec net | grep -q "virtio-net at .* link up" && ctl ro exec net | grep -q "address 10.0.2.15, rx [1-9]"'
	check "mgmt: a reply of many TLS records (the log) arrives whole" eval \
		'ctl ro log >"$W/log.txt" && [ "$(wc -c <"$W/log.txt")" -gt 4096 ] && [ "$(grep -c "mgmt: API on port 443" "$W/log.txt")" = 1 ] && "$PY" -c "import sys; s=set(open(sys.argv[1],errors=\"replace\").read().replace(\"\r\",\"\").split(\"\n\")); l=open(sys.argv[2]).read().split(\"\n\")[:-1]; assert l and l[0].startswith(\"vatra.cfg:\") and all(x in s for x in l if not x.startswith(\"debug:\"))" "$L" "$W/log.txt"'
	check "mgmt: vatractl list shows both partitions running" eval \
		'ctl op list >"$W/list.txt" && grep -qE "^a +running" "$W/list.txt" && grep -qE "^b +running" "$W/list.txt"'
	check "mgmt: vatractl whoami by token is admin" eval 'ctl adm whoami | grep -q "adm (admin, by token)"'
	check "mgmt: read-only identity refused a destroy" eval \
		'! ctl ro destroy a 2>"$W/ro.err" && grep -q "destroy needs the operator role" "$W/ro.err" && [ "$(state_of a)" = running ]'
	check "mgmt: operator destroys a while b runs" eval \
		'ctl op destroy a && [ "$(state_of a)" = stopped ] && [ "$(state_of b)" = running ]'
	check "mgmt: operator starts a again" eval 'ctl op start a && [ "$(state_of a)" = running ]'
	check "mgmt: pause and resume b" eval \
		'ctl op pause b >/dev/null && [ "$(state_of b)" = paused ] && ctl op resume b >/dev/null && [ "$(state_of b)" = running ]'
	check "mgmt: an unknown partition is a clear error" eval \
		'! ctl op start nosuch 2>"$W/ns.err" && grep -q "nosuch" "$W/ns.err"'
	check "mgmt: vatractl stats and caps reach the shell's commands" eval \
		'ctl ro stats a | grep -q "vCPU 0" && ctl ro caps | grep -qi "svm\|vmx"'
	check "mgmt: vatractl cannot connect -> actionable error, exit 3" eval \
		'"$CTL" --port 1 --server-cert "$K/server.crt" --token-file "$K/adm.token" --timeout 5 list 2>"$W/cc.err"; [ $? -eq 3 ] && grep -q "connection refused" "$W/cc.err"'
	check "mgmt: vatractl console replays, carries input and output both ways, detaches" eval \
		'( sleep 2; printf "hello vatra\r"; sleep 4; printf "\001\001\001" ) | timeout 40 "$CTL" --host 127.0.0.1 --port "$PORT" --server-cert "$K/server.crt" --cert "$K/op.crt" --key "$K/op.key" --replay 500 console echo >"$W/con.out" 2>"$W/con.err"; grep -q "echo: ready" "$W/con.out" && grep -q "echo: got hello vatra" "$W/con.out" && grep -q "detached from echo" "$W/con.err"'
	check "mgmt: the console keystrokes reached the guest (its UART echo in the serial log)" has "$L" "\[echo\] echo: got hello vatra"
	check "mgmt: vatractl console --replay 0 shows only what comes after it" eval \
		'( sleep 2; printf "after zero\r"; sleep 3; printf "\001\001\001" ) | timeout 40 "$CTL" --host 127.0.0.1 --port "$PORT" --server-cert "$K/server.crt" --cert "$K/op.crt" --key "$K/op.key" --replay 0 console echo >"$W/con0.out" 2>"$W/con0.err"; grep -q "echo: got after zero" "$W/con0.out" && ! grep -q "echo: ready\|hello vatra" "$W/con0.out"'
	check "mgmt: read-only identity refused the console" eval \
		'! ctl ro console echo </dev/null 2>"$W/con-ro.err" && grep -q "console needs the operator role" "$W/con-ro.err"'
	check "mgmt: a stop the guest ignores is reported after the wait" eval \
		'! ctl op stop a --wait 3 2>"$W/stop.err" && grep -q "ignored it" "$W/stop.err" && [ "$(state_of a)" = running ]'
	CURL=(curl -sS --max-time 20 --cacert "$K/server.crt" --cert "$K/op.crt" --key "$K/op.key" -k)
	check "mgmt: curl with a client certificate reaches the Redfish tree" eval \
		'"${CURL[@]}" "https://127.0.0.1:$PORT/redfish/v1/Systems/b" | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"PowerState\"]==\"On\" and d[\"ProcessorSummary\"][\"Count\"]==1 and d[\"Status\"][\"State\"]==\"Enabled\""'
	check "mgmt: Redfish ComputerSystem.Reset ForceOff then On" eval \
		'"${CURL[@]}" -X POST -H "Content-Type: application/json" -d "{\"ResetType\":\"ForceOff\"}" "https://127.0.0.1:$PORT/redfish/v1/Systems/a/Actions/ComputerSystem.Reset" >/dev/null && [ "$(state_of a)" = stopped ] && "${CURL[@]}" -X POST -d "{\"ResetType\":\"On\"}" "https://127.0.0.1:$PORT/redfish/v1/Systems/a/Actions/ComputerSystem.Reset" >/dev/null && [ "$(state_of a)" = running ]'
	check "mgmt: Redfish Manager.Reset needs the admin role (operator refused, nothing rebooted)" eval \
		'[ "$("${CURL[@]}" -o "$W/mr.json" -w "%{http_code}" -X POST -d "{\"ResetType\":\"ForceRestart\"}" "https://127.0.0.1:$PORT/redfish/v1/Managers/vatra/Actions/Manager.Reset")" = 403 ] && grep -q "reboot needs the admin role" "$W/mr.json" && [ "$(state_of b)" = running ]'
	check "mgmt: Redfish Managers/vatra" eval \
		'"${CURL[@]}" "https://127.0.0.1:$PORT/redfish/v1/Managers/vatra" | grep -q "\"ManagerType\":\"Service\""'
	check "mgmt: /metrics parses with the Prometheus client parser" eval \
		'ctl ro metrics >"$W/metrics.txt" && "$PY" - "$W/metrics.txt" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
ex = [s for s in fams["vatra_vcpu_exits"].samples if s.labels["partition"] == "a"]
assert ex and all(s.value >= 0 for s in ex), ex
up = {s.labels["partition"]: s.value for s in fams["vatra_partition_up"].samples}
assert up == {"a": 1, "b": 1, "echo": 1}, up
assert any(s.value > 0 for s in fams["vatra_vcpu_cpu_seconds"].samples)
PY'
	plain() { curl -sS --max-time 20 "http://127.0.0.1:$MPORT$1"; }
	gauge() { plain /metrics | sed -n "s/^$1 //p"; }
	check "mgmt: plaintext listener serves /metrics" eval 'plain /metrics | grep -q "^vatra_partition_up{partition=\"b\"} 1"'
	check "mgmt: plaintext listener serves nothing else" eval \
		'[ "$(curl -s -o /dev/null -w "%{http_code}" --max-time 20 "http://127.0.0.1:$MPORT/api/v1/partitions")" = 404 ]'
	HEAP0=$(gauge vatra_mgmt_heap_used_bytes)
	python3 "$TOP/tests/integration/mgmtprobe.py" "$PORT" "$K" auth robustness >"$W/probe.txt" 2>&1
	while read -r st name; do
		[ "$st" = PASS ] && pass "$name"
		[ "$st" = FAIL ] && fail "$name"
	done <"$W/probe.txt"
	grep -q "^PASS" "$W/probe.txt" || fail "mgmt robust: the probe ran (see $W/probe.txt)"
	# The API stopped answering: where each CPU is (registers, local
	# APIC, the core's functions on its stack), three times.
	if grep -q "^FAIL" "$W/probe.txt"; then
		timeout 120 python3 "$TOP/tests/integration/qmpdump.py" "$W/static.qmp" "$B/core.elf" 3 \
			>"$W/hang.txt" 2>&1
		echo "      after the probe's failures, each CPU ($W/hang.txt):"
		grep -E "^#####|^=== CPU|^RIP|^CR3|^  ffffffff8|^ISR|^IRR|^Timer|^LVT0?T" "$W/hang.txt" | sed 's/^/        /'
		tail -5 "$L" | sed 's/^/      log: /'
	fi
	check "mgmt: connections beyond the pool were refused and logged" has "$L" "all 4 API connections busy"
	# Every probe connection is gone within the idle timeouts.
	for _ in $(seq 40); do
		g=$(gauge vatra_mgmt_connections)
		[ -z "$g" ] || [ "$g" = 1 ] && break
		sleep 1
	done
	check "mgmt: heap and connections back at their idle level after the probes" eval \
		'[ -n "$HEAP0" ] && [ "$(gauge vatra_mgmt_heap_used_bytes)" = "$HEAP0" ] && [ "$(gauge vatra_mgmt_connections)" = 1 ]'
	check "mgmt: both partitions still run after the probes" eval \
		'[ "$(state_of a)" = running ] && [ "$(state_of b)" = running ]'
	python3 "$TOP/tests/integration/mgmtprobe.py" "$PORT" "$K" ratelimit >"$W/probe2.txt" 2>&1
	while read -r st name; do
		[ "$st" = PASS ] && pass "$name"
		[ "$st" = FAIL ] && fail "$name"
	done <"$W/probe2.txt"
	check "mgmt: refusals and the rate limit are logged" eval \
		'has "$L" "mgmt: refused 10.0.2.2:[0-9]+ GET /api/v1: no credentials" && has "$L" "mgmt: 10.0.2.2 refused for 60 s after 5 failures"'
	n0=$(tr -d '\r' <"$L" | grep -cE "NAME +STATE +VCPUS")
	printf 'list\n' >"$W/static.in"
	sleep 3
	check "mgmt: the serial shell still answers" eval \
		'[ "$(tr -d "\r" <"$L" | grep -cE "NAME +STATE +VCPUS")" -gt "$n0" ] && tr -d "\r" <"$L" | grep -qE "^(vatra> )?echo +running"'
	stop
	check "mgmt: syslog datagrams (filter-dump) parse as RFC 5424" eval 'python3 - "$W/static.pcap" <<'PY'
import re, struct, sys
d = open(sys.argv[1], "rb").read()
off, msgs = 24, []
while off + 16 <= len(d):
    _, _, il, _ = struct.unpack("<IIII", d[off:off + 16])
    f = d[off + 16:off + 16 + il]
    off += 16 + il
    if len(f) > 42 and f[12:14] == b"\x08\x00" and f[23] == 17:
        u = 14 + (f[14] & 15) * 4
        if struct.unpack(">H", f[u + 2:u + 4])[0] == 514:
            msgs.append(f[u + 8:].decode())
rx = re.compile(r"^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z|-) (\S{1,255}) (\S{1,48}) (\S{1,128}) (\S{1,32}) (-|\[.*\]) ?(.*)$", re.S)
ok = [m for m in map(rx.match, msgs) if m and int(m.group(1)) < 192]
assert msgs and len(ok) == len(msgs), msgs[:3]
assert any("ran" in m.group(8) and "destroy a" in m.group(8) for m in ok)
assert any(m.group(1) == "12" and "refused" in m.group(8) for m in ok)   # user.warning
PY'
else
	fail "mgmt: boot with virtio-net, API up (see $L)"
	stop
fi

echo "--- e1000e (82574L, q35's own NIC) behind an Intel IOMMU, static address"
image e1000e "mgmt_ip = 10.0.2.15/24"
L=$W/e1000e.log
if start e1000e e1000e -device intel-iommu; then
	check "mgmt: e1000e driver up" has "$L" "mgmt: e1000e \(82574L\) at [0-9a-f:.]+, MAC 52:54:00"
	check "mgmt: behind VT-d the NIC has a domain of its own, and no DMA faults" eval \
		'has "$L" "mgmt: the NIC reaches only its own buffers \(IOMMU domain 4003\)" && hasnt "$L" "iommu: fault"' 
	check "mgmt: e1000e: vatractl destroys and starts a while b runs" eval \
		'ctl op destroy a && [ "$(state_of a)" = stopped ] && [ "$(state_of b)" = running ] && ctl op start a && [ "$(state_of a)" = running ]'
	check "mgmt: e1000e: /metrics over TLS" eval 'ctl ro metrics | grep -q "^vatra_vcpu_exits_total{partition=\"b\""'
else
	fail "mgmt: e1000e boot, API up (see $L)"
fi
stop

# QEMU's AMD IOMMU lets a device with no valid table entry through
# untranslated, so Vatra blocks every device ID first: a NIC that then
# moves frames both ways does so through the domain Vatra gave it.
echo "--- e1000 (82540EM) behind an AMD IOMMU, address by DHCP"
image dhcp "mgmt_ip = dhcp"
L=$W/dhcp.log
if start dhcp e1000 -device amd-iommu; then
	check "mgmt: e1000 driver up" has "$L" "mgmt: e1000 \(82540EM\) at [0-9a-f:.]+, MAC 52:54:00"
	check "mgmt: behind AMD-Vi every device is blocked and the NIC has a domain of its own" eval \
		'has "$L" "^iommu: AMD-Vi: every device blocked \(deny by default\)" && has "$L" "mgmt: the NIC reaches only its own buffers \(IOMMU domain 4003\)" && hasnt "$L" "iommu: fault|amdvi.*(error|timeout)"'
	for _ in $(seq 30); do has "$L" "mgmt: address 10.0.2.15 by DHCP" && break; sleep 1; done
	check "mgmt: DHCP gives 10.0.2.15" has "$L" "mgmt: address 10.0.2.15 by DHCP"
	check "mgmt: the API answers at the DHCP address" eval 'ctl op list | grep -qE "^b +running"'
	check "mgmt: AMD-Vi: vatractl destroys and starts a while b runs" eval \
		'ctl op destroy a && [ "$(state_of a)" = stopped ] && [ "$(state_of b)" = running ] && ctl op start a && [ "$(state_of a)" = running ]'
else
	fail "mgmt: DHCP boot, API up (see $L)"
fi
stop
