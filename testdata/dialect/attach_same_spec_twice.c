/*
 * The same attach spec named twice (by the TRACEPOINT_PROBE name and by a
 * directive) is one attachment, not two.
 */
BPF_HASH(execs, u32, u64);

// bccc:attach tracepoint:sched:sched_process_exec
TRACEPOINT_PROBE(sched, sched_process_exec)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;

    execs.increment(pid);
    return 0;
}

// test: spec A.3 one spec named twice attaches once
// test: build --attach tracepoint:sched:sched_process_exec=tracepoint__sched__sched_process_exec
// test: run -d 2
// test: workload $TARGET 0 >/dev/null & echo child=$! >>$VARS; wait
// test: expect row KEY=${child} COUNT=1 count=1
