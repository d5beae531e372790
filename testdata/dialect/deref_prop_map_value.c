/*
 * deref_prop_map_value: a kernel pointer stored as a map value comes back
 * from the map as a pointer to a kernel pointer (BCC's currsock pattern).
 *
 * At openat() entry, stores the current task pointer per thread; at its exit,
 * loads it back, reads the pid through it and prints whether it is the
 * current pid.
 */
#include <linux/sched.h>

struct data_t {
    u32 pid;
    u32 ok;
    char comm[TASK_COMM_LEN];
};

BPF_HASH(tasks, u32, struct task_struct *);
BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    u32 tid = bpf_get_current_pid_tgid();
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();

    tasks.update(&tid, &task);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_exit_openat)
{
    u32 tid = bpf_get_current_pid_tgid();
    struct task_struct **taskp = tasks.lookup(&tid);
    struct data_t data = {};

    if (taskp == 0)
        return 0;
    struct task_struct *task = *taskp;
    data.pid = task->tgid;
    data.ok = data.pid == bpf_get_current_pid_tgid() >> 32;
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    events.perf_submit(args, &data, sizeof(data));
    tasks.delete(&tid);
    return 0;
}

// test: spec A.5 propagation: map values (tasks.update(&tid, &task); *tasks.lookup(&tid) is a kernel pointer)
// test: spec B.2 propagation: map values (tasks.update(&tid, &task); *tasks.lookup(&tid) is a kernel pointer)
// test: run -d 2
// test: workload cat /dev/null
// test: expect row COMM=cat OK=1
// test: expect row OK=0 count=0
