// `#if LINUX_VERSION_CODE` and `#ifdef CONFIG_X` are decided when bccc builds, the same for
// every kernel: the program builds and loads, with a bccc::E0109 warning on each.
#include <linux/version.h>

BPF_HASH(seen, u32, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
	u32 key = 0;
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 16, 0)
	key = 1;
#endif
#ifdef CONFIG_NUMA
	key |= 2;
#endif
	seen.increment(key);
	return 0;
}

// test: spec A.6 #if LINUX_VERSION_CODE / #ifdef CONFIG_X in the preprocessor (warning bccc::E0109)
// test: spec E.3 #if LINUX_VERSION_CODE / #ifdef CONFIG_* answered at build time, with a warning
