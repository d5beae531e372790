// The kernel headers BCC's tools include most, together, with a few of their names.
#include <uapi/linux/ptrace.h>
#include <linux/sched.h>
#include <linux/fs.h>
#include <net/sock.h>
#include <linux/blkdev.h>
#include <linux/dcache.h>
#include <uapi/linux/limits.h>

struct data_t {
	u32 pid;
	char comm[TASK_COMM_LEN];
	char name[DNAME_INLINE_LEN];
};
BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
	struct data_t data = {};
	data.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(&data.comm, sizeof(data.comm));
	if (PATH_MAX > NAME_MAX && (PF_KTHREAD & 0) == 0)
		events.perf_submit(args, &data, sizeof(data));
	return 0;
}

// test: spec A.6 the most used BCC tool headers (uapi/linux/ptrace.h, linux/sched.h, linux/fs.h, net/sock.h, linux/blkdev.h, linux/dcache.h, uapi/linux/limits.h)
