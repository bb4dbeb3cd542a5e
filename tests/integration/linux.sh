# Linux partitions (sourced by qemu.sh and bochs.sh): the Debian cloud
# kernel with the busybox initramfs of tests/linux/init, checked from the
# lines its /init prints.
: "${W:?}" "${TOP:?}" "${B:?}"

linux_artifacts() {
	read -r LINUX_KERNEL LINUX_INITRD LINUX_INITRD_VIRTIO < <("$TOP/tools/guest-linux" "$B/linux" | tail -1)
}

linux_image() { # IMG VCPUS [extra vatra.cfg lines...]
	local img=$1 n=$2
	shift 2
	{
		echo "[vatra]"
		printf '%s\n' "$@"
		printf '[partition linux]\nkernel = /guests/vmlinuz\ninitrd = /guests/initrd.gz\n'
		printf 'cmdline = console=ttyS0\nmemory = 256M\nvcpus = %s\n' "$n"
	} >"$W/linux.cfg"
	"$TOP/tools/mkimage" -e "$B/vatra.efi" -c "$W/linux.cfg" -o "$img" \
		-f "$LINUX_KERNEL:/guests/vmlinuz" -f "$LINUX_INITRD:/guests/initrd.gz" >/dev/null
}

# A copy of the kernel whose setup header's syssize (0x1f4, 16-byte
# paragraphs of the protected-mode part) runs one paragraph and more past
# the end of the file, as a build that rounds it up can leave it: the
# loader must copy what the file has (boot.rst, "syssize").
linux_syssize_past_end() { # IN OUT
	python3 - "$1" "$2" <<'PY'
import struct, sys
k = bytearray(open(sys.argv[1], "rb").read())
sects = k[0x1f1] or 4
pm = len(k) - (sects + 1) * 512
struct.pack_into("<I", k, 0x1f4, (pm + 15) // 16 + 1)
open(sys.argv[2], "wb").write(k)
PY
}

# MemTotal the same kernel reports booted bare by QEMU with the same RAM.
linux_bare_memtotal() {
	timeout 120 qemu-system-x86_64 -accel tcg -cpu "$("$TOP/tools/qemu-cpu")" -m 256 -smp 2 -display none \
		-serial stdio -monitor none -no-reboot -kernel "$LINUX_KERNEL" -initrd "$LINUX_INITRD" \
		-append "console=ttyS0 quiet" 2>/dev/null | tr -d '\r' | tee "$W/linux-bare.log" |
		sed -n 's/^VATRA-INIT: MemTotal: *\([0-9]*\) kB/\1/p' | head -1
}

# The CPU flags a /init log shows (its "VATRA-INIT: flags" lines), one a line.
linux_flags() { # LOG
	tr -d '\r' <"$1" | sed -n 's/^\(\[linux\] \)\{0,1\}VATRA-INIT: flags //p' | tr ' ' '\n' | grep . | sort -u
}

# Flags the partition may show differently from the same kernel booted
# bare on the same CPU model (docs/cpuid.md): the virtualization
# extensions, MONITOR/MWAIT (hidden), the LAPIC model's x2APIC and
# TSC-deadline timer (emulated whatever the CPU has), AMD's VIRT_SSBD,
# the hypervisor's interface to the host's SSBD (docs/msr.md): the
# guest's `ssbd` itself must match; and what docs/cpuid.md lists as
# hidden that QEMU's -cpu max shows: the thermal monitor's `acpi`, MPX.
LINUX_FLAGS_ALLOWED="svm npt nrip_save vgif vmx ept vpid vnmi flexpriority tpr_shadow ept_ad monitor mwaitx x2apic tsc_deadline_timer virt_ssbd acpi mpx"

# With a fourth argument, MemTotal is compared with that bare reference,
# and an empty one (the reference run failed) fails the comparison
# rather than leaving nothing to compare against.
linux_check() { # TAG LOG VCPUS [BARE_MEMTOTAL_KB]
	local t=$1 L=$2 n=$3 bare=${4:-} ref=${4+yes}
	local mt
	check "$t: Linux reaches /init" has "$L" "^\[linux\] VATRA-INIT: reached /init at uptime"
	check "$t: Linux sees $n CPU(s)" has "$L" "^\[linux\] VATRA-INIT: nproc $n$"
	# The partition's own topology (CPUID synthesized from its vCPUs):
	# one package, vCPU i is core i with APIC ID i, one thread a core.
	local i all=0-$((n - 1))
	[ "$n" = 1 ] && all=0
	for i in $(seq 0 $((n - 1))); do
		check "$t: CPU $i: APIC ID $i, core $i of one package, one thread" \
			has "$L" "^\[linux\] VATRA-INIT: cpu$i apicid $i package 0 core $i threads $i cores $all$"
	done
	mt=$(tr -d '\r' <"$L" | sed -n 's/^\[linux\] VATRA-INIT: MemTotal: *\([0-9]*\) kB/\1/p' | head -1)
	if [ -n "$ref" ]; then
		check "$t: the bare reference run reports MemTotal" test -n "$bare"
		check "$t: MemTotal within 1% of bare QEMU (${mt:-?} vs ${bare:-?} kB)" \
			eval "[ -n '$mt' ] && [ -n '$bare' ] && [ \$(( ($mt - $bare) * 1000 / $bare )) -le 10 ] && [ \$(( ($bare - $mt) * 1000 / $bare )) -le 10 ]"
	else
		check "$t: MemTotal reported" test -n "$mt"
	fi
	if [ -n "$bare" ]; then
		# XSAVE and the vector extensions: what the same kernel sees
		# on the same CPU model booted bare.
		local vf bf
		vf=$(tr -d '\r' <"$L" | sed -n 's/^\[linux\] VATRA-INIT: vector flags //p' | head -1)
		bf=$(sed -n 's/^VATRA-INIT: vector flags //p' "$W/linux-bare.log" | head -1)
		check "$t: the same XSAVE/AVX flags as bare QEMU (${vf:-none})" \
			eval '[ -n "$bf" ] && [ "$vf" = "$bf" ]'
		# SSBD: the same mitigation as bare, through VIRT_SPEC_CTRL
		# where the host sets it in LS_CFG or SPEC_CTRL.
		vf=$(tr -d '\r' <"$L" | sed -n 's/^\[linux\] VATRA-INIT: vulnerability spec_store_bypass: //p' | head -1)
		bf=$(sed -n 's/^VATRA-INIT: vulnerability spec_store_bypass: //p' "$W/linux-bare.log" | head -1)
		check "$t: the same Speculative Store Bypass mitigation as bare QEMU (${vf:-none})" \
			eval '[ -n "$bf" ] && [ "$vf" = "$bf" ]'
	fi
	if [ "$n" -gt 1 ]; then
		check "$t: NMI IPIs reach the other vCPUs (SysRq backtraces from every CPU)" has "$L" \
			"^\[linux\] VATRA-INIT: NMI backtraces from cpus $(seq -s ' ' 0 $((n - 1))) $"
	fi
	check "$t: Linux finds the ACPI tables" has "$L" "^\[linux\] VATRA-INIT: acpi tables APIC DSDT FACP FACS"
	check "$t: Linux takes the MCFG's ECAM window (reserved in its e820 map)" \
		has "$L" "^\[linux\] .*PCI: MMCONFIG at \[mem 0xb0000000-0xbfffffff\] reserved in E820"
	check "$t: the timer ticks: sleep 1 takes about 1 s" \
		eval "tr -d '\r' <'$L' | sed -n 's/^\[linux\] VATRA-INIT: sleep 1 took \([0-9.]*\) s.*/\1/p' | awk '{exit !(\$1 >= 0.9 && \$1 <= 1.6)}'"
	check "$t: the guest's RTC shows this year" has "$L" "^\[linux\] VATRA-INIT: date $(date -u +%Y)-"
	check "$t: Linux powers off through ACPI" has "$L" "^partition linux: powered off by the guest \(ACPI S5\)"
	check "$t: Linux hit no unchecked MSR" hasnt "$L" "unchecked MSR access"
	if [ -n "${4+x}" ] && [ -s "$W/linux-bare.log" ]; then
		local extra
		extra=$(comm -3 <(linux_flags "$W/linux-bare.log") <(linux_flags "$L") | tr -d '\t' |
			grep -vxF -f <(tr ' ' '\n' <<<"$LINUX_FLAGS_ALLOWED") | tr '\n' ' ')
		check "$t: /proc/cpuinfo flags as bare QEMU's but for the listed ones (differ: ${extra:-none})" \
			test -z "$extra" -a "$(linux_flags "$L" | wc -l)" -gt 20
	fi
	check "$t: Linux takes the MTRRs and sets up PAT" has "$L" \
		"^\[linux\] .*x86/PAT: Configuration \[0-7\]: WB  WC  UC- UC  WB  WP  UC- WT"
	check "$t: Linux finds no fault with the MTRRs" hasnt "$L" \
		"MTRRs disabled|MTRR.*(BIOS bug|inconsistent|[Ww]arning|WARNING)|mtrr: .*(BIOS|inconsistent)"
	check "$t: /proc/mtrr: [3G, 4G) uncachable" has "$L" \
		"^\[linux\] VATRA-INIT: mtrr reg00: base=0x0c0000000 \( 3072MB\), size= 1024MB, count=1: uncachable"
	check "$t: /proc/mtrr: the ECAM window uncachable" has "$L" \
		"^\[linux\] VATRA-INIT: mtrr reg01: base=0x0b0000000 \( 2816MB\), size=  256MB, count=1: uncachable"
}
