/* One function attached to several tracepoints by directives and --attach. */
BPF_HASH(events, u32, u64);

// bccc:attach tracepoint:sched:sched_process_exec
// bccc:attach tracepoint:sched:sched_process_fork
int count_event(void *ctx)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;

    events.increment(pid);
    return 0;
}

// test: spec A.3 one function attached to several targets
// test: build --attach tracepoint:sched:sched_process_exit=count_event
// test: run -d 2
// test: workload $TARGET 0 >/dev/null & echo child=$! >>$VARS; wait; echo self=$$ >>$VARS
// test: expect row KEY=${child} COUNT>=2
