/*
 * increment() inserts a missing key only in BPF_MAP_TYPE_HASH maps: a histogram
 * with a struct key (a hash) gets new keys, one with an int key (an array) and a
 * BPF_ARRAY never insert (their slots exist already), a PERCPU_HASH does not.
 */
struct key_t {
    u32 cpu;
    u64 slot;
};

BPF_HISTOGRAM(by_cpu, struct key_t);
BPF_HISTOGRAM(plain);
BPF_ARRAY(arr, u64, 4);
BPF_PERCPU_HASH(pcpu, u32, u64);

TRACEPOINT_PROBE(sched, sched_switch)
{
    struct key_t k = {.cpu = bpf_get_smp_processor_id(), .slot = 1};

    by_cpu.increment(k);
    plain.increment(2);
    arr.increment(3, 5);
    pcpu.increment(k.cpu);
    return 0;
}

// test: spec E.1 increment inserts missing keys only into HASH maps
// test: spec A.2 increment with a step
// test: run -d 1
// test: workload sleep 0.2
// test: expect table arr KEY=3 COUNT>0
