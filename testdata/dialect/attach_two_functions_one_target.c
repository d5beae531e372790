/* Two functions on one tracepoint both attach; each counts every event. */
BPF_HASH(first, u32, u64);
BPF_HASH(second, u32, u64);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;

    first.increment(pid);
    return 0;
}

// bccc:attach tracepoint:sched:sched_process_exec
int also_on_exec(void *ctx)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;

    second.increment(pid);
    return 0;
}

// test: spec A.3 two functions attached to one target
// test: run -d 2
// test: workload $TARGET 0 >/dev/null & echo child=$! >>$VARS; wait
// test: expect table first KEY=${child} COUNT=1
// test: expect table second KEY=${child} COUNT=1
