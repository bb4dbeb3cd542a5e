# The guest test-kernel suite (sourced by qemu.sh and bochs.sh): every
# kernel of tests/guests/ as one partition of one boot, checked from the
# serial log. Partitions run side by side; a failing one must stop alone.
: "${W:?}" "${TOP:?}" "${B:?}"
G=$B/guests

# Kernels that end with "PASS: N checks" and debug-exit status 0.
GUEST_PASS="cpuid priv msr io mmio exc inject hcall mbinfo mbinfo-low mbinfo-page1 exitloop reset features pci hostile ${GUEST_DEVICES-devices}"
# Restarts of the reset kernel (pinned to CPU 0: the TLB tag rollover).
GUEST_RESETS=${GUEST_RESETS:-16}
# GUEST_DEVICES= (empty) leaves out the devices kernel, whose timing
# checks want a CPU of their own (see bochs.sh).
# GUEST_FUZZ_FLAGS: flags for the dbg boot's fuzz kernel (no_ring0 for
# Bochs' SVM with a seed whose streams loop, see tests/guests/fuzz.c),
# for guest_dbg_image and guest_dbg_check alike.
# GUEST_DBG_FLAGS: flags for the dbg kernel where the emulator lacks a
# feature (QEMU: no_bp no_ac no_icebp; Bochs' SVM: no_dr6; see tests/guests/dbg.c).
# GUEST_NO_TRIPLE=1 leaves out the kernels that triple-fault: Bochs 2.7's
# SVM resets the whole machine on a guest triple fault instead of taking
# the SHUTDOWN intercept.

