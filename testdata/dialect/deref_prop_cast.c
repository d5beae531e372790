/*
 * deref_prop_cast: casts keep a kernel pointer a kernel pointer.
 *
 * On each exec, passes the current task through `void *` and back, and a
 * `struct list_head *` of it through a cast to its task, then prints the
 * pids read through both.
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
    void *raw = (void *)bpf_get_current_task();
    struct task_struct *task = (struct task_struct *)raw;
    struct data_t data = {};

    data.pid = ((struct task_struct *)raw)->tgid;
    data.ppid = ((struct task_struct *)(void *)task->real_parent)->tgid;
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.5 propagation: casts through void * and back, a cast as the base of ->
// test: spec B.2 propagation: casts through void * and back, a cast as the base of ->
// test: setup cp $TARGET $TMP/derefcast
// test: run -d 2
// test: workload sh -c "echo pid=\$\$ >>$VARS; echo ppid=\$PPID >>$VARS; exec $TMP/derefcast 1"
// test: expect row COMM=derefcast PID=${pid} PPID=${ppid}
