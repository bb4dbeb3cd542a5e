#!/usr/bin/env bash
# Installs the Debian 12 packages Vatra builds, runs and tests with, when
# any is missing. Safe to run again; prints what it does.
set -euo pipefail

# what to look for  -> package that provides it
checks=(
	"cmd:gcc gcc"
	"file:/usr/include/stdio.h libc6-dev"
	"cmd:ld binutils"
	"cmd:make make"
	"cmd:nasm nasm"
	"file:/usr/lib/crt0-efi-x86_64.o gnu-efi"
	"cmd:mcopy mtools"
	"cmd:mkfs.fat dosfstools"
	"cmd:sgdisk gdisk"
	"cmd:qemu-system-x86_64 qemu-system-x86"
	"file:/usr/share/OVMF/OVMF_CODE.fd ovmf"
	"cmd:bochs bochs"
	"file:/usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_term_gui.so bochs-term"
	"file:/usr/share/bochs/BIOS-bochs-latest bochsbios"
	"file:/usr/share/vgabios/vgabios.bin vgabios"
	"file:/usr/include/cmocka.h libcmocka-dev"
	"cmd:python3 python3"
	"cmd:cpio cpio"
	"file:/usr/sbin/mke2fs e2fsprogs"
	"cmd:timeout coreutils"
	"cmd:gcovr gcovr"
	"cmd:dpkg-source dpkg-dev"
	"cmd:xz xz-utils"
	"cmd:openssl openssl"
	"cmd:curl curl"
	"file:/usr/lib/python3/dist-packages/prometheus_client/__init__.py python3-prometheus-client"
)

missing=()
for c in "${checks[@]}"; do
	what=${c%% *}
	pkg=${c##* }
	case $what in
	cmd:*) command -v "${what#cmd:}" >/dev/null 2>&1 && continue ;;
	file:*) [ -e "${what#file:}" ] && continue ;;
	esac
	missing+=("$pkg")
done

[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: run as root (or with sudo):" >&2
	echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed ${missing[*]}"
