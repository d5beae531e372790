/*
 * deref_prop_field: a kernel pointer stored into a struct field marks the
 * field: reads through that field of any variable of the struct type are
 * kernel reads, in this program and in others that get the struct from a map.
 *
 * At execve() entry, stores the current task in a struct kept per thread (set
 * by a designated initializer); at the exec event, prints the pids read
 * through the stored task and through a local copy's field (set by assignment).
 */
#include <linux/sched.h>

struct start_t {
    struct task_struct *task;
    u64 ts;
};

struct data_t {
    u32 pid;
    u32 ppid;
    u32 local_ppid;
    char comm[TASK_COMM_LEN];
};

BPF_HASH(starts, u32, struct start_t);
BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
    u32 tid = bpf_get_current_pid_tgid();
    struct start_t start = {
        .ts = bpf_ktime_get_ns(),
        .task = (struct task_struct *)bpf_get_current_task(),
    };

    starts.update(&tid, &start);
    return 0;
}

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    u32 tid = bpf_get_current_pid_tgid();
    struct start_t *start = starts.lookup(&tid);
    struct start_t copy = {};
    struct data_t data = {};

    if (start == 0)
        return 0;
    copy.task = (struct task_struct *)bpf_get_current_task();
    data.pid = start->task->tgid;
    data.ppid = start->task->real_parent->tgid;
    data.local_ppid = copy.task->real_parent->tgid;
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    events.perf_submit(args, &data, sizeof(data));
    starts.delete(&tid);
    return 0;
}

// test: spec A.5 propagation: a struct field (.task = task in an initializer, copy.task = task) marks the field for every variable of the type, across a map value
// test: spec B.2 propagation: a struct field (.task = task in an initializer, copy.task = task) marks the field for every variable of the type, across a map value
// test: setup cp $TARGET $TMP/dereffield
// test: run -d 2
// test: workload sh -c "echo pid=\$\$ >>$VARS; echo ppid=\$PPID >>$VARS; exec $TMP/dereffield 1"
// test: expect row COMM=dereffield PID=${pid} PPID=${ppid} LOCAL_PPID=${ppid}
