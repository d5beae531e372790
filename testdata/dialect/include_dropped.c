// FMODE_CREATED's value differs between kernels (linux/fs.h): bccc's headers leave it out and
// say why.
#include <linux/fs.h>

BPF_HASH(created, u32, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
	u32 key = args->flags & FMODE_CREATED;
	u64 one = 1;
	created.update(&key, &one);
	return 0;
}

// test: spec A.6 a kernel constant whose value differs between kernels
// test: error bccc::E0108
