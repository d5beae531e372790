/*
 * deref_user_syscall_args: pointer arguments of syscall tracepoints point to
 * user memory: reads through them use the _USER CO-RE reads.
 *
 * On each nanosleep() and clock_nanosleep(), prints the requested sleep time
 * read through the user's struct __kernel_timespec, and on each openat() the
 * first character of the path.
 */
struct data_t {
    u32 pid;
    s64 sec;
    s64 nsec;
};

BPF_PERF_OUTPUT(events);
BPF_HASH(first, u32, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_nanosleep)
{
    struct data_t data = {};

    data.pid = bpf_get_current_pid_tgid() >> 32;
    data.sec = args->rqtp->tv_sec;
    data.nsec = args->rqtp->tv_nsec;
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_clock_nanosleep)
{
    struct data_t data = {};

    data.pid = bpf_get_current_pid_tgid() >> 32;
    data.sec = args->rqtp->tv_sec;
    data.nsec = args->rqtp->tv_nsec;
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    u32 c = args->filename[0];

    first.increment(c);
    return 0;
}

// test: spec A.5 user pointers: syscall tracepoint arguments (args->rqtp->tv_sec becomes BPF_CORE_READ_USER, args->filename[0] a user read)
// test: spec B.5 user pointers: syscall tracepoint arguments (args->rqtp->tv_sec becomes BPF_CORE_READ_USER, args->filename[0] a user read)
// test: run -d 2
// test: workload sleep 1
// test: expect row SEC=1 NSEC=0