guest_suite_image() { # IMG [extra vatra.cfg lines...]
	local img=$1 cfg=$W/guests.cfg
	shift
	# Modules for mbinfo: "module K" ... "end of module K"; the second
	# spans several pages.
	printf 'module 0\nthe first test module\nend of module 0\n' >"$W/mod0.txt"
	{
		printf 'module 1\n'
		for i in $(seq 1 200); do printf 'filler line %03d of the second module, long enough to span pages\n' "$i"; done
		printf 'end of module 1\n'
	} >"$W/mod1.txt"
	{
		echo "[vatra]"
		printf '%s\n' "$@"
		for k in cpuid priv msr io mmio exc inject hcall exitloop reset features pci hostile ${GUEST_DEVICES-devices}; do
			printf '[partition %s]\nkernel = /guests/%s.elf\nmemory = 16M\ndebug_exit = yes\ncmdline = name=%s mem=16M%s\n' \
				"$k" "$k" "$k" "$([ $k = exitloop ] && echo ' loops=100000')$([ $k = reset ] && echo " resets=$GUEST_RESETS")"
			# Every restart is a new vCPU on CPU 0: with the other
			# partitions' vCPUs there, more starts than the CPU has
			# TLB tags (QEMU: 15 ASIDs; Bochs: tlb_tags), so the tag
			# generation rolls over while the suite runs.
			[ $k = reset ] && printf 'cpus = 0\n'
		done
		printf '[partition mbinfo]\nkernel = /guests/mbinfo.elf\nmemory = 24M\ndebug_exit = yes\n'
		printf 'cmdline = name=mbinfo mem=24M mods=2\n'
		printf 'modules = /guests/mod1.txt first-arg, /guests/mod2.txt\n'
		# The same kernel linked at 0x10000 and at 0x1000 (where the
		# boot information would go), and at 0xe0000 over the ACPI tables.
		for k in mbinfo-low mbinfo-page1; do
			printf '[partition %s]\nkernel = /guests/%s.elf\nmemory = 24M\ndebug_exit = yes\n' "$k" "$k"
			printf 'cmdline = name=%s mem=24M mods=2\n' "$k"
			printf 'modules = /guests/mod1.txt first-arg, /guests/mod2.txt\n'
		done
		printf '[partition mbinfo-acpi]\nkernel = /guests/mbinfo-acpi.elf\nmemory = 24M\ndebug_exit = yes\n'
		printf '[partition modes]\nkernel = /guests/modes.bin\nformat = flat\nload_addr = 0x8000\nmemory = 2M\ndebug_exit = yes\n'
		# Isolation: a marker planted in one partition's RAM never shows
		# in a sibling that scans all of its own.
		printf '[partition plant]\nkernel = /guests/scan.elf\nmemory = 16M\ndebug_exit = yes\ncmdline = role=plant\n'
		printf '[partition scan]\nkernel = /guests/scan.elf\nmemory = 16M\ndebug_exit = yes\ncmdline = role=scan\n'
		# Per-partition I/O permission maps: port 0x80 opened for
		# pdirect only; ptrapped starts after it and must still exit.
		printf '[partition pdirect]\nkernel = /guests/ports.elf\nmemory = 16M\ndebug_exit = yes\ndirect_test_port = yes\ncmdline = role=direct\n'
		printf '[partition ptrapped]\nkernel = /guests/ports.elf\nmemory = 16M\ndebug_exit = yes\ncmdline = role=trapped\n'
		# Hostile guests: a page table at the LAPIC's address, and an
		# exception delivered onto device memory.
		printf '[partition hwalk]\nkernel = /guests/hostile.elf\nmemory = 16M\ndebug_exit = yes\ncmdline = case=walk\n'
		printf '[partition hevent]\nkernel = /guests/hostile.elf\nmemory = 16M\ndebug_exit = yes\ncmdline = case=event\n'
		printf '[partition oob]\nkernel = /guests/oob.elf\nmemory = 16M\ndebug_exit = yes\ncmdline = addr=0x40000000\n'
		# The edges of RAM: first and last byte are RAM, the first byte
		# past it stops the partition, for a read and for a write.
		printf '[partition oobend]\nkernel = /guests/oob.elf\nmemory = 16M\ndebug_exit = yes\ncmdline = bounds\n'
		printf '[partition oobendw]\nkernel = /guests/oob.elf\nmemory = 16M\ndebug_exit = yes\ncmdline = bounds write\n'
		printf '[partition oobi]\nkernel = /guests/oob.elf\nmemory = 16M\ndebug_exit = yes\nunmapped = ignore\ncmdline = addr=0x40000000 ignore\n'
		if [ -z "${GUEST_NO_TRIPLE:-}" ]; then
			printf '[partition triple]\nkernel = /guests/triple.elf\nmemory = 16M\ndebug_exit = yes\n'
			printf '[partition garbage]\nkernel = /guests/garbage.elf\nmemory = 16M\ndebug_exit = yes\n'
		fi
		# And one that never exits at all: only preemption by the
		# hypervisor's own timer lets the others run beside it.
		# GUEST_SPIN_SECONDS=N: a never-exiting guest that stops itself.
		[ -n "${GUEST_SPIN_SECONDS:-}" ] &&
			printf '[partition spin]\nkernel = /guests/spin.elf\nmemory = 16M\ndebug_exit = yes\ncmdline = seconds=%s\n' "$GUEST_SPIN_SECONDS"
		if [ -n "${GUEST_SPINNER:-}" ]; then
			printf '[partition spin]\nkernel = /guests/spin.elf\nmemory = 16M\ndebug_exit = yes\n'
		fi
	} >"$cfg"
	local files=()
	for k in $GUEST_PASS mbinfo-acpi oob triple garbage spin scan xsave ports; do files+=(-f "$G/$k.elf:/guests/$k.elf"); done
	files+=(-f "$G/modes.bin:/guests/modes.bin"
		-f "$W/mod0.txt:/guests/mod1.txt" -f "$W/mod1.txt:/guests/mod2.txt")
	"$TOP/tools/mkimage" -e "$B/vatra.efi" -c "$cfg" -o "$img" "${files[@]}" >/dev/null
}

