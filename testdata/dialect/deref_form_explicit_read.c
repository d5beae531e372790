/*
 * deref_form_explicit_read: an explicit bpf_probe_read_kernel() of `&p->a->b`
 * keeps working: the inner `p->a` is read implicitly first, and the address
 * handed to the helper is relocated.
 *
 * On each exec, reads the parent's pid and the task's own pid with
 * bpf_probe_read_kernel() and prints them.
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
    struct data_t data = {};

    bpf_probe_read_kernel(&data.pid, sizeof(data.pid), &task->tgid);
    bpf_probe_read_kernel(&data.ppid, sizeof(data.ppid), &task->real_parent->tgid);
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.5 explicit bpf_probe_read_kernel(&d, sizeof(d), &p->f) with a relocatable address; &task->real_parent->tgid reads real_parent implicitly first
// test: spec B.4 explicit bpf_probe_read_kernel(&d, sizeof(d), &p->f) with a relocatable address; &task->real_parent->tgid reads real_parent implicitly first
// test: spec B.5 explicit bpf_probe_read_kernel(&d, sizeof(d), &p->f) with a relocatable address; &task->real_parent->tgid reads real_parent implicitly first
// test: setup cp $TARGET $TMP/derefexplicit
// test: run -d 2
// test: workload sh -c "echo pid=\$\$ >>$VARS; echo ppid=\$PPID >>$VARS; exec $TMP/derefexplicit 1"
// test: expect row COMM=derefexplicit PID=${pid} PPID=${ppid}
