#!/usr/bin/env bash
# Fuzz campaigns (make fuzz): the fuzz kernel with each seed, beside a
# second fuzzing partition and a canary, under QEMU (AMD-V, 2 CPUs) and
# Bochs Haswell (VT-x, 1 CPU). A campaign passes when both fuzzers reach
# their end, the canary's RAM pattern is intact, nothing stopped a
# partition, the hypervisor neither faulted nor hung (the run ends by
# itself before its timeout) and the fuzzers ran FUZZ_MIN_INSNS
# instructions. Each fuzzer counts the instructions its random code
# completed, one #DB single-step trap each; the campaign prints the sum.
# The defaults are one campaign per vendor, each over 10M instructions:
# about 16M in 15 minutes on QEMU, 10.7M in 9 minutes on Bochs.
#   FUZZ_SEEDS   seeds (default 1)
#   FUZZ_OPS     operations per fuzzer (default 110000 on QEMU, 70000 on Bochs)
#   FUZZ_VENDORS "qemu bochs" (default both)
#   FUZZ_TIMEOUT seconds per campaign (default 3600)
#   FUZZ_KERN    percent of operations that are extra ring-0 code streams
#                (default 50; the fuzzer's own share comes on top)
#   FUZZ_MIN_INSNS  instructions a campaign must reach (default 0)
#   FUZZ_SECONDS each fuzzer stops after this many seconds of its own
#                (TSC) time, done or not (default 0: all FUZZ_OPS); under
#                Bochs the guest's TSC runs far ahead of the host's clock
#   FUZZ_CPUS    2 or 1 (default 2 on QEMU, 1 on Bochs, which simulates one
#                CPU faster than two); with 1 all three partitions share CPU 0
#   FUZZ_QUANTUM Bochs' SMP quantum in instructions (default 16, Bochs' own)
set -u
. "$(dirname "$0")/../lib.sh"
W=$B/itest/fuzz
mkdir -p "$W"
G=$B/guests
seeds=${FUZZ_SEEDS:-1}
tmo=${FUZZ_TIMEOUT:-3600}
kern=${FUZZ_KERN:-50}
fsecs=${FUZZ_SECONDS:-0}
min_insns=${FUZZ_MIN_INSNS:-0}

# A campaign's image: fuzzers with seeds S and S+1000 on CPUs 0 and 1,
# the canary on CPU 1 (all on CPU 0 with FUZZ_CPUS=1).
fuzz_image() { # IMG SEED OPS CANARY_SECONDS
	mkcfg "$W/fuzz.cfg" "[vatra]" "on_all_stopped = exit" \
		"[partition fuzz]" "kernel = /guests/fuzz.elf" "memory = 32M" "cpus = $c1" \
		"unmapped = ignore" "debug_exit = yes" "cmdline = seed=$2 ops=$3 kern=$kern seconds=$fsecs" \
		"[partition fuzz2]" "kernel = /guests/fuzz.elf" "memory = 32M" "cpus = 0" \
		"unmapped = ignore" "debug_exit = yes" "cmdline = seed=$(( $2 + 1000 )) ops=$3 kern=$kern seconds=$fsecs" \
		"[partition canary]" "kernel = /guests/fuzz.elf" "memory = 16M" "cpus = $c1" \
		"debug_exit = yes" "cmdline = role=canary seconds=$4 mem=16M"
	"$TOP/tools/mkimage" -e "$B/vatra.efi" -c "$W/fuzz.cfg" -o "$1" \
		-f "$G/fuzz.elf:/guests/fuzz.elf" >/dev/null
}

fuzz_check() { # TAG LOG SEED
	local t=$1 L=$2 s=$3
	for p in fuzz:$s fuzz2:$(( s + 1000 )); do
		check "$t: fuzzer ${p%%:*} (seed ${p##*:}) gets through all its operations" has "$L" \
			"^\[${p%%:*}\] fuzz: seed ${p##*:}: [0-9]+ operations done"
		check "$t: fuzzer ${p%%:*} passes its checks (its kernel memory and CR3 intact)" has "$L" \
			"^\[${p%%:*}\] PASS: [0-9]+ checks"
	done
	check "$t: the canary's RAM is intact" has "$L" "^\[canary\] canary: 0 bad words"
	check "$t: no partition stopped for a reason" hasnt "$L" "^error: partition [a-z0-9]+: stopped"
	check "$t: no hypervisor exception" hasnt "$L" "^error: (hypervisor exception|PANIC)"
	check "$t: no hang: the run ended by itself" has "$L" "^vatra: all partitions stopped"
	# Figures for docs/security.md.
	tr -d '\r' <"$L" | grep -E "^partition fuzz2?: exited|^\[fuzz2?\] fuzz: (exceptions|ring)" |
		sed "s/^/  $t: /"
	local n
	n=$(tr -d '\r' <"$L" | sed -nE 's/^\[fuzz2?\] fuzz: seed [0-9]+: ([0-9]+) instructions single-stepped$/\1/p' |
		awk '{ s += $1 } END { print s + 0 }')
	echo "  $t: $n guest instructions single-stepped (both fuzzers)"
	check "$t: the fuzzers ran at least $min_insns instructions" test "$n" -ge "$min_insns"
}

for vendor in ${FUZZ_VENDORS:-qemu bochs}; do
	if [ "$vendor" = qemu ]; then
		ops=${FUZZ_OPS:-110000} ncpus=${FUZZ_CPUS:-2}
	else
		ops=${FUZZ_OPS:-70000} ncpus=${FUZZ_CPUS:-1}
	fi
	c1=$(( ncpus > 1 ? 1 : 0 ))
	for s in $seeds; do
		img=$W/fuzz-$vendor-$s.img L=$W/fuzz-$vendor-$s.log
		fuzz_image "$img" "$s" "$ops" 30
		echo "--- $vendor: seeds $s and $(( s + 1000 )), $ops operations each, beside a canary"
		start=$(date +%s)
		if [ "$vendor" = qemu ]; then
			VATRA_ACCEL=tcg "$TOP/tests/integration/vmrun.py" --log "$L" --timeout "$tmo" -- \
				"$TOP/tools/run-qemu" --test --smp "$ncpus" "$img" >/dev/null
		else
			"$TOP/tools/run-bochs" --model corei7_haswell_4770 --cpus "$ncpus" ${FUZZ_QUANTUM:+--quantum $FUZZ_QUANTUM} \
				--timeout "$tmo" "$img" "$L"
		fi
		echo "  $vendor seed $s: $(( $(date +%s) - start )) s"
		fuzz_check "$vendor seed $s" "$L" "$s"
	done
done
