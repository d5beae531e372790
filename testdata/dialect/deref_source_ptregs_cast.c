/*
 * deref_source_ptregs_cast: (struct T *)PT_REGS_PARM1(ctx) is a kernel pointer.
 *
 * On each do_nanosleep(), prints the sleeping pid and whether the sleeper's
 * task, read through the first argument's register, is the current task.
 */
#include <uapi/linux/ptrace.h>
#include <linux/hrtimer.h>

struct data_t {
    u32 pid;
    u32 ok;
};

BPF_PERF_OUTPUT(events);

int kprobe__do_nanosleep(struct pt_regs *ctx)
{
    struct hrtimer_sleeper *sleeper = (struct hrtimer_sleeper *)PT_REGS_PARM1(ctx);
    struct data_t data = {};

    data.pid = bpf_get_current_pid_tgid() >> 32;
    data.ok = sleeper->task == (struct task_struct *)bpf_get_current_task();
    events.perf_submit(ctx, &data, sizeof(data));
    return 0;
}

// test: spec A.5 source: (struct T *)PT_REGS_PARM1(ctx) in a kprobe
// test: spec B.2 source: (struct T *)PT_REGS_PARM1(ctx) in a kprobe
// test: spec B.5 sleeper->task becomes BPF_CORE_READ
// test: needs kprobes
// test: run -d 2
// test: workload sleep 1
// test: expect row OK=1
// test: expect row OK=0 count=0
