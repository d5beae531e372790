/*
 * deref_prop_local: kernel pointers propagate through local variables, by
 * initialisation and by assignment.
 *
 * On each exec, prints the parent's pid, read through a chain of locals
 * that were assigned the current task and its parent.
 */
#include <linux/sched.h>

struct data_t {
    u32 pid;
    u32 ppid;
    char comm[TASK_COMM_LEN];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct task_struct *task, *parent;
    struct data_t data = {};

    task = (struct task_struct *)bpf_get_current_task();
    struct task_struct *same = task;
    parent = same->real_parent;
    data.pid = same->tgid;
    data.ppid = parent->tgid;
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.5 propagation: initialisation and assignment of locals (task = ..., same = task, parent = same->real_parent)
// test: spec B.2 propagation: initialisation and assignment of locals (task = ..., same = task, parent = same->real_parent)
// test: setup cp $TARGET $TMP/dereflocal
// test: run -d 2
// test: workload sh -c "echo pid=\$\$ >>$VARS; echo ppid=\$PPID >>$VARS; exec $TMP/dereflocal 1"
// test: expect row COMM=dereflocal PID=${pid} PPID=${ppid}
