/*
 * deref_prop_helper_param: a kernel pointer passed to a static helper makes
 * the helper's parameter a kernel pointer.
 *
 * On each exec, prints the parent's pid, read by a helper function from the
 * task it is given.
 */
#include <linux/sched.h>

struct data_t {
    u32 pid;
    u32 ppid;
    char comm[TASK_COMM_LEN];
};

BPF_PERF_OUTPUT(events);

static u32 parent_tgid(struct task_struct *task)
{
    return task->real_parent->tgid;
}

static void fill(struct data_t *data, struct task_struct *task)
{
    data->pid = task->tgid;
    data->ppid = parent_tgid(task);
}

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct data_t data = {};

    fill(&data, (struct task_struct *)bpf_get_current_task());
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.5 propagation: static helper parameters (fill, and parent_tgid called from it)
// test: spec B.2 propagation: static helper parameters (fill, and parent_tgid called from it)
// test: setup cp $TARGET $TMP/derefparam
// test: run -d 2
// test: workload sh -c "echo pid=\$\$ >>$VARS; echo ppid=\$PPID >>$VARS; exec $TMP/derefparam 1"
// test: expect row COMM=derefparam PID=${pid} PPID=${ppid}
