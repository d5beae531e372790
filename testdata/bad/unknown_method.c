/*
 * bad/unknown_method: calls a map method that BCC does not have.
 * Expected: one error, an unknown map method `frobnicate` on `counts`.
 */

BPF_HASH(counts, u32, u64);

TRACEPOINT_PROBE(raw_syscalls, sys_enter)
{
    u32 k = bpf_get_current_pid_tgid() >> 32;

    counts.frobnicate(&k);
    return 0;
}

// test: error bccc::E0201
