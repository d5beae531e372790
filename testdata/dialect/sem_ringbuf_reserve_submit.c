/*
 * ringbuf_reserve()/ringbuf_submit() and ringbuf_discard(): the reserved record's
 * type is the event type; submit flags are passed through.
 */
struct event_t {
    u32 pid;
    u64 ts;
};

BPF_RINGBUF_OUTPUT(events, 4);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct event_t *ev = events.ringbuf_reserve(sizeof(struct event_t));

    if (!ev)
        return 0;
    ev->pid = bpf_get_current_pid_tgid() >> 32;
    ev->ts = bpf_ktime_get_ns();
    if (ev->pid == 0) {
        events.ringbuf_discard(ev, 0);
        return 0;
    }
    events.ringbuf_submit(ev, 0);
    return 0;
}

// test: spec E.1 ringbuf_submit records the event struct
// test: spec A.2 ringbuf_reserve, ringbuf_submit, ringbuf_discard
// test: run -d 2
// test: workload $TARGET 0 >/dev/null & echo child=$! >>$VARS; wait
// test: expect row PID=${child} count=1
