/*
 * rawtp_switch: count context switches per task.
 *
 * A raw tracepoint on sched_switch counts how often each task is switched
 * out; the tool prints the tasks switched out most often, by pid.
 */
#include <linux/sched.h>

BPF_HASH(switches, u32, u64);

RAW_TRACEPOINT_PROBE(sched_switch)
{
    /* TP_PROTO(bool preempt, struct task_struct *prev, struct task_struct *next, ...) */
    struct task_struct *prev = (struct task_struct *)ctx->args[1];
    u32 pid = prev->pid;

    switches.increment(pid);
    return 0;
}

// test: needs CONFIG_BPF_EVENTS
// test: run -d 1
// test: workload sleep 0.2
// test: expect row COUNT>0
