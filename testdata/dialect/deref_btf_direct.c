/*
 * deref_btf_direct: BTF pointers are read directly, not rewritten:
 * bpf_get_current_task_btf() returns a pointer the verifier types.
 *
 * On each exec, prints the parent's pid read directly through the BTF task
 * pointer.
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
    struct task_struct *task = bpf_get_current_task_btf();
    struct data_t data = {};

    data.pid = task->tgid;
    data.ppid = task->real_parent->tgid;
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.5 bpf_get_current_task_btf() is not a source: task->real_parent->tgid stays a direct access
// test: spec B.2 bpf_get_current_task_btf() is not a source: task->real_parent->tgid stays a direct access
// test: spec B.4 bpf_get_current_task_btf() is not a source: task->real_parent->tgid stays a direct access
// test: needs func:bpf_get_current_task_btf
// test: setup cp $TARGET $TMP/derefbtf
// test: run -d 2
// test: workload sh -c "echo pid=\$\$ >>$VARS; echo ppid=\$PPID >>$VARS; exec $TMP/derefbtf 1"
// test: expect row COMM=derefbtf PID=${pid} PPID=${ppid}
