/*
 * lookup_or_try_init() and increment() use their key argument more than once in
 * BCC's expansion; a key with no side effects behaves the same either way, and
 * the init value is only read on insertion.
 */
BPF_HASH(counts, u64, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_getpid)
{
    u64 key = bpf_get_current_pid_tgid();
    u64 zero = 0;
    u64 *val = counts.lookup_or_try_init(&key, &zero);

    if (val)
        __sync_fetch_and_add(val, 1);
    return 0;
}

// test: spec E.1 lookup_or_try_init key and init arguments
