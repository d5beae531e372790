/*
 * atomic_increment(): the found path is an atomic add (lock_xadd); the insert
 * path is a plain NOEXIST update, as in BCC.
 */
BPF_HASH(switches, u32, u64);

RAW_TRACEPOINT_PROBE(sched_switch)
{
    u32 cpu = bpf_get_smp_processor_id();

    switches.atomic_increment(cpu);
    switches.atomic_increment(cpu, 2);
    return 0;
}

// test: spec E.1 atomic_increment: atomic found path, plain insert
// test: spec A.2 atomic_increment with and without a step
// test: run -d 1
// test: workload sleep 0.2
// test: expect row KEY>=0 COUNT>=3
