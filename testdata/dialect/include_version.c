// LINUX_VERSION_CODE in C: libbpf's LINUX_KERNEL_VERSION (__kconfig), decided at load time on
// the target kernel, not when bccc builds.
#include <linux/version.h>

BPF_HASH(seen, u32, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
	u32 key = 0;
	if (LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0))
		key = 1;
	u64 v = LINUX_VERSION_CODE;
	seen.update(&key, &v);
	return 0;
}

// test: spec A.6 LINUX_VERSION_CODE and KERNEL_VERSION tested in C (load-time __kconfig value)
