/*
 * deref_source_kprobe_param: the extra parameters of a kprobe are kernel
 * pointers.
 *
 * On each do_nanosleep(), prints the sleeping pid and whether the sleeper's
 * task, read through the `struct hrtimer_sleeper *` parameter, is the
 * current task.
 */
#include <linux/hrtimer.h>

struct data_t {
    u32 pid;
    u32 ok;
};

BPF_PERF_OUTPUT(events);

int kprobe__do_nanosleep(struct pt_regs *ctx, struct hrtimer_sleeper *sleeper)
{
    struct data_t data = {};

    data.pid = bpf_get_current_pid_tgid() >> 32;
    data.ok = sleeper->task == (struct task_struct *)bpf_get_current_task();
    events.perf_submit(ctx, &data, sizeof(data));
    return 0;
}

// test: spec A.5 source: a pointer parameter of a kprobe
// test: spec B.1 source: a pointer parameter of a kprobe
// test: spec B.2 source: a pointer parameter of a kprobe
// test: spec B.5 sleeper->task becomes BPF_CORE_READ
// test: needs kprobes
// test: run -d 2
// test: workload sleep 1
// test: expect row OK=1
// test: expect row OK=0 count=0