guest_suite_check() { # TAG LOG
	local t=$1 L=$2
	for k in $GUEST_PASS; do
		check "$t: guest $k passes its checks" has "$L" "^\[$k\] PASS: [0-9]+ checks"
		check "$t: guest $k exits with status 0" has "$L" "^partition $k: exited with status 0 \(debug-exit\)"
	done
	for k in pdirect ptrapped; do
		check "$t: guest $k passes its checks" has "$L" "^\[$k\] PASS: [0-9]+ checks"
		check "$t: guest $k exits with status 0" has "$L" "^partition $k: exited with status 0 \(debug-exit\)"
	done
	check "$t: a port opened for one partition reaches it without exits" \
		has "$L" "^\[pdirect\] ports: port 0x80 direct: 0 exits for 200 accesses"
	check "$t: the same port stays trapped for its sibling" \
		has "$L" "^\[ptrapped\] ports: port 0x80 trapped: 200 exits for 200 accesses"
	check "$t: the PCI test function's BAR decodes at its new place only" \
		has "$L" "^\[pci\] pci: BAR0 moved from 0xc0000000 to 0xc0100000: reads 0x4943505452544156 there, 0xffffffffffffffff at the old place"
	check "$t: the PCI test function's MSI reaches the local APIC" \
		has "$L" "^\[pci\] pci: MSI vector 0x51 to APIC 0: 3 deliveries for 3 doorbells"
	check "$t: the PCI test function's DMA stays inside its partition's RAM" \
		has "$L" "^\[pci\] pci: DMA into RAM done, outside RAM refused"
	check "$t: a guest reset starts its partition again" has "$L" "^partition reset: reset by the guest; starting again"
	check "$t: a restarted partition finds its memory and FPU/SSE registers zeroed" has "$L" "^\[reset\] reset: $GUEST_RESETS restarts; memory and FPU/SSE registers zeroed on every restart"
	check "$t: no restart of the reset kernel failed a check" hasnt "$L" "^\[reset\] FAIL"
	check "$t: CPU 0's TLB tags rolled over while the guests ran" has "$L" "^(svm|vmx): CPU 0: (ASIDs|VPIDs) rolled over, generation 2$"
	check "$t: hypercall console write reaches the console" has "$L" "^\[hcall\] hello from a hypercall$"
	check "$t: string I/O reaches the console" has "$L" "^\[io\] string-io-ok$"
	check "$t: IN and OUT write exactly their width of RAX, each of 1000 times" has "$L" "^\[io\] io: IN widths and OUT registers right 1000 times$"
	check "$t: every INS/OUTS form with DF=0 and DF=1" has "$L" "^\[io\] io: 24 string I/O forms checked with DF=0 and DF=1$"
	check "$t: no string I/O form failed" hasnt "$L" "^\[io\] io: FAIL"
	check "$t: every STOS/MOVS form on MMIO with DF=0 and DF=1" has "$L" "^\[mmio\] mmio: 48 STOS/MOVS forms checked with DF=0 and DF=1$"
	check "$t: no MMIO string form failed" hasnt "$L" "^\[mmio\] mmio: FAIL"
	for m in "real mode" "protected mode" "long mode" "back in real mode"; do
		check "$t: guest modes reports $m" has "$L" "^\[modes\] $m$"
	done
	check "$t: guest modes exits with status 0" has "$L" "^partition modes: exited with status 0"
	check "$t: a Multiboot kernel linked at 0x10000 finds its information outside its image" \
		has "$L" "^\[mbinfo-low\] mbinfo: kernel image \[0x10000, 0x[0-9a-f]+\), info at 0x1000$"
	check "$t: one linked at 0x1000 finds it moved past its image" \
		has "$L" "^\[mbinfo-page1\] mbinfo: kernel image \[0x1000, 0x[0-9a-f]+\), info at 0x[1-9a-f][0-9a-f]+000$"
	check "$t: a Multiboot kernel over the ACPI tables is refused, the overlap named" \
		has "$L" "^error: partition mbinfo-acpi: not started: kernel segment \[0xe0000, 0x[0-9a-f]+\) overlaps the ACPI tables \[0xe0000, 0x100000\)"
	check "$t: out-of-map access stops only that partition" \
		has "$L" "^error: partition oob: stopped: read from unmapped guest-physical address 0x40000000"
	check "$t: the oob guests never saw a value" hasnt "$L" "^\[oob(end|endw)?\] FAIL"
	for k in oobend oobendw; do
		check "$t: $k: the first and last byte of RAM are RAM" \
			has "$L" "^\[$k\] oob: RAM from 0x0 to 0xffffff reads back \(0 failures\)$"
	done
	check "$t: a read of the first byte past RAM stops the partition" \
		has "$L" "^error: partition oobend: stopped: read from unmapped guest-physical address 0x1000000$"
	check "$t: a write to the first byte past RAM stops the partition" \
		has "$L" "^error: partition oobendw: stopped: wrote to unmapped guest-physical address 0x1000000$"
	check "$t: unmapped = ignore: reads are all ones, writes dropped" has "$L" "^\[oobi\] PASS: [0-9]+ checks"
	check "$t: unmapped = ignore: the partition runs to its end" has "$L" "^partition oobi: exited with status 0"
	check "$t: unmapped = ignore: each access counted" \
		has "$L" "^partition oobi: unmapped accesses ignored: 7 reads, 3 writes$"
	check "$t: an emulated rep insb faulting mid-way gives the guest #PF with CR2, error code and RCX/RDI" \
		has "$L" "^\[hostile\] hostile: rep insb into an unmapped page: vector 14 err 0x2 cr2 0x800000 rdi 0x800000 rcx 6$"
	check "$t: an emulated write through a read-only mapping with CR0.WP=1 gives #PF 0x3" \
		has "$L" "^\[hostile\] hostile: movsb device->read-only page, WP=1: vector 14 err 0x3$"
	check "$t: an emulated ring-3 write to a supervisor page gives #PF 0x7" \
		has "$L" "^\[hostile\] hostile: cpl 3 movsb device->supervisor page: vector 14 err 0x7$"
	check "$t: an unemulated instruction on device memory gives the guest #UD" \
		has "$L" "^\[hostile\] hostile: push from device memory: vector 6$"
	check "$t: an exiting instruction whose page was remapped is read from the new page" \
		has "$L" "^\[hostile\] hostile: cpuid at one address, its page remapped to other code: each read as it was$"
	check "$t: a page walk through the LAPIC's address stops the partition, naming the address" \
		has "$L" "^error: partition hwalk: stopped: the guest's page-table walk reached guest-physical 0xfee00300, which is not RAM$"
	check "$t: the store through the LAPIC page table never completed" hasnt "$L" "^\[hwalk\] FAIL"
	check "$t: an exception pushed onto device memory stops the partition, naming the vector" \
		has "$L" "^error: partition hevent: stopped: delivering vector 13: the IDT or stack write at guest-physical 0xd00007f8 is not RAM$"
	check "$t: the instruction at RIP was not emulated instead" hasnt "$L" "^\[hevent\] FAIL"
	check "$t: a marker was planted in one partition" has "$L" "^\[plant\] scan: planted the marker"
	check "$t: a sibling scanning all its RAM never sees it" has "$L" "^\[scan\] scan: marker found 0 times"
	check "$t: the scanner is stopped at the end of its RAM" \
		has "$L" "^error: partition scan: stopped: read from unmapped guest-physical address 0x1000000"
	check "$t: the planting partition is unharmed" has "$L" "^partition plant: exited with status 0"
	if [ -z "${GUEST_NO_TRIPLE:-}" ]; then
		check "$t: triple fault stops only that partition" has "$L" "^error: partition triple: stopped: triple fault \(shutdown\)$"
		# Its report walks the guest's tables for RIP: PML4, PDPT, and
		# the PD's 2 MiB leaf, each table page in its own RAM.
		check "$t: the triple fault's report walks RIP through the guest's tables" eval \
			'[ "$(tr -d "\r" <"$L" | grep -B20 "^error: partition triple: vCPU 0: triple fault" | grep -cE "^error:   walk of RIP 0x[0-9a-f]+: level [432] entry at 0x[0-9a-f]+ \(nested: its RAM, 0x[0-9a-f]+\) = 0x[0-9a-f]+$")" -eq 3 ]'
		# ... and what those tables give the fetch at RIP, the read of
		# the #DF gate and a push, under the guest's paging mode: its
		# IDT is unusable by its limit, not by its paging, so nothing.
		check "$t: ... and that under the guest's paging mode its walks give no fault" eval \
			'[ "$(tr -d "\r" <"$L" | grep -B20 "^error: partition triple: vCPU 0: triple fault" | grep -cE "^error:   (a fetch at RIP|a read of the IDT.s #DF gate at|a push below RSP at) 0x[0-9a-f]+, walked under the guest.s paging mode \(CR0 0x[0-9a-f]+ CR4 0x[0-9a-f]+ EFER 0x[0-9a-f]+\): no fault$")" -eq 3 ]'
		# ... and says the CPU walked with the partition's own nested
		# root (AMD-V's nCR3, VT-x's EPTP).
		check "$t: ... and names the nested root it ran with as the partition's" eval \
			'tr -d "\r" <"$L" | grep -A8 "^error: partition triple: vCPU 0: triple fault" | grep -qE "^error:   (svm: CR2 [0-9a-fx]+ nCR3|vmx: CR2 [0-9a-fx]+ EPTP) 0x[0-9a-f]+ \(the partition.s\)"'
		# The default seed's bytes fault with no IDT: a triple fault,
		# nothing else (an exit Vatra mishandles would show here).
		check "$t: garbage-executing guest is stopped by its triple fault" \
			has "$L" "^error: partition garbage: stopped: triple fault \(shutdown\)$"
	fi
	check "$t: the hypervisor outlives them all" has "$L" "^vatra: all partitions stopped"
	check "$t: no hypervisor exception" hasnt "$L" "^error: (hypervisor exception|PANIC)"
}

