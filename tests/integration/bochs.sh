#!/usr/bin/env bash
# Bochs tier: the same image under OVMF on Intel models with VMX (and the
# AMD zambezi model), running the guest suite through the same vmm/ code;
# older models prove the probe-and-degrade paths.
set -u
. "$(dirname "$0")/../lib.sh"
W=$B/itest/bochs
mkdir -p "$W"
# Bochs runs about 50 million instructions a second: fifteen partitions
# sharing it stretch the devices kernel's timed waits, so it runs on its
# own below.
GUEST_DEVICES=
. "$TOP/tests/integration/guests.sh"
# VT-x has 65535 VPIDs: tlb_tags brings the rollover within the reset
# kernel's restarts (guests.sh), on zambezi too whatever its ASID count.
GUEST_SPIN_SECONDS=3 guest_suite_image "$W/guests.img" "on_all_stopped = exit" "selftest = yes" "tlb_tags = 8"
GUEST_NO_TRIPLE=1 guest_suite_image "$W/guests-nt.img" "on_all_stopped = exit" "selftest = yes" "tlb_tags = 8"

# A second lane: the boots below need nothing of the ones before them
# and, with Bochs' clock following its own instruction count (clock:
# sync=none in tools/run-bochs), no CPU of their own either. They run
# beside the rest, from images of their own built here, and are checked
# where they always were, once their log is complete (lane_wait).
mkcfg "$W/spec.cfg" "[vatra]" "on_all_stopped = exit" "[partition msr]" \
	"kernel = /guests/msr.elf" "memory = 16M" "debug_exit = yes" "cmdline = name=msr" \
	"[partition la57]" "kernel = /guests/la57.elf" "memory = 16M" "debug_exit = yes"
"$TOP/tools/mkimage" -e "$B/vatra.efi" -c "$W/spec.cfg" -o "$W/spec.img" \
	-f "$B/guests/msr.elf:/guests/msr.elf" -f "$B/guests/la57.elf:/guests/la57.elf" >/dev/null
mkcfg "$W/one.cfg" "[vatra]" "on_all_stopped = exit" "[partition cpuid]" \
	"kernel = /guests/cpuid.elf" "memory = 16M" "debug_exit = yes"
"$TOP/tools/mkimage" -e "$B/vatra.efi" -c "$W/one.cfg" -o "$W/one.img" \
	-f "$B/guests/cpuid.elf:/guests/cpuid.elf" >/dev/null
