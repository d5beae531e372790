/*
 * bpf_trace_printk inside a macro of the user's: BCC refuses printk in a macro it
 * cannot rewrite; bccc's bpf_trace_printk is itself a macro, so a debug macro around
 * it works, and the tool still echoes trace_pipe.
 */
#define DBG(fmt, ...) bpf_trace_printk(fmt, ##__VA_ARGS__)

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;

    DBG("dbg exec %d\n", pid);
    return 0;
}

// test: spec A.4 bpf_trace_printk inside a user macro
// test: spec E.1 printk in macros
// test: run -d 2
// test: workload $TARGET 0 >/dev/null & echo child=$! >>$VARS; wait
// test: expect stdout dbg exec ${child}
