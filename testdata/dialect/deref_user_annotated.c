/*
 * deref_user_annotated: a parameter declared `__user` points to user memory,
 * the others of a kprobe to kernel memory.
 *
 * On each do_sys_openat2(), counts opens by the first character of the path
 * (a user string) and prints the open flags (from the kernel's open_how).
 */
#include <linux/fs.h>

struct data_t {
    u32 pid;
    u32 first;
    u64 flags;
};

BPF_PERF_OUTPUT(events);

int kprobe__do_sys_openat2(struct pt_regs *ctx, int dfd, const char __user *filename,
                           struct open_how *how)
{
    struct data_t data = {};

    data.pid = bpf_get_current_pid_tgid() >> 32;
    data.first = filename[0];
    data.flags = how->flags;
    events.perf_submit(ctx, &data, sizeof(data));
    return 0;
}

// test: spec A.5 user pointers: a __user parameter is read with bpf_core_read_user, open_how with BPF_CORE_READ
// test: spec B.5 user pointers: a __user parameter is read with bpf_core_read_user, open_how with BPF_CORE_READ
// test: needs kprobes
// test: run -d 2
// test: workload cat /dev/null
// test: expect row FIRST=47
