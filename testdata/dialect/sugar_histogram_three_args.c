/* BPF_HISTOGRAM(name, key, size) with a typedef'd struct key and a compound literal key. */
typedef struct {
    u32 cpu;
    u64 slot;
} key_t;

BPF_HISTOGRAM(dist, key_t, 1024);

RAW_TRACEPOINT_PROBE(sched_switch)
{
    dist.increment((key_t){bpf_get_smp_processor_id(), bpf_log2l(bpf_ktime_get_ns() & 0xff)});
    return 0;
}

// test: spec A.1 BPF_HISTOGRAM with three arguments and a typedef key
// test: spec A.2 increment with a compound literal key
// test: run -d 1
// test: workload sleep 0.2
// test: expect hist