. "$TOP/tests/integration/linux.sh"
linux_artifacts
linux_image "$W/linux.img" 2 "on_all_stopped = exit"
rm -f "$W"/*.log.done
lane_run() { # MODEL CPUS TIMEOUT IMAGE LOG
	"$TOP/tools/run-bochs" --model "$1" --cpus "$2" --timeout "$3" "$4" "$5"
	touch "$5.done"
}
(
	lane_run corei7_haswell_4770 2 900 "$W/linux.img" "$W/linux-haswell.log"
	lane_run tigerlake 1 300 "$W/spec.img" "$W/spec-tigerlake.log"
	lane_run core2_penryn_t9600 1 300 "$W/one.img" "$W/penryn.log"
	lane_run corei5_lynnfield_750 1 300 "$W/one.img" "$W/lynnfield.log"
) &
lane_pid=$!
lane_wait() { # LOG
	while [ ! -e "$1.done" ] && kill -0 "$lane_pid" 2>/dev/null; do sleep 1; done
}

bochs_suite() { # MODEL TAG [IMAGE] [CPUS]
	local L=$W/$2.log
	echo "--- $1: the guest suite${4:+ on $4 CPUs}"
	"$TOP/tools/run-bochs" --model "$1" --cpus "${4:-1}" --timeout 600 "${3:-$W/guests.img}" "$L"
	check "$2: banner" has "$L" "^Vatra [0-9.]+ - bare-metal hypervisor"
	check "$2: W^X self-test holds" has "$L" "^selftest: W\^X and guard pages hold"
	guest_suite_check "$2" "$L"
}

# Two CPUs: Bochs under OVMF has no ACPI tables, so Vatra finds the second
# CPU by a broadcast start-up and turns VT-x on there too.
bochs_suite corei7_haswell_4770 haswell "" 2
L=$W/haswell.log
check "haswell: the second CPU comes up without a MADT" has "$L" "^smp: no MADT: 1 other CPU\\(s\\) answered a broadcast start-up"
check "haswell: partitions run on both CPUs" \
	eval "has '$L' '^partition [a-z]+: started \\(1 vCPU on CPU 0' && has '$L' '^partition [a-z]+: started \\(1 vCPU on CPU 1'"
check "haswell: PCI enumerated through CF8/CFC (no MCFG)" has "$L" "^pci: [1-9][0-9]* function\\(s\\) on [1-9][0-9]* bus\\(es\\) of 1 segment\\(s\\) through CF8/CFC$"
check "haswell: a self-IPI reaches an allocated vector" has "$L" "^selftest: vector 0x30: a self-IPI ran its handler; freed, the next came as unexpected$"
check "haswell: caps reports VT-x" has "$L" "^caps: virt +Intel VT-x \(VMX, VMCS rev 0x[0-9a-f]+\)$"
check "haswell: caps reports EPT" has "$L" "^caps: ept +yes"
check "haswell: caps reports VPID" has "$L" "^caps: vpid +yes"
check "haswell: caps reports unrestricted guest" has "$L" "^caps: unrestricted yes"
check "haswell: VMX on with EPT, VPID, the preemption timer, unrestricted guest" \
	has "$L" "^vmx: on \(EPT, VPID \(VPIDs limited by tlb_tags\), preemption timer, unrestricted guest"
spin_check() { # TAG LOG: a guest that never exits did not hold the CPU
	check "$1: a never-exiting guest ran" has "$2" "^\[spin\] spin: looping without exits"
	check "$1: others finished while it spun (preemption)" \
		eval "tr -d '\r' <'$2' | grep -nE '^partition (cpuid|spin): exited' | head -1 | grep -q cpuid"
	check "$1: the spinning guest ended by itself" has "$2" "^partition spin: exited with status 0"
}
spin_check haswell "$L"

bochs_suite corei7_skylake_x skylake
check "skylake: VMX on" has "$W/skylake.log" "^vmx: on \(EPT, VPID \(VPIDs limited by tlb_tags\), preemption timer, unrestricted guest"
spin_check skylake "$W/skylake.log"

# Bochs' SVM resets the machine on a guest triple fault (see guests.sh).
GUEST_NO_TRIPLE=1
bochs_suite zambezi zambezi "$W/guests-nt.img"
unset GUEST_NO_TRIPLE
L=$W/zambezi.log
check "zambezi: caps reports NRIP save" has "$L" "^caps: nrip-save +yes"
check "zambezi: caps reports flush-by-ASID" has "$L" "^caps: flush-asid +yes"
check "zambezi: caps reports the model's 64 ASIDs" has "$L" "^caps: asids +64$"
check "zambezi: SVM on with the hardware paths" has "$L" "^svm: on \(8 ASIDs by tlb_tags, NRIP save, flush by ASID\)"
check "zambezi: VIRT_SPEC_CTRL offered on family 15h's LS_CFG" has "$L" \
	"^vmm: guest speculation controls: SPEC_CTRL 0x0, IBPB no, VIRT_SPEC_CTRL on LS_CFG$"
check "zambezi: the msr kernel's VIRT_SPEC_CTRL keeps SSBD across exits" has "$L" \
	"^\[msr\] msr: VIRT_SPEC_CTRL: SSBD set across 100 exits, reads 0x4$"

# Debug registers, #DB/#AC loops, self-INIT (a boot of their own: the
# suite is at the partition limit). Hardware breakpoints fire under
# Bochs; its SVM intercepts #DB before setting DR6.
guest_dbg_image "$W/dbg.img" "on_all_stopped = exit"
GUEST_DBG_FLAGS=no_dr6 guest_dbg_image "$W/dbg-amd.img" "on_all_stopped = exit"
echo "--- haswell, zambezi and skylake-x: debug registers, #DB/#AC, self-INIT, XSAVE state (AVX-512 on skylake-x), NMIs"
"$TOP/tools/run-bochs" --model corei7_haswell_4770 --timeout 300 "$W/dbg.img" "$W/dbg-haswell.log"
guest_dbg_check haswell "$W/dbg-haswell.log"
"$TOP/tools/run-bochs" --model zambezi --timeout 300 "$W/dbg-amd.img" "$W/dbg-zambezi.log"
guest_dbg_check zambezi "$W/dbg-zambezi.log"
"$TOP/tools/run-bochs" --model corei7_skylake_x --timeout 300 "$W/dbg.img" "$W/dbg-skylake.log"
guest_dbg_check skylake-x "$W/dbg-skylake.log"
check "skylake-x: AVX-512 state (ZMM16, k1) survives preemption" has "$W/dbg-skylake.log" \
	"^\[xsave\] xsave: preempted [1-9][0-9]* times, YMM0-15, ZMM16 and k1 changed 0 times"

# Exceptions that could hold a CPU (issue: CVE-2015-8104, -5307): the #DB
# storm (a breakpoint on the stack its own delivery writes, never ending)
# and dbg's #DB and #AC loops, both on the boot CPU, which runs the shell:
# typed at over the serial line (Bochs' socket-server mode), the shell
# answers while they run, and destroys the storm.
mkcfg "$W/storm.cfg" "[vatra]" "on_all_stopped = exit" \
	"[partition storm]" "kernel = /guests/dbg.elf" "memory = 16M" "cpus = 0" "cmdline = storm" \
	"[partition loops]" "kernel = /guests/dbg.elf" "memory = 16M" "cpus = 0" "debug_exit = yes" "cmdline = seconds=3"
"$TOP/tools/mkimage" -e "$B/vatra.efi" -c "$W/storm.cfg" -o "$W/storm.img" \
	-f "$B/guests/dbg.elf:/guests/dbg.elf" >/dev/null
echo "--- haswell: the #DB storm and #DB/#AC loops on the boot CPU, the shell typed at meanwhile"
L=$W/storm.log
sport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 "$TOP/tests/integration/vmrun.py" --tcp "$sport" --log "$L" --timeout 300 \
	--step "\[storm\] dbg: storm: #DB with a write breakpoint" "" \
	--step "@sleep 1" "list\n" \
	--step "storm +running[^\n]*\n(.*\n)*?vatra> " "stats storm\n" \
	--step "exception +[0-9]+[^\n]*\n(.*\n)*?vatra> " "" \
	--step "@seen partition loops: exited" "destroy storm\n" \
	-- "$TOP/tools/run-bochs" --model corei7_haswell_4770 --timeout 290 --serial-tcp "$sport" \
	"$W/storm.img" "$L"
check "storm: the #DB storm runs on the boot CPU" has "$L" "^\[storm\] dbg: storm: #DB with a write breakpoint on its own stack"
check "storm: meanwhile the shell answers list (storm running)" has "$L" "^storm +running +1 +16M"
check "storm: ... and stats, the storm's exits counted as exceptions" has "$L" "^    exception +[0-9]{3,}"
check "storm: the #DB and #AC loops beside it complete" eval \
	'has "$L" "^\[loops\] dbg: #DB loop: [1-9][0-9]* single-step traps" && has "$L" "^\[loops\] dbg: #AC loop: [1-9][0-9]* alignment checks"'
check "storm: the loops partition exits by itself" has "$L" "^partition loops: exited with status 0"
check "storm: destroy ends the storm" has "$L" "^partition storm: destroyed by the operator"
check "storm: the storm never got past its storm" hasnt "$L" "storm ended"

# VT-x as on a CPU without virtual NMIs: said at boot, and the guest's
# NMIs are still held while one is handled and never lost.
mkcfg "$W/novnmi.cfg" "[vatra]" "on_all_stopped = exit" "virtual_nmis = no" "[partition nmi]" \
	"kernel = /guests/nmi.elf" "memory = 16M" "debug_exit = yes" "cmdline = no_hlt_nmi"
"$TOP/tools/mkimage" -e "$B/vatra.efi" -c "$W/novnmi.cfg" -o "$W/novnmi.img" \
	-f "$B/guests/nmi.elf:/guests/nmi.elf" >/dev/null
echo "--- haswell without virtual NMIs: NMIs tracked by the interrupt flag"
L=$W/novnmi.log
"$TOP/tools/run-bochs" --model corei7_haswell_4770 --timeout 200 "$W/novnmi.img" "$L"
check "no-vnmi: the boot says virtual NMIs are off and what follows" has "$L" \
	"^warning: vmx: no virtual NMIs \(virtual_nmis = no\): a guest's NMI handler is taken to have returned"
check "no-vnmi: guest nmi passes its checks" has "$L" "^\[nmi\] PASS: [0-9]+ checks"
check "no-vnmi: an NMI sent in the NMI handler waits for its IRET" has "$L" "^\[nmi\] nmi: 4 NMIs, nested at most 1 deep$"

# Fairness under an interrupt flood: a partition asking for the LAPIC
# timer at count 1, the PIT at count 2 and the RTC at 8 kHz shares CPU 1
# with one that measures, in its own TSC time (Bochs' clock follows the
# instructions run, not the host), the share of the time it ran.
mkcfg "$W/fair.cfg" "[vatra]" "on_all_stopped = exit" \
	"[partition victim]" "kernel = /guests/spin.elf" "memory = 16M" "cpus = 1" \
	"cmdline = seconds=3 measure" "debug_exit = yes" \
	"[partition flood]" "kernel = /guests/flood.elf" "memory = 16M" "cpus = 1" \
	"cmdline = seconds=4" "debug_exit = yes"
"$TOP/tools/mkimage" -e "$B/vatra.efi" -c "$W/fair.cfg" -o "$W/fair.img" \
	-f "$B/guests/spin.elf:/guests/spin.elf" -f "$B/guests/flood.elf:/guests/flood.elf" >/dev/null
echo "--- haswell, 2 CPUs: a partition flooding timer interrupts beside a busy one on CPU 1"
L=$W/fair.log
"$TOP/tools/run-bochs" --model corei7_haswell_4770 --cpus 2 --timeout 300 "$W/fair.img" "$L"
share=$(tr -d '\r' <"$L" | sed -n 's/^\[victim\] spin: ran \([0-9]*\)\.[0-9]% of 3 s.*/\1/p')
check "fair: the neighbour of an interrupt flood runs its half of the CPU (${share:-?}%, at least 45)" \
	test "${share:-0}" -ge 45