# The suite's boot is at the partition limit: the debug-register and
# self-INIT kernels have a boot of their own, with two partitions.
guest_dbg_image() { # IMG [extra vatra.cfg lines...]
	local img=$1 cfg=$W/dbg.cfg
	shift
	{
		echo "[vatra]"
		printf '%s\n' "$@"
		printf '[partition dbg]\nkernel = /guests/dbg.elf\nmemory = 16M\ndebug_exit = yes\ncmdline = %s\n' "${GUEST_DBG_FLAGS:-}"
		printf '[partition initself]\nkernel = /guests/initself.elf\nmemory = 16M\ndebug_exit = yes\n'
		# XSAVE state across preemption: both on the boot CPU, the
		# scribbler writing every YMM register while xsave keeps its own.
		printf '[partition xsave]\nkernel = /guests/xsave.elf\nmemory = 16M\ndebug_exit = yes\ncpus = 0\ncmdline = name=xsave\n'
		printf '[partition scribble]\nkernel = /guests/xsave.elf\nmemory = 16M\ndebug_exit = yes\ncpus = 0\ncmdline = name=scribble role=scribble seconds=3\n'
		# NMIs; with GUEST_NMI_BUTTON=1 it waits for the operator's
		# `nmi nmi` (the boot must type it).
		printf '[partition nmi]\nkernel = /guests/nmi.elf\nmemory = 16M\ndebug_exit = yes\ncmdline = %s\n' \
			"$([ -n "${GUEST_NMI_BUTTON:-}" ] && echo button)"
		# MTRRs: the firmware's state and every MSR rule.
		printf '[partition mtrr]\nkernel = /guests/mtrr.elf\nmemory = 16M\ndebug_exit = yes\n'
		# A short fuzz campaign (make fuzz runs long ones).
		printf '[partition fuzz]\nkernel = /guests/fuzz.elf\nmemory = 32M\ndebug_exit = yes\nunmapped = ignore\ncmdline = seed=%s ops=%s ksteps=128 %s\n' \
			"${GUEST_FUZZ_SEED:-7}" "${GUEST_FUZZ_OPS:-2000}" "${GUEST_FUZZ_FLAGS:-}"
	} >"$cfg"
	"$TOP/tools/mkimage" -e "$B/vatra.efi" -c "$cfg" -o "$img" \
		-f "$G/dbg.elf:/guests/dbg.elf" -f "$G/initself.elf:/guests/initself.elf" \
		-f "$G/xsave.elf:/guests/xsave.elf" -f "$G/nmi.elf:/guests/nmi.elf" \
		-f "$G/mtrr.elf:/guests/mtrr.elf" -f "$G/fuzz.elf:/guests/fuzz.elf" >/dev/null
}

