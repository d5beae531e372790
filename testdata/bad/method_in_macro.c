/*
 * bad/method_in_macro: a map method called through a C macro, which BCC
 * rejects ("cannot use map function inside a macro").
 * Expected: one error at the BUMP(pid) use.
 */

#define BUMP(k) counts.increment(k)

BPF_HASH(counts, u32, u64);

TRACEPOINT_PROBE(raw_syscalls, sys_enter)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;

    BUMP(pid);
    return 0;
}

// test: error bccc::E0202
