/*
 * tp_raw_syscalls: raw_syscalls:sys_enter and sys_exit, whose records hold the
 * syscall number (args->id) and its arguments as an array (args->args[i]).
 * Prints each openat() with O_WRONLY|O_CREAT|O_TRUNC and mode 0666, and counts
 * openat() calls that failed with ENOENT.
 */
struct data_t {
    s64 id;
    u64 flags;
    u64 mode;
    u64 sum;
};

BPF_PERF_OUTPUT(events);
BPF_HASH(enoent, s64, u64);

TRACEPOINT_PROBE(raw_syscalls, sys_enter)
{
    struct data_t data = {};

    if (args->id != 257 || args->args[2] != 577 || args->args[3] != 0666)
        return 0;
    data.id = args->id;
    data.flags = args->args[2];
    data.mode = args->args[3];
    /* A run-time index: a probe read of args->args[i]. */
    for (int i = 2; i < 4; i++)
        data.sum += args->args[i];
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

TRACEPOINT_PROBE(raw_syscalls, sys_exit)
{
    if (args->id == 257 && args->ret == -2)
        enoent.increment(args->id);
    return 0;
}

// test: spec A.7 raw_syscalls:sys_enter args->id and args->args[i] (literal and run-time index)
// test: spec A.7 raw_syscalls:sys_exit args->id and args->ret
// test: run -d 2
// test: workload echo x >$TMP/raw; cat $TMP/missing 2>/dev/null
// test: expect header ID FLAGS MODE SUM
// test: expect row ID=257 FLAGS=577 MODE=438 SUM=1015
// test: expect table enoent KEY=257 COUNT>=1