check "fair: the flooding guest took all three kinds of interrupt and stopped them" has "$L" "^\[flood\] PASS: 3 checks"
check "fair: both exit on their own" count "$L" "^partition (victim|flood): exited with status 0 \(debug-exit\)" 2
check "fair: no hypervisor exception" hasnt "$L" "^error: (hypervisor exception|PANIC)"

mkcfg "$W/devices.cfg" "[vatra]" "on_all_stopped = exit" "[partition devices]" \
	"kernel = /guests/devices.elf" "memory = 16M" "debug_exit = yes" "cmdline = mem=16M"
"$TOP/tools/mkimage" -e "$B/vatra.efi" -c "$W/devices.cfg" -o "$W/devices.img" \
	-f "$B/guests/devices.elf:/guests/devices.elf" >/dev/null
for m in corei7_haswell_4770:haswell zambezi:zambezi; do
	echo "--- ${m%%:*}: the devices kernel on its own"
	L=$W/devices-${m##*:}.log
	"$TOP/tools/run-bochs" --model "${m%%:*}" --timeout 300 "$W/devices.img" "$L"
	check "${m##*:}: every emulated device checks out" has "$L" "^\[devices\] PASS: [0-9]+ checks"
	check "${m##*:}: devices exits with status 0" has "$L" "^partition devices: exited with status 0"
	check "${m##*:}: x2APIC mode works through its MSRs" has "$L" "^\[devices\] devices: x2APIC: id 0"
done

# The speculation controls where an emulated CPU has them: Bochs'
# Tiger Lake models IA32_SPEC_CTRL (IBRS, STIBP, SSBD), IA32_PRED_CMD,
# IA32_FLUSH_CMD and IA32_ARCH_CAPABILITIES.
# The msr kernel writes each bit (loaded into the CPU's SPEC_CTRL for
# guest mode, the host's back after each exit) and IBPB.
echo "--- tigerlake: SPEC_CTRL, PRED_CMD, FLUSH_CMD, ARCH_CAPABILITIES (msr), LA57 hidden (la57)"
# Its VT-x has no LA57: the la57 kernel checks the hidden side (spec.img,
# run in the second lane).
L=$W/spec-tigerlake.log
lane_wait "$L"
check "tigerlake: SPEC_CTRL bits 0-2 and IBPB offered" has "$L" \
	"^vmm: guest speculation controls: SPEC_CTRL 0x7, IBPB yes, VIRT_SPEC_CTRL no$"
check "tigerlake: the msr kernel sees them" has "$L" \
	"^\[msr\] msr: speculation controls offered: SPEC_CTRL 0x7, IBPB yes, VIRT_SSBD no$"
check "tigerlake: SPEC_CTRL's three bits work, every other #GPs" has "$L" \
	"^\[msr\] msr: SPEC_CTRL: bits 0x7 writable and read back, every other bit #GP$"
check "tigerlake: PRED_CMD takes IBPB, is write-only" has "$L" "^\[msr\] msr: PRED_CMD: rdmsr #GP \(write-only\)$"
# Its IA32_ARCH_CAPABILITIES and FLUSH_CMD too: the guest reads what the
# hypervisor says it offers (the host's, less the bits that promise MSRs).
ac=$(tr -d '\r' <"$L" | sed -n 's/^vmm: guest ARCH_CAPABILITIES \(0x[0-9a-f]*\), L1D flush yes$/\1/p' | head -1)
check "tigerlake: ARCH_CAPABILITIES (${ac:-none}) and L1D flush offered" test -n "$ac"
check "tigerlake: the guest reads that ARCH_CAPABILITIES, writes #GP" has "$L" \
	"^\[msr\] msr: ARCH_CAPABILITIES reads ${ac:-none}, writes #GP$"
check "tigerlake: FLUSH_CMD takes L1D_FLUSH only, is write-only" has "$L" \
	"^\[msr\] msr: FLUSH_CMD: bits 0x1 writable, every other bit #GP$"
check "tigerlake: the msr kernel passes" has "$L" "^\[msr\] PASS: [0-9]+ checks"
check "tigerlake: msr exits with status 0" has "$L" "^partition msr: exited with status 0"
check "tigerlake: LA57 hidden, CR4.LA57 refused" has "$L" "^\[la57\] la57: CPUID 7.0 ECX\[16\] hidden$"
check "tigerlake: la57 passes" has "$L" "^\[la57\] PASS: [0-9]+ checks"

# Probe and degrade: VT-x without what partitions need. Vatra boots, says
# what is missing, refuses partitions with the reason, panics nowhere
# (one.img, run in the second lane).

echo "--- core2_penryn_t9600: VT-x without EPT, VPID or unrestricted guest"
L=$W/penryn.log
lane_wait "$L"
check "penryn: caps reports VT-x" has "$L" "^caps: virt +Intel VT-x"
check "penryn: caps reports no EPT" has "$L" "^caps: ept +no"
check "penryn: caps reports no VPID" has "$L" "^caps: vpid +no"
check "penryn: caps reports no unrestricted guest" has "$L" "^caps: unrestricted no"
check "penryn: partition refused with the reason" \
	has "$L" "^error: partition cpuid: not started: this CPU's VT-x has no EPT"
check "penryn: the hypervisor runs on to the end" has "$L" "^vatra: all partitions stopped"
check "penryn: no exception or panic" hasnt "$L" "^error: (hypervisor exception|PANIC)"

echo "--- corei5_lynnfield_750: VT-x with EPT but no unrestricted guest"
L=$W/lynnfield.log
lane_wait "$L"
check "lynnfield: caps reports EPT" has "$L" "^caps: ept +yes"
check "lynnfield: caps reports no unrestricted guest" has "$L" "^caps: unrestricted no"
check "lynnfield: partition refused with the reason" \
	has "$L" "^error: partition cpuid: not started: this CPU's VT-x lacks unrestricted guest"
check "lynnfield: the hypervisor runs on to the end" has "$L" "^vatra: all partitions stopped"
check "lynnfield: no exception or panic" hasnt "$L" "^error: (hypervisor exception|PANIC)"

echo "--- corei7_haswell_4770: an unmodified Debian Linux kernel, 2 vCPUs, on VT-x"
L=$W/linux-haswell.log
lane_wait "$L"
linux_check haswell "$L" 2
check "haswell: Linux's two vCPUs run on two CPUs" has "$L" "^partition linux: started \\(2 vCPUs on CPU (0,1|1,0),"
wait "$lane_pid"
