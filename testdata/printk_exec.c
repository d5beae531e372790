/*
 * printk_exec: say hello through the trace pipe for every exec.
 *
 * Each execve() entry writes one line with the caller's process id to the
 * kernel's trace_pipe with bpf_trace_printk; the tool echoes those lines.
 */
TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;

    bpf_trace_printk("bccc exec by pid %d\n", pid);
    return 0;
}

// test: needs CONFIG_FTRACE_SYSCALLS
// test: run -d 2
// test: workload $TARGET 0 >/dev/null & echo child=$! >>$VARS; wait
// test: expect stdout bccc exec by pid ${child}
