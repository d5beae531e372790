/* bpf_num_cpus(): the number of CPUs (BCC: the compiling host's online CPUs). */
BPF_ARRAY(cpus, u64, 1);
// bccc:display cpus counts

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    int k = 0;
    u64 n = bpf_num_cpus();

    cpus.update(&k, &n);
    return 0;
}

// test: spec A.4 bpf_num_cpus
// test: run -d 2
// test: workload $TARGET 0 >/dev/null
// test: expect row KEY=0 COUNT>=1
