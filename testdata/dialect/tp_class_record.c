/*
 * tp_class_record: an event whose record is its class's (sched_wakeup_new uses
 * sched_wakeup_template's layout; vmlinux.h has no struct named after the event).
 * Counts new tasks' first wakeups per pid.
 */
BPF_HASH(woken, u32, u64);

TRACEPOINT_PROBE(sched, sched_wakeup_new)
{
    u32 pid = args->pid;

    woken.increment(pid);
    return 0;
}

// test: spec C.2 event-class record (sched_wakeup_new → trace_event_raw_sched_wakeup_template)
// test: run -d 2
// test: workload $TARGET 1 >/dev/null & echo child=$! >>$VARS; wait
// test: expect table woken KEY=${child} COUNT=1
