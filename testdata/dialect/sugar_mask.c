/* MASK(n) and MASK128(n): the low n bits set (all bits from 64 / 128 on). */
BPF_ARRAY(masks, u64, 4);
// bccc:display masks counts

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    int i = 0;
    u64 v;
    unsigned __int128 wide = MASK128(70);

    v = MASK(4);                  masks.update(&i, &v); i++;
    v = MASK(64);                 masks.update(&i, &v); i++;
    v = (u64)(wide >> 64);        masks.update(&i, &v); i++;
    return 0;
}

// test: spec A.4 MASK and MASK128
// test: run -d 2
// test: workload $TARGET 0 >/dev/null
// test: expect row KEY=0 COUNT=15
// test: expect row KEY=1 COUNT=18446744073709551615
// test: expect row KEY=2 COUNT=63
