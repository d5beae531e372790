/*
 * deref_prop_arith: pointer arithmetic on a kernel pointer gives a kernel
 * pointer.
 *
 * On each exec, reads the second character of the command name through a
 * pointer computed from the task's comm array, and the pid through a task
 * pointer offset by zero, and prints both.
 */
#include <linux/sched.h>

struct data_t {
    u32 pid;
    u32 second;
    char comm[TASK_COMM_LEN];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct task_struct *same = task + 0;
    char *name = task->comm;
    char *second = name + 1;
    struct data_t data = {};

    data.pid = same->tgid;
    data.second = *second;
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.5 propagation: pointer arithmetic (task + 0, name + 1) keeps a kernel pointer
// test: spec B.2 propagation: pointer arithmetic (task + 0, name + 1) keeps a kernel pointer
// test: spec B.3 *second is read
// test: setup cp $TARGET $TMP/derefarith
// test: run -d 2
// test: workload sh -c "echo pid=\$\$ >>$VARS; echo ppid=\$PPID >>$VARS; exec $TMP/derefarith 1"
// test: expect row COMM=derefarith PID=${pid} SECOND=101
