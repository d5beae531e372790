/*
 * deref_form_address: `&p->f` of a kernel pointer is an address, not a read:
 * its offset is relocated, and it is itself a kernel pointer.
 *
 * On each exec, takes the address of the task's tgid and of its children
 * list, reads the pid through the first explicitly, and prints whether the
 * children list's `next` pointer could be read.
 */
#include <linux/sched.h>

struct data_t {
    u32 pid;
    u32 ok;
    char comm[TASK_COMM_LEN];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    int *tgidp = &task->tgid;
    struct list_head *children = &task->children;
    struct data_t data = {};

    bpf_probe_read_kernel(&data.pid, sizeof(data.pid), tgidp);
    data.ok = children->next != 0;
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.5 &p->f is not read: __builtin_preserve_access_index(&task->tgid); the address is a kernel pointer (children->next is read)
// test: spec B.4 &p->f is not read: __builtin_preserve_access_index(&task->tgid); the address is a kernel pointer (children->next is read)
// test: spec B.5 &p->f is not read: __builtin_preserve_access_index(&task->tgid); the address is a kernel pointer (children->next is read)
// test: setup cp $TARGET $TMP/derefaddr
// test: run -d 2
// test: workload sh -c "echo pid=\$\$ >>$VARS; echo ppid=\$PPID >>$VARS; exec $TMP/derefaddr 1"
// test: expect row COMM=derefaddr PID=${pid} OK=1
