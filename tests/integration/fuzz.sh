#!/usr/bin/env bash
# Fuzz campaigns (make fuzz): the fuzz kernel with each seed, beside a
# second fuzzing partition and a canary, under QEMU (AMD-V) and Bochs
# Haswell (VT-x), each with 2 CPUs. A campaign passes when both fuzzers
# reach their end, the canary's RAM pattern is intact, nothing stopped a
# partition and the hypervisor neither faulted nor hung (the run ends by
# itself before its timeout).
#   FUZZ_SEEDS   seeds (default "1 2 3")
#   FUZZ_OPS     operations per fuzzer (default 200000)
#   FUZZ_VENDORS "qemu bochs" (default both)
#   FUZZ_TIMEOUT seconds per campaign (default 1800)
set -u
. "$(dirname "$0")/../lib.sh"
W=$B/itest/fuzz
mkdir -p "$W"
G=$B/guests
seeds=${FUZZ_SEEDS:-1 2 3}
ops=${FUZZ_OPS:-200000}
tmo=${FUZZ_TIMEOUT:-1800}

# A campaign's image: fuzzers with seeds S and S+1000 on CPUs 0 and 1,
# the canary on CPU 1.
fuzz_image() { # IMG SEED OPS CANARY_SECONDS
	mkcfg "$W/fuzz.cfg" "[vatra]" "on_all_stopped = exit" \
		"[partition fuzz]" "kernel = /guests/fuzz.elf" "memory = 32M" "cpus = 1" \
		"unmapped = ignore" "debug_exit = yes" "cmdline = seed=$2 ops=$3" \
		"[partition fuzz2]" "kernel = /guests/fuzz.elf" "memory = 32M" "cpus = 0" \
		"unmapped = ignore" "debug_exit = yes" "cmdline = seed=$(( $2 + 1000 )) ops=$3" \
		"[partition canary]" "kernel = /guests/fuzz.elf" "memory = 16M" "cpus = 1" \
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
	tr -d '\r' <"$L" | grep -E "^partition fuzz2?: exited|^\[fuzz2?\] fuzz: exceptions" | sed "s/^/  $t: /"
}

for vendor in ${FUZZ_VENDORS:-qemu bochs}; do
	for s in $seeds; do
		img=$W/fuzz-$vendor-$s.img L=$W/fuzz-$vendor-$s.log
		fuzz_image "$img" "$s" "$ops" 30
		echo "--- $vendor: seeds $s and $(( s + 1000 )), $ops operations each, beside a canary"
		start=$(date +%s)
		if [ "$vendor" = qemu ]; then
			VATRA_ACCEL=tcg "$TOP/tests/integration/vmrun.py" --log "$L" --timeout "$tmo" -- \
				"$TOP/tools/run-qemu" --test --smp 2 "$img" >/dev/null
		else
			"$TOP/tools/run-bochs" --model corei7_haswell_4770 --cpus 2 --timeout "$tmo" "$img" "$L"
		fi
		echo "  $vendor seed $s: $(( $(date +%s) - start )) s"
		fuzz_check "$vendor seed $s" "$L" "$s"
	done
done
