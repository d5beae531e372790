/*
 * deref_form_chain: a member chain through kernel pointers is one CO-RE read
 * per `->`, with `.` members joined into one path.
 *
 * On each exec, prints the pid of the parent and of the grandparent, and
 * whether the group leader's pid (a `.`-then-`->` path through the signal
 * struct's members) is the process's pid.
 */
#include <linux/sched.h>

struct data_t {
    u32 pid;
    u32 ppid;
    u32 gppid;
    u32 ok;
    char comm[TASK_COMM_LEN];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct data_t data = {};

    data.pid = task->tgid;
    data.ppid = task->real_parent->tgid;
    data.gppid = task->real_parent->real_parent->tgid;
    data.ok = task->group_leader->pid == task->tgid &&
              task->thread_info.flags == task->thread_info.flags;
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.5 member chains: task->real_parent->real_parent->tgid is one BPF_CORE_READ(task, real_parent, real_parent, tgid); task->thread_info.flags joins . members
// test: spec B.3 member chains: task->real_parent->real_parent->tgid is one BPF_CORE_READ(task, real_parent, real_parent, tgid); task->thread_info.flags joins . members
// test: spec B.5 member chains: task->real_parent->real_parent->tgid is one BPF_CORE_READ(task, real_parent, real_parent, tgid); task->thread_info.flags joins . members
// test: setup cp $TARGET $TMP/derefchain
// test: run -d 2
// test: workload sh -c "echo pid=\$\$ >>$VARS; echo ppid=\$PPID >>$VARS; exec $TMP/derefchain 1"
// test: expect row COMM=derefchain PID=${pid} PPID=${ppid} GPPID>0 OK=1
