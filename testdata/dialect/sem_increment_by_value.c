/*
 * increment() takes its key by value (BCC declares `typeof(m.key) _key = key;`), so
 * an expression that is not an lvalue is a key, and the default step is 1.
 */
BPF_HASH(counts, u32, u64);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    counts.increment(bpf_get_current_pid_tgid() >> 32);
    return 0;
}

// test: spec E.1 increment takes the key by value
// test: spec A.2 increment with the default step
// test: run -d 2
// test: workload $TARGET 0 >/dev/null & echo child=$! >>$VARS; wait
// test: expect row KEY=${child} COUNT=1
