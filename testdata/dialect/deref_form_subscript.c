/*
 * deref_form_subscript: `p[i]` of a kernel pointer and `p->arr[i]` are one
 * probe read of the element.
 *
 * On each exec, reads command name characters through a `char *` into the
 * task's comm (p[i]) and through the array member itself (p->comm[i]), and
 * prints whether they match bpf_get_current_comm().
 */
#include <linux/sched.h>

struct data_t {
    u32 pid;
    u32 ok;
    u32 third;
    char comm[TASK_COMM_LEN];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    char *name = task->comm;
    struct data_t data = {};
    int i = 2;

    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    data.pid = bpf_get_current_pid_tgid() >> 32;
    data.ok = name[0] == data.comm[0] && task->comm[1] == data.comm[1];
    data.third = task->comm[i];
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.5 p[i] (name[0]) and p->arr[i] (task->comm[1], task->comm[i]) read one element
// test: spec B.3 p[i] (name[0]) and p->arr[i] (task->comm[1], task->comm[i]) read one element
// test: spec B.5 p[i] (name[0]) and p->arr[i] (task->comm[1], task->comm[i]) read one element
// test: setup cp $TARGET $TMP/derefsubscr
// test: run -d 2
// test: workload sh -c "echo pid=\$\$ >>$VARS; echo ppid=\$PPID >>$VARS; exec $TMP/derefsubscr 1"
// test: expect row COMM=derefsubscr PID=${pid} OK=1 THIRD=114
