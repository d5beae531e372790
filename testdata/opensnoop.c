/*
 * opensnoop: trace open() system calls.
 *
 * Prints one line per openat() call, as it is entered: the process id, the
 * command name and the path it asked for.
 */
#include <linux/sched.h>

/* Longest path kept per event; longer paths are cut. */
#define FNAME_LEN 256

struct data_t {
    u32 pid;
    char comm[TASK_COMM_LEN];
    char fname[FNAME_LEN];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    struct data_t data = {};

    data.pid = bpf_get_current_pid_tgid() >> 32;
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    bpf_probe_read_user_str(&data.fname, sizeof(data.fname), args->filename);

    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: run -d 2
// test: workload for i in 1 2 3; do cat $TMP/open-target 2>/dev/null; done
// test: expect header PID COMM FNAME
// test: expect row FNAME=${TMP}/open-target count=3
