/*
 * bad/unknown_tracepoint: a tracepoint that no kernel has.
 * Expected: one error, unknown tracepoint nosuch:event.
 */

BPF_HASH(counts, u32, u64);

TRACEPOINT_PROBE(nosuch, event)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;

    counts.increment(pid);
    return 0;
}

// test: error bccc::E0203
