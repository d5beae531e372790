/*
 * bpf_trace_printk(fmt, args...) as BCC has it: the format is a string literal,
 * copied to the stack; the tool echoes trace_pipe lines.
 */
TRACEPOINT_PROBE(sched, sched_process_exec)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    u64 ts = bpf_ktime_get_ns();

    bpf_trace_printk("exec pid=%d ts=%llu\n", pid, ts);
    bpf_trace_printk("no arguments\n");
    return 0;
}

// test: spec A.4 bpf_trace_printk with 0 and 2 arguments
// test: run -d 2
// test: workload $TARGET 0 >/dev/null & echo child=$! >>$VARS; wait
// test: expect stdout exec pid=${child} ts=
// test: expect stdout no arguments
