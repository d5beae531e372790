/* RAW_TRACEPOINT_PROBE(event): ctx->args[i] are the TP_PROTO arguments. */
BPF_HASH(forks, u32, u64);

RAW_TRACEPOINT_PROBE(sched_process_fork)
{
    struct task_struct *parent = (struct task_struct *)ctx->args[0];
    u32 pid = parent->tgid;

    forks.increment(pid);
    return 0;
}

// test: spec A.3 RAW_TRACEPOINT_PROBE
// test: run -d 2
// test: workload for i in 1 2 3; do $TARGET 0 >/dev/null; done; echo self=$$ >>$VARS
// test: expect row KEY=${self} COUNT>=3
