/*
 * perf_submit() records the submitted struct for decoding: the tool prints its
 * fields as columns.
 */
struct event_t {
    u32 pid;
    u32 uid;
    char comm[16];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct event_t ev = {};

    ev.pid = bpf_get_current_pid_tgid() >> 32;
    ev.uid = bpf_get_current_uid_gid();
    bpf_get_current_comm(&ev.comm, sizeof(ev.comm));
    events.perf_submit(args, &ev, sizeof(ev));
    return 0;
}

// test: spec E.1 perf_submit records the event struct for decoding
// test: spec A.2 perf_submit with the tracepoint record as ctx
// test: run -d 2
// test: workload $TARGET 0 >/dev/null & echo child=$! >>$VARS; wait
// test: expect header PID UID COMM
// test: expect row PID=${child} UID=0 COMM=uprobe_target count=1
