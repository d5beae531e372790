/*
 * bad/type_error: a plain C type error that clang reports.
 * Expected: one error on the line `u64 total = key;` (line 20), which
 * initializes an integer from a struct.
 */

struct key_t {
    u32 pid;
    u32 cpu;
};

BPF_HASH(counts, struct key_t, u64);

TRACEPOINT_PROBE(raw_syscalls, sys_enter)
{
    struct key_t key = {};

    key.pid = bpf_get_current_pid_tgid() >> 32;
    key.cpu = bpf_get_smp_processor_id();
    u64 total = key;
    counts.increment(key, total);
    return 0;
}

// test: error bccc::E0101
