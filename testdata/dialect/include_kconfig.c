// IS_ENABLED(CONFIG_X), a CONFIG_X variable and LINUX_VERSION_CODE tested in C: libbpf sets
// them from the kernel the program loads into (`__kconfig`), so one build answers for every
// kernel. The key is 1|4 here (BPF syscall built in, no such option, Linux >= 5.5).
#include <linux/kconfig.h>
#include <linux/version.h>

extern bool CONFIG_BPF_SYSCALL __kconfig __weak;
extern bool CONFIG_BCCC_NO_SUCH_OPTION __kconfig __weak;

BPF_HASH(facts, u32, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	u32 key = 0;
	if (IS_ENABLED(CONFIG_BPF_SYSCALL))
		key |= 1;
	if (CONFIG_BCCC_NO_SUCH_OPTION)
		key |= 2;
	if (LINUX_VERSION_CODE >= KERNEL_VERSION(5, 5, 0))
		key |= 4;
	facts.increment(key);
	return 0;
}

// test: spec A.6 IS_ENABLED(CONFIG_X) and CONFIG_X (extern __kconfig __weak) tested in C at load time
// test: spec A.6 LINUX_VERSION_CODE >= KERNEL_VERSION(...) tested in C at load time
// test: spec E.3 kernel-version and config adaptation in C instead of #if (one build for every kernel)
// test: needs CONFIG_FTRACE_SYSCALLS
// test: run -d 2
// test: workload for i in 1 2 3; do sh -c 'echo $PPID' >/dev/null; done
// test: expect row KEY=5 COUNT>=3
