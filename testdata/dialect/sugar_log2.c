/*
 * bpf_log2(u32) is floor(log2 v) with bpf_log2(0) == 0; bpf_log2l(u64) is
 * floor(log2 v) + 1 with bpf_log2l(0) == 1 (BCC's histogram slots). Zero counts are
 * not printed, so bpf_log2(0) is stored plus 100.
 */
BPF_HISTOGRAM(slots);
BPF_ARRAY(checks, u64, 8);
// bccc:display checks counts

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    int i = 0;
    u64 v;

    v = bpf_log2l(0);       checks.update(&i, &v); i++;
    v = bpf_log2l(1);       checks.update(&i, &v); i++;
    v = bpf_log2l(1024);    checks.update(&i, &v); i++;
    v = bpf_log2l(1ULL << 40); checks.update(&i, &v); i++;
    v = bpf_log2(0) + 100;  checks.update(&i, &v); i++;
    v = bpf_log2(1024);     checks.update(&i, &v); i++;
    slots.increment(bpf_log2l(bpf_ktime_get_ns() & 0xffff));
    return 0;
}

// test: spec A.4 bpf_log2 and bpf_log2l (BCC's +1 semantics)
// test: spec E.1 bpf_log2l is floor(log2) + 1
// test: run -d 2
// test: workload $TARGET 0 >/dev/null
// test: expect table checks KEY=0 COUNT=1
// test: expect table checks KEY=1 COUNT=1
// test: expect table checks KEY=2 COUNT=11
// test: expect table checks KEY=3 COUNT=41
// test: expect table checks KEY=4 COUNT=100
// test: expect table checks KEY=5 COUNT=10
