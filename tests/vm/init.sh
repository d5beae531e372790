#!/bin/busybox sh
# shellcheck shell=dash
# /init of the VM test initramfs: mounts what BPF tools need, runs /test/cmd with stdout and
# stderr on ttyS1/ttyS2, reports its exit status on the console (ttyS0) and powers off.
/bin/busybox --install -s /bin
export PATH=/bin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t debugfs debugfs /sys/kernel/debug
mount -t securityfs securityfs /sys/kernel/security
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
mkdir -p /sys/fs/bpf && mount -t bpf bpf /sys/fs/bpf
# The kernel's build configuration where a Debian system keeps it (libbpf reads CONFIG_* from
# it for programs that test them), when the host sent it along.
if [ -f /test/boot-config ]; then
	mkdir -p /boot
	cp /test/boot-config "/boot/config-$(uname -r)"
fi
ulimit -l unlimited
stty -F /dev/ttyS1 raw -echo
stty -F /dev/ttyS2 raw -echo
echo "BCCC-VM-BOOTED kernel=$(uname -r) uptime=$(cut -d' ' -f1 /proc/uptime)"
cd /test || poweroff -f
sh /test/cmd </dev/null >/dev/ttyS1 2>/dev/ttyS2
rc=$?
echo "BCCC-VM-EXIT=$rc uptime=$(cut -d' ' -f1 /proc/uptime)"
sync
poweroff -f