guest_dbg_check() { # TAG LOG
	local t=$1 L=$2
	check "$t: guest dbg passes its checks" has "$L" "^\[dbg\] PASS: [0-9]+ checks"
	check "$t: guest dbg exits with status 0" has "$L" "^partition dbg: exited with status 0 \(debug-exit\)"
	check "$t: #DB in a loop exits each time and is reflected" has "$L" "^\[dbg\] dbg: #DB loop: [0-9]{3,} single-step traps"
	check "$t: a 1-vCPU partition INIT-ing itself is stopped, saying why" \
		has "$L" "^error: partition initself: stopped: INIT left every vCPU waiting for a startup IPI"
	check "$t: the self-INIT guest did not run on" hasnt "$L" "^\[initself\] initself: FAIL"
	for k in xsave scribble; do
		check "$t: guest $k (XSAVE) passes its checks" has "$L" "^\[$k\] PASS: [0-9]+ checks"
	done
	check "$t: YMM registers survive preemption by a partition writing them" \
		has "$L" "^\[xsave\] xsave: preempted [1-9][0-9]* times, YMM0-15(, ZMM16 and k1)?(, PKRU)? changed 0 times"
	check "$t: guest nmi passes its checks" has "$L" "^\[nmi\] PASS: [0-9]+ checks"
	check "$t: an NMI sent in the NMI handler waits for its IRET" has "$L" "^\[nmi\] nmi: 4 NMIs, nested at most 1 deep$"
	check "$t: an NMI ends HLT with interrupts off (the PIT through the IOAPIC in NMI mode)" has "$L" \
		"^\[nmi\] nmi: an NMI ended HLT with interrupts off$"
	check "$t: guest mtrr passes its checks" has "$L" "^\[mtrr\] PASS: [0-9]+ checks"
	check "$t: MTRRCAP offers 8 variable ranges, the fixed ranges and WC" has "$L" "^\[mtrr\] mtrr: MTRRCAP 0x508$"
	check "$t: every MTRR write with a reserved bit or type #GPs" has "$L" \
		"^\[mtrr\] mtrr: 188 reserved-bit and type writes refused with #GP\(0\)$"
	check "$t: a short fuzz campaign gets through all its operations" has "$L" \
		"^\[fuzz\] fuzz: seed [0-9]+: [0-9]+ operations done"
	check "$t: the fuzzer passes its checks" has "$L" "^\[fuzz\] PASS: [0-9]+ checks"
	[ -z "${GUEST_FUZZ_FLAGS:-}" ] &&
	check "$t: the fuzzer's ring-0 code ran in 64-bit, 32-bit and 16-bit segments" has "$L" \
		"^\[fuzz\] fuzz: ring 0: [1-9][0-9]* streams, [0-9]+ instructions \(64-bit [1-9][0-9]*, 32-bit [1-9][0-9]*, 16-bit [1-9][0-9]*\)"
	check "$t: the fuzzer is not stopped" hasnt "$L" "^error: partition fuzz: stopped"
	check "$t: no hypervisor exception in the dbg boot" hasnt "$L" "^error: (hypervisor exception|PANIC)"
}
