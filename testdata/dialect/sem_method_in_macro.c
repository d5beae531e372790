/*
 * A map method written inside a macro is an error in BCC ("cannot use map function
 * inside a macro"): the rewrite cannot edit text a macro expands to.
 */
BPF_HASH(counts, u32, u64);

#define COUNT(k) counts.increment(k)

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    COUNT(bpf_get_current_pid_tgid() >> 32);
    return 0;
}

// test: spec E.1 map methods inside a macro are refused
// test: error bccc::E0202
