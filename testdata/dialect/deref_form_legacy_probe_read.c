/*
 * deref_form_legacy_probe_read: the source argument of the legacy
 * bpf_probe_read() is left as written, as BCC leaves it.
 *
 * On each exec, reads the parent task pointer and then the parent's pid with
 * bpf_probe_read() and prints it.
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
    struct task_struct *parent = 0;
    struct data_t data = {};

    data.pid = bpf_get_current_pid_tgid() >> 32;
    bpf_probe_read(&parent, sizeof(parent), &task->real_parent);
    bpf_probe_read(&data.ppid, sizeof(data.ppid), &parent->tgid);
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.5 the third argument of bpf_probe_read is not rewritten (&task->real_parent stays as written)
// test: spec B.4 the third argument of bpf_probe_read is not rewritten (&task->real_parent stays as written)
// test: setup cp $TARGET $TMP/dereflegacy
// test: run -d 2
// test: workload sh -c "echo pid=\$\$ >>$VARS; echo ppid=\$PPID >>$VARS; exec $TMP/dereflegacy 1"
// test: expect row COMM=dereflegacy PID=${pid} PPID=${ppid}
