/*
 * deref_form_macro_arg: reads written in macro arguments are rewritten in the
 * argument's text, once, however often the macro expands its argument.
 *
 * On each exec, prints the parent's pid passed through byte-order macros
 * (which expand their argument several times) and a macro of the file.
 */
#include <linux/sched.h>

#define TWICE(x) ((x) + (x))

struct data_t {
    u32 pid;
    u32 ppid;
    u32 twice;
    char comm[TASK_COMM_LEN];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct data_t data = {};

    data.pid = bpf_get_current_pid_tgid() >> 32;
    data.ppid = bpf_ntohl(bpf_htonl(task->real_parent->tgid));
    data.twice = TWICE(task->tgid) == 2 * data.pid;
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.5 reads inside macro arguments: bpf_ntohl(bpf_htonl(task->real_parent->tgid)), TWICE(task->tgid)
// test: spec B.3 reads inside macro arguments: bpf_ntohl(bpf_htonl(task->real_parent->tgid)), TWICE(task->tgid)
// test: spec B.5 reads inside macro arguments: bpf_ntohl(bpf_htonl(task->real_parent->tgid)), TWICE(task->tgid)
// test: setup cp $TARGET $TMP/derefmacro
// test: run -d 2
// test: workload sh -c "echo pid=\$\$ >>$VARS; echo ppid=\$PPID >>$VARS; exec $TMP/derefmacro 1"
// test: expect row COMM=derefmacro PID=${pid} PPID=${ppid} TWICE=1
