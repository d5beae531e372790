/*
 * deref_form_bitfield: a bitfield of kernel memory is read with
 * BPF_CORE_READ_BITFIELD_PROBED (its address cannot be taken).
 *
 * On each exec, prints the task's in_execve bit (set while the exec runs, 1
 * where the kernel has no such bit),
 * its in_iowait bit, and the dl_throttled bit of its deadline entity (a
 * bitfield inside a member struct).
 */
#include <linux/sched.h>

struct data_t {
    u32 pid;
    u32 in_execve;
    u32 in_iowait;
    u32 dl_throttled;
    char comm[TASK_COMM_LEN];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct data_t data = {};

    data.pid = bpf_get_current_pid_tgid() >> 32;
    /* Kernels may drop the flag: the guard keeps the program loadable there. */
    data.in_execve = bpf_core_field_exists(task->in_execve) ? task->in_execve : 1;
    data.in_iowait = task->in_iowait;
    data.dl_throttled = task->dl.dl_throttled;
    bpf_get_current_comm(&data.comm, sizeof(data.comm));
    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: spec A.5 bitfields: task->in_execve, task->dl.dl_throttled become BPF_CORE_READ_BITFIELD_PROBED
// test: spec B.4 bitfields: task->in_execve, task->dl.dl_throttled become BPF_CORE_READ_BITFIELD_PROBED
// test: spec B.5 bitfields: task->in_execve, task->dl.dl_throttled become BPF_CORE_READ_BITFIELD_PROBED
// test: setup cp $TARGET $TMP/derefbits
// test: run -d 2
// test: workload sh -c "echo pid=\$\$ >>$VARS; echo ppid=\$PPID >>$VARS; exec $TMP/derefbits 1"
// test: expect row COMM=derefbits PID=${pid} IN_EXECVE=1 IN_IOWAIT=0 DL_THROTTLED=0
