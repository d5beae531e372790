/*
 * tp_syscall_exit: a syscall's exit record (args->ret, args->__syscall_nr).
 * Counts failed openat() calls by their return value.
 */
BPF_HASH(errors, s64, u64);

TRACEPOINT_PROBE(syscalls, sys_exit_openat)
{
    s64 ret = args->ret;

    if (args->__syscall_nr == 257 && ret < 0)
        errors.increment(ret);
    return 0;
}

// test: spec A.7 per-syscall exit record: args->ret (long) and args->__syscall_nr
// test: needs CONFIG_FTRACE_SYSCALLS
// test: run -d 2
// test: workload cat $TMP/missing 2>/dev/null; cat $TMP/missing 2>/dev/null
// test: expect table errors KEY=-2 COUNT>=2
