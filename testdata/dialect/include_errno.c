// errno values from the kernel's errno headers, compared with a syscall's return value.
#include <linux/errno.h>

BPF_HASH(fails, int, u64);

TRACEPOINT_PROBE(syscalls, sys_exit_bind)
{
	int err = -args->ret;
	if (err == EADDRINUSE || err == EACCES || err == EINVAL || err == EADDRNOTAVAIL ||
	    err == ENOENT || err == EAGAIN) {
		u64 one = 1;
		fails.update(&err, &one);
	}
	return 0;
}

// test: spec A.6 errno values (EADDRINUSE, EACCES, EINVAL, EADDRNOTAVAIL, ENOENT, EAGAIN)
