/*
 * syscall__NAME(ctx, args...): attached by the user (BCC's Python attaches it to
 * the syscall's kernel function); the arguments are the syscall's, read through
 * the syscall wrapper's inner pt_regs on kernels that have one.
 */
#include <uapi/linux/ptrace.h>

struct event_t {
    u32 pid;
    int flags;
    char path[64];
};

BPF_PERF_OUTPUT(events);

// bccc:attach kprobe:__x64_sys_openat
int syscall__openat(struct pt_regs *ctx, int dfd, const char __user *filename, int flags)
{
    struct event_t ev = {};

    ev.pid = bpf_get_current_pid_tgid() >> 32;
    ev.flags = flags;
    bpf_probe_read_user_str(&ev.path, sizeof(ev.path), filename);
    events.perf_submit(ctx, &ev, sizeof(ev));
    return 0;
}

// test: spec A.3 syscall__ functions with syscall-wrapper arguments
// test: spec B.1 syscall__ parameters read through the wrapper's pt_regs
// test: needs kprobes
// test: run -d 2
// test: workload cat $TMP/syscall-open 2>/dev/null; true
// test: expect row PATH=${TMP}/syscall-open FLAGS=0
