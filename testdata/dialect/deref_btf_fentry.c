/*
 * deref_btf_fentry: the arguments of BTF programs (fentry, fexit, LSM,
 * tp_btf) are read directly; nothing is rewritten.
 *
 * On each do_nanosleep(), prints the sleeping pid and whether the sleeper's
 * task, read directly through the typed argument, has that pid.
 */
#include <linux/hrtimer.h>

struct data_t {
    u32 pid;
    u32 ok;
};

BPF_PERF_OUTPUT(events);

KFUNC_PROBE(do_nanosleep, struct hrtimer_sleeper *sleeper, enum hrtimer_mode mode)
{
    struct data_t data = {};

    data.pid = bpf_get_current_pid_tgid() >> 32;
    data.ok = sleeper->task->tgid == data.pid;
    events.perf_submit(ctx, &data, sizeof(data));
    return 0;
}

// test: spec A.5 BTF programs are not rewritten: sleeper->task->tgid stays a direct access
// test: spec B.4 BTF programs are not rewritten: sleeper->task->tgid stays a direct access
// test: needs fentry
// test: run -d 2
// test: workload sleep 1
// test: expect row OK=1
// test: expect row OK=0 count=0
