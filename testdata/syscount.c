/*
 * syscount: count system calls per process.
 *
 * Every system call entry (raw_syscalls:sys_enter) adds one to its process's
 * counter; the tool prints the processes with the most system calls.
 * --targ-pid PID counts only that process.
 */

/* Set before load: 0 counts every process. */
const volatile int targ_pid = 0;

BPF_HASH(counts, u32, u64, 10240);

TRACEPOINT_PROBE(raw_syscalls, sys_enter)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;

    if (targ_pid && pid != targ_pid)
        return 0;

    counts.increment(pid);
    return 0;
}

// test: setup sh -c "while [ ! -e $TMP/go ]; do sleep 0.05; done; i=0; while [ \$i -lt 50 ]; do [ -e / ]; i=\$((i + 1)); done; sleep 0.3" >/dev/null 2>&1 &
// test: setup echo target=$! >>$VARS
// test: run -d 2 --targ-pid ${target}
// test: workload touch $TMP/go; while kill -0 ${target} 2>/dev/null; do sleep 0.05; done
// test: expect row KEY=${target} COUNT>=50 count=1
// test: expect row KEY!=${target} count=0
