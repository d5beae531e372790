/* lock_xadd(ptr, v) and __sync_fetch_and_add on map values. */
BPF_ARRAY(total, u64, 2);
// bccc:display total counts

RAW_TRACEPOINT_PROBE(sched_switch)
{
    int k0 = 0, k1 = 1;
    u64 *a = total.lookup(&k0);
    u64 *b = total.lookup(&k1);

    if (a)
        lock_xadd(a, 1);
    if (b)
        __sync_fetch_and_add(b, 2);
    return 0;
}

// test: spec A.4 lock_xadd
// test: run -d 1
// test: workload sleep 0.2
// test: expect row KEY=1 COUNT>=2
