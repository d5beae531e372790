/*
 * Static functions with bodies are helpers (always inlined); only non-static
 * functions are programs.
 */
BPF_HASH(counts, u32, u64);

static u32 current_pid(void)
{
    return bpf_get_current_pid_tgid() >> 32;
}

static inline void count(u32 pid, u64 n)
{
    counts.increment(pid, n);
}

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    count(current_pid(), 1);
    return 0;
}

// test: spec A.3 static functions are inlined helpers
// test: run -d 2
// test: workload $TARGET 0 >/dev/null & echo child=$! >>$VARS; wait
// test: expect row KEY=${child} COUNT=1
