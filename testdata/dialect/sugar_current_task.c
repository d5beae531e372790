/*
 * bpf_get_current_task() returns u64 in BCC: assigned to a task pointer without a
 * cast, or cast explicitly.
 */
struct event_t {
    u32 pid;
    u32 tgid;
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct task_struct *t = bpf_get_current_task();
    struct task_struct *u = (struct task_struct *)bpf_get_current_task();
    struct event_t ev = {};

    ev.pid = t->pid;
    ev.tgid = u->tgid;
    events.perf_submit(args, &ev, sizeof(ev));
    return 0;
}

// test: spec A.4 bpf_get_current_task returning u64
// test: spec E.7 bpf_get_current_task assigned without a cast
// test: run -d 2
// test: workload $TARGET 0 >/dev/null & echo child=$! >>$VARS; wait
// test: expect row PID=${child} TGID=${child} count=1
