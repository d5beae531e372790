/*
 * deref_source_current_task: bpf_get_current_task() gives a kernel pointer.
 *
 * On each exec, prints the process's pid and its parent's pid, both read
 * through the current task_struct, and whether the pid read that way matches
 * bpf_get_current_pid_tgid().
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
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    struct data_t data = {};

    data.pid = t->tgid;
    data.ppid = t->real_parent->tgid;
    data.ok = data.pid == bpf_get_current_pid_tgid() >> 32;
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.5 source: bpf_get_current_task() cast to struct task_struct *
// test: spec B.2 source: bpf_get_current_task() cast to struct task_struct *
// test: spec B.5 t->tgid and t->real_parent->tgid become BPF_CORE_READ
// test: setup cp $TARGET $TMP/derefcur
// test: run -d 2
// test: workload sh -c "echo pid=\$\$ >>$VARS; echo ppid=\$PPID >>$VARS; exec $TMP/derefcur 1"
// test: expect row COMM=derefcur PID=${pid} PPID=${ppid} OK=1
