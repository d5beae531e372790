/*
 * fentry_openat2: trace file opens at the kernel's do_sys_openat2(), with flags,
 * result and latency.
 *
 * An fentry program notes when each thread enters do_sys_openat2(); an fexit
 * program on the same function prints one line per open as it returns: the
 * process id, the command name, the open flags (O_* bits, from struct open_how),
 * the result (a file descriptor, or -errno), the time spent in nanoseconds and
 * the path the caller passed. Arguments and the return value are read straight
 * from the kernel function through BTF (KFUNC_PROBE / KRETFUNC_PROBE).
 */
#include <linux/sched.h>

#define FNAME_LEN 256

struct data_t {
    u32 pid;
    u64 flags;
    s64 ret;
    u64 lat_ns;
    char comm[TASK_COMM_LEN];
    char fname[FNAME_LEN];
};

/* Entry time of each thread inside do_sys_openat2(), by thread id. */
BPF_HASH(start, u32, u64);
BPF_PERF_OUTPUT(events);

KFUNC_PROBE(do_sys_openat2, int dfd, const char *filename, struct open_how *how)
{
    u32 tid = bpf_get_current_pid_tgid();
    u64 ts = bpf_ktime_get_ns();

    start.update(&tid, &ts);
    return 0;
}

/*
 * do_sys_openat2() returns long up to 6.12 and int on newer kernels: declaring the result
 * int reads the right value from both (an fd or -errno always fits), while long would read
 * undefined upper bytes where the kernel returns int.
 */
KRETFUNC_PROBE(do_sys_openat2, int dfd, const char *filename, struct open_how *how, int ret)
{
    u32 tid = bpf_get_current_pid_tgid();
    u64 *tsp = start.lookup(&tid);
    struct data_t data = {};

    if (tsp == 0)
        return 0;
    data.lat_ns = bpf_ktime_get_ns() - *tsp;
    start.delete(&tid);
    data.pid = bpf_get_current_pid_tgid() >> 32;
    data.flags = how->flags;
    data.ret = ret;
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    bpf_probe_read_user_str(&data.fname, sizeof(data.fname), filename);

    events.perf_submit(ctx, &data, sizeof(data));
    return 0;
}

// test: needs fentry func:do_sys_openat2
// test: run -d 2
// test: workload cat $TMP/fentry-open 2>/dev/null; true
// test: expect row FNAME=${TMP}/fentry-open FLAGS=32768 RET=-2 LAT_NS>0
