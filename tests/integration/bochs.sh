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

# VT-x as on a CPU without virtual NMIs: said at boot, and the guest's
# NMIs are still held while one is handled and never lost.
mkcfg "$W/novnmi.cfg" "[vatra]" "on_all_stopped = exit" "virtual_nmis = no" "[partition nmi]" \
	"kernel = /guests/nmi.elf" "memory = 16M" "debug_exit = yes"
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

# Probe and degrade: VT-x without what partitions need. Vatra boots, says
# what is missing, refuses partitions with the reason, panics nowhere.
mkcfg "$W/one.cfg" "[vatra]" "on_all_stopped = exit" "[partition cpuid]" \
	"kernel = /guests/cpuid.elf" "memory = 16M" "debug_exit = yes"
"$TOP/tools/mkimage" -e "$B/vatra.efi" -c "$W/one.cfg" -o "$W/one.img" \
	-f "$B/guests/cpuid.elf:/guests/cpuid.elf" >/dev/null

echo "--- core2_penryn_t9600: VT-x without EPT, VPID or unrestricted guest"
L=$W/penryn.log
"$TOP/tools/run-bochs" --model core2_penryn_t9600 --timeout 300 "$W/one.img" "$L"
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
"$TOP/tools/run-bochs" --model corei5_lynnfield_750 --timeout 300 "$W/one.img" "$L"
check "lynnfield: caps reports EPT" has "$L" "^caps: ept +yes"
check "lynnfield: caps reports no unrestricted guest" has "$L" "^caps: unrestricted no"
check "lynnfield: partition refused with the reason" \
	has "$L" "^error: partition cpuid: not started: this CPU's VT-x lacks unrestricted guest"
check "lynnfield: the hypervisor runs on to the end" has "$L" "^vatra: all partitions stopped"
check "lynnfield: no exception or panic" hasnt "$L" "^error: (hypervisor exception|PANIC)"

echo "--- corei7_haswell_4770: an unmodified Debian Linux kernel, 2 vCPUs, on VT-x"
. "$TOP/tests/integration/linux.sh"
linux_artifacts
linux_image "$W/linux.img" 2 "on_all_stopped = exit"
L=$W/linux-haswell.log
"$TOP/tools/run-bochs" --model corei7_haswell_4770 --cpus 2 --timeout 900 "$W/linux.img" "$L"
linux_check haswell "$L" 2
check "haswell: Linux's two vCPUs run on two CPUs" has "$L" "^partition linux: started \\(2 vCPUs on CPU (0,1|1,0),"
