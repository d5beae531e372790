/*
 * deref_form_array_decay: an array member of kernel memory is not read: it
 * decays to its (relocated) kernel address, which explicit reads take.
 *
 * On each exec, copies the task's and its parent's command names with
 * bpf_probe_read_kernel_str() from the task_struct comm arrays and prints
 * them.
 */
#include <linux/sched.h>

struct data_t {
    u32 pid;
    char comm[TASK_COMM_LEN];
    char pcomm[TASK_COMM_LEN];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct data_t data = {};

    data.pid = bpf_get_current_pid_tgid() >> 32;
    bpf_probe_read_kernel_str(&data.comm, sizeof(data.comm), task->comm);
    bpf_probe_read_kernel_str(&data.pcomm, sizeof(data.pcomm), task->real_parent->comm);
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.5 array-typed members decay to addresses: task->comm, task->real_parent->comm (the inner pointer is read)
// test: spec B.4 array-typed members decay to addresses: task->comm, task->real_parent->comm (the inner pointer is read)
// test: spec B.5 array-typed members decay to addresses: task->comm, task->real_parent->comm (the inner pointer is read)
// test: setup cp $TARGET $TMP/derefdecay
// test: run -d 2
// test: workload sh -c "echo pid=\$\$ >>$VARS; echo pcomm=\$(cat /proc/\$PPID/comm) >>$VARS; exec $TMP/derefdecay 1"
// test: expect row COMM=derefdecay PID=${pid} PCOMM=${pcomm}
