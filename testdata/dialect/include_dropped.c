// FMODE_NONOTIFY's value differs between kernels (linux/fs.h: 0x4000000 before 6.12, 0x2000000
// since): bccc's headers leave it out and say why.
#include <linux/fs.h>

BPF_HASH(created, u32, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
	u32 key = args->flags & FMODE_NONOTIFY;
	u64 one = 1;
	created.update(&key, &one);
	return 0;
}

// test: spec A.6 a kernel constant whose value differs between kernels
// test: error bccc::E0108
