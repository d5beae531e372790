/*
 * deref_source_rawtp_args: raw tracepoint arguments cast to struct pointers are
 * kernel pointers.
 *
 * On each context switch, checks that the task switched out (args[1]) is the
 * current task and that its pid, read through the pointer, is the current
 * pid; counts the switches by the check's result (1: both hold).
 */
#include <linux/sched.h>

BPF_HASH(checks, u32, u64);

RAW_TRACEPOINT_PROBE(sched_switch)
{
    /* TP_PROTO(bool preempt, struct task_struct *prev, struct task_struct *next, ...) */
    struct task_struct *prev = (struct task_struct *)ctx->args[1];
    u32 ok = prev == (struct task_struct *)bpf_get_current_task() &&
             prev->pid == (u32)bpf_get_current_pid_tgid();

    checks.increment(ok);
    return 0;
}

// test: spec A.5 source: (struct task_struct *)ctx->args[i] of a raw tracepoint
// test: spec B.2 source: (struct task_struct *)ctx->args[i] of a raw tracepoint
// test: spec B.5 prev->pid becomes BPF_CORE_READ
// test: run -d 1
// test: expect table checks KEY=1 COUNT>0
// test: expect table checks KEY=0 count=0
