/*
 * fentry_openat2: trace file opens at the kernel's do_sys_openat2(), with the open flags.
 *
 * Prints one line per open, as it is entered: the process id, the command name, the
 * open flags (O_* bits, from struct open_how) and the path the caller passed. The
 * arguments are read straight from the kernel function through BTF (fentry).
 */
#include <linux/sched.h>

#define FNAME_LEN 256

struct data_t {
    u32 pid;
    u64 flags;
    char comm[TASK_COMM_LEN];
    char fname[FNAME_LEN];
};

BPF_PERF_OUTPUT(events);

KFUNC_PROBE(do_sys_openat2, int dfd, const char *filename, struct open_how *how)
{
    struct data_t data = {};

    data.pid = bpf_get_current_pid_tgid() >> 32;
    data.flags = how->flags;
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    bpf_probe_read_user_str(&data.fname, sizeof(data.fname), filename);

    events.perf_submit(ctx, &data, sizeof(data));
    return 0;
}
