#!/usr/bin/env bash
# Bochs tier: the same image under OVMF on Intel CPU models with VMX.
set -u
. "$(dirname "$0")/../lib.sh"
W=$B/itest/bochs
mkdir -p "$W"

mkcfg "$W/good.cfg" "[vatra]" "on_all_stopped = exit" "selftest = yes"
"$TOP/tools/mkimage" -e "$B/vatra.efi" -c "$W/good.cfg" -o "$W/good.img" >/dev/null

echo "--- corei7_haswell_4770 (VMX, EPT, VPID, unrestricted guest)"
L=$W/haswell.log
"$TOP/tools/run-bochs" --model corei7_haswell_4770 --timeout 240 "$W/good.img" "$L"
check "haswell: banner" has "$L" "^Vatra [0-9.]+ - bare-metal hypervisor"
check "haswell: caps reports VT-x" has "$L" "^caps: virt +Intel VT-x \(VMX, VMCS rev 0x[0-9a-f]+\)$"
check "haswell: caps reports EPT" has "$L" "^caps: ept +yes"
check "haswell: caps reports VPID" has "$L" "^caps: vpid +yes"
check "haswell: caps reports unrestricted guest" has "$L" "^caps: unrestricted yes"
check "haswell: W^X self-test holds" has "$L" "^selftest: W\^X and guard pages hold"
check "haswell: reaches ready and exits" has "$L" "^vatra: all partitions stopped, exit status 0"
check "haswell: no errors or panics" hasnt "$L" "^(error|PANIC)"

echo "--- zambezi (AMD SVM with NPT, NRIP save and flush-by-ASID): the guest suite"
W=$B/itest/bochs
. "$TOP/tests/integration/guests.sh"
guest_suite_image "$W/guests.img" "on_all_stopped = exit"
L=$W/zambezi.log
"$TOP/tools/run-bochs" --model zambezi --timeout 600 "$W/guests.img" "$L"
check "zambezi: caps reports NRIP save" has "$L" "^caps: nrip-save +yes"
check "zambezi: caps reports flush-by-ASID" has "$L" "^caps: flush-asid +yes"
check "zambezi: SVM on with the hardware paths" has "$L" "^svm: on \([0-9]+ ASIDs, NRIP save, flush by ASID\)"
guest_suite_check zambezi "$L"
