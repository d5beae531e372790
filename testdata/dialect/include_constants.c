// Constants from several kernel headers, used in a tracepoint program.
#include <uapi/linux/ptrace.h>
#include <linux/fcntl.h>
#include <linux/sched.h>
#include <linux/blkdev.h>
#include <linux/if_ether.h>
#include <linux/if.h>
#include <linux/socket.h>
#include <linux/kdev_t.h>
#include <uapi/linux/pkt_cls.h>

BPF_HASH(counts, u32, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
	u32 key = 0;
	if (args->flags & O_CREAT)
		key |= 1;
	if (args->flags & O_TMPFILE)
		key |= 2;
	u64 sum = TASK_RUNNING + DISK_NAME_LEN + ETH_P_IP + IFNAMSIZ + AF_INET6 + MINORBITS +
		  TC_ACT_SHOT + SCM_RIGHTS + REQ_OP_MASK;
	counts.update(&key, &sum);
	return 0;
}

// test: spec A.6 kernel macros from uapi/linux, linux/, net headers (O_CREAT, TASK_RUNNING, DISK_NAME_LEN, ETH_P_IP, IFNAMSIZ, AF_INET6, MINORBITS, TC_ACT_SHOT, SCM_RIGHTS, REQ_OP_MASK)
