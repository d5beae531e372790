/*
 * deref_prop_helper_return: a static helper that returns a kernel pointer
 * makes its calls kernel pointers.
 *
 * On each exec, prints the pids read through the tasks helper functions
 * return: the current task and its parent.
 */
#include <linux/sched.h>

struct data_t {
    u32 pid;
    u32 ppid;
    char comm[TASK_COMM_LEN];
};

BPF_PERF_OUTPUT(events);

static struct task_struct *current_task(void)
{
    return (struct task_struct *)bpf_get_current_task();
}

static struct task_struct *parent_of(struct task_struct *task)
{
    return task->real_parent;
}

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct task_struct *parent = parent_of(current_task());
    struct data_t data = {};

    data.pid = current_task()->tgid;
    data.ppid = parent->tgid;
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.5 propagation: static helper return values (current_task()->tgid, parent = parent_of(...))
// test: spec B.2 propagation: static helper return values (current_task()->tgid, parent = parent_of(...))
// test: setup cp $TARGET $TMP/derefreturn
// test: run -d 2
// test: workload sh -c "echo pid=\$\$ >>$VARS; echo ppid=\$PPID >>$VARS; exec $TMP/derefreturn 1"
// test: expect row COMM=derefreturn PID=${pid} PPID=${ppid}
