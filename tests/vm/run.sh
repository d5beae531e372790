#!/usr/bin/env bash
# Boots one kernel under qemu (TCG) with a busybox initramfs and runs a program inside the guest.
#
#   tests/vm/run.sh KERNEL PROGRAM [ARGS...]
#
# KERNEL is a directory from fetch-kernel.sh (holding vmlinuz) or a vmlinuz path. PROGRAM (a
# script or static binary) runs as root in /test; its stdout/stderr (separate serial ports, so
# kernel messages never mix in) are forwarded to ours after the VM stops. Exit status: the
# program's, 124 on timeout, 125 when the guest failed to boot or run it (console tail on stderr).
#
# Environment: BCCC_VM_FILES="src[:dst] ..." extra files or directories copied to
# /test/<dst or basename>;
# BCCC_VM_TIMEOUT (seconds, 300); BCCC_VM_MEM (512M); BCCC_VM_CMDLINE (appended to the kernel
# command line); BCCC_VM_ACCEL (tcg: KVM on this host is PVM and fails, see the vmtest guide);
# BCCC_VM_CONSOLE=path keeps the console log; BCCC_VM_CACHE holds the cached base initramfs;
# BCCC_VM_DISK_MB=N attaches a zeroed N MiB NVMe disk (the Debian cloud kernels build the NVMe
# driver in; their virtio-blk is a module the initramfs lacks).
set -euo pipefail

die() { echo "vm-run: $*" >&2; exit 125; }

[ $# -ge 2 ] || die "usage: $0 KERNEL PROGRAM [ARGS...]"
kernel=$1 prog=$2
shift 2
[ -d "$kernel" ] && kernel=$kernel/vmlinuz
[ -f "$kernel" ] || die "no kernel image at $kernel"
[ -f "$prog" ] || die "no program at $prog"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (install qemu-system-x86)"
command -v cpio >/dev/null || die "cpio missing (install cpio)"
busybox=${BCCC_VM_BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || die "$busybox missing (install busybox-static)"
# A dynamic busybox names its ELF interpreter; the initramfs has no libc for it.
if grep -qa '/lib64/ld-linux-x86-64.so.2' "$busybox"; then
	die "$busybox is dynamically linked (install busybox-static)"
fi

cache=${BCCC_VM_CACHE:-/var/cache/bccc-vm}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$cache/initramfs"

# Base archive: busybox + /init, built once per (busybox, init) content and reused.
key=$(cat "$busybox" "$here/init.sh" | sha256sum | cut -c1-16)
base=$cache/initramfs/base-$key.cpio
if [ ! -s "$base" ]; then
	root=$(mktemp -d)
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,test}
	cp "$busybox" "$root/bin/busybox"
	cp "$here/init.sh" "$root/init"
	chmod 755 "$root/init"
	# Parallel VMs may race here: write under a unique name, then rename.
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$base.$$"
	mv "$base.$$" "$base"
	rm -rf "$root"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
payload=$work/payload
mkdir -p "$payload/test"
cp "$prog" "$payload/test/prog"
chmod 755 "$payload/test/prog"
for spec in ${BCCC_VM_FILES:-}; do
	src=${spec%%:*}
	dst=$(basename "$src")
	[ "$spec" != "$src" ] && dst=${spec#*:}
	[ -e "$src" ] || die "BCCC_VM_FILES: no file or directory $src"
	mkdir -p "$(dirname "$payload/test/$dst")"
	cp -R "$src" "$payload/test/$dst"
done
# The command line the guest runs, quoted so arguments survive intact.
{
	printf 'exec ./prog'
	for a in "$@"; do printf " %q" "$a"; done
	printf '\n'
} >"$payload/test/cmd"
(cd "$payload" && find . | cpio -o -H newc --quiet) >"$work/payload.cpio"
cat "$base" "$work/payload.cpio" >"$work/initrd.cpio"

console=$work/console.log
: >"$console"
: >"$work/stdout"
: >"$work/stderr"
timeout_s=${BCCC_VM_TIMEOUT:-300}
disk=()
if [ -n "${BCCC_VM_DISK_MB:-}" ]; then
	truncate -s "${BCCC_VM_DISK_MB}M" "$work/disk.img"
	disk=(-drive "file=$work/disk.img,if=none,id=disk0,format=raw" -device nvme,serial=bccc0,drive=disk0)
fi
set +e
timeout -k 5 "$timeout_s" qemu-system-x86_64 \
	-accel "${BCCC_VM_ACCEL:-tcg}" -cpu max -m "${BCCC_VM_MEM:-512M}" -smp 1 \
	-nodefaults -no-user-config -display none -no-reboot \
	-serial "file:$console" -serial "file:$work/stdout" -serial "file:$work/stderr" \
	"${disk[@]}" -kernel "$kernel" -initrd "$work/initrd.cpio" \
	-append "console=ttyS0 quiet panic=-1 oops=panic ${BCCC_VM_CMDLINE:-}" \
	</dev/null >"$work/qemu.log" 2>&1
qrc=$?
set -e
[ -n "${BCCC_VM_CONSOLE:-}" ] && cp "$console" "$BCCC_VM_CONSOLE"
cat "$work/stdout"
cat "$work/stderr" >&2

if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	echo "vm-run: timed out after ${timeout_s}s; console tail:" >&2
	tail -n 30 "$console" >&2
	exit 124
fi
rc=$(grep -a -o 'BCCC-VM-EXIT=[0-9]*' "$console" | tail -n1 | cut -d= -f2 || true)
if [ -z "$rc" ]; then
	echo "vm-run: guest did not finish (qemu exit $qrc); qemu said:" >&2
	cat "$work/qemu.log" >&2
	echo "vm-run: console tail:" >&2
	tail -n 30 "$console" >&2
	exit 125
fi
exit "$rc"
