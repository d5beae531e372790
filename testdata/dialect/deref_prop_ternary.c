/*
 * deref_prop_ternary: a conditional expression of kernel pointers is a kernel
 * pointer.
 *
 * On each exec, picks the parent task with ?: and prints its pid.
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
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    struct task_struct *pick = pid ? task->real_parent : task;
    struct data_t data = {};

    data.pid = pid;
    data.ppid = pick->tgid;
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.5 propagation: a ternary of kernel pointers (pid ? task->real_parent : task)
// test: spec B.2 propagation: a ternary of kernel pointers (pid ? task->real_parent : task)
// test: setup cp $TARGET $TMP/derefternary
// test: run -d 2
// test: workload sh -c "echo pid=\$\$ >>$VARS; echo ppid=\$PPID >>$VARS; exec $TMP/derefternary 1"
// test: expect row COMM=derefternary PID=${pid} PPID=${ppid}
