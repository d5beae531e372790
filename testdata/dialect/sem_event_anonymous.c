/*
 * An event struct with no name at file scope (an anonymous struct declared in the
 * probe, as BCC's trace_perf_output example has it, and a named one declared inside
 * a function): its fields still become the tool's columns.
 */
BPF_PERF_OUTPUT(events);
BPF_RINGBUF_OUTPUT(ring, 4);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct {
        u32 pid;
        u64 magic;
    } data = {bpf_get_current_pid_tgid() >> 32, 0x12345678};
    struct local_t {
        u32 pid;
        u32 twice;
    } local = {data.pid, data.pid * 2};

    events.perf_submit(args, &data, sizeof(data));
    ring.ringbuf_output(&local, sizeof(local), 0);
    return 0;
}

// test: spec E.1 perf_submit records an anonymous or block-scope event struct
// test: spec A.2 perf_submit and ringbuf_output of block-scope types
// test: run -d 2
// test: workload $TARGET 0 >/dev/null & echo child=$! >>$VARS; wait
// test: expect stdout MAGIC
// test: expect row PID=${child} MAGIC=305419896
