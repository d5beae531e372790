/*
 * deref_form_star: `*p` of a kernel pointer is a probe read of the pointee.
 *
 * On each exec, reads the pid through an `int *` to the task's pid field and
 * the parent through a `struct task_struct **` to the task's real_parent
 * field, and prints them.
 */
#include <linux/sched.h>

struct data_t {
    u32 pid;
    u32 ppid;
    u32 ok;
    char comm[TASK_COMM_LEN];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    int *tgidp = &task->tgid;
    struct task_struct **parentp = &task->real_parent;
    struct task_struct *parent = *parentp;
    struct data_t data = {};

    data.pid = *tgidp;
    data.ppid = parent->tgid;
    data.ok = (*task).tgid == data.pid;
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.5 *p of a kernel pointer: *tgidp, *parentp (a pointer read from kernel memory is a kernel pointer), (*task).tgid
// test: spec B.3 *p of a kernel pointer: *tgidp, *parentp (a pointer read from kernel memory is a kernel pointer), (*task).tgid
// test: spec B.5 *p of a kernel pointer: *tgidp, *parentp (a pointer read from kernel memory is a kernel pointer), (*task).tgid
// test: setup cp $TARGET $TMP/derefstar
// test: run -d 2
// test: workload sh -c "echo pid=\$\$ >>$VARS; echo ppid=\$PPID >>$VARS; exec $TMP/derefstar 1"
// test: expect row COMM=derefstar PID=${pid} PPID=${ppid} OK=1
