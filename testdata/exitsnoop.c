/*
 * exitsnoop: trace process exits.
 *
 * Prints one line per process that exits: its pid, its parent's pid, its exit
 * code and its command name. Threads other than the main one are skipped.
 */
#include <linux/sched.h>

struct data_t {
    u32 pid;
    u32 ppid;
    int exit_code;
    char comm[TASK_COMM_LEN];
};

BPF_RINGBUF_OUTPUT(events, 8);

TRACEPOINT_PROBE(sched, sched_process_exit)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    u64 pid_tgid = bpf_get_current_pid_tgid();
    struct data_t data = {};

    /* Only the exit of a whole process: its main thread (pid == tid). */
    if ((u32)pid_tgid != pid_tgid >> 32)
        return 0;

    data.pid = pid_tgid >> 32;
    data.ppid = task->real_parent->tgid;
    data.exit_code = task->exit_code >> 8;
    bpf_get_current_comm(&data.comm, sizeof(data.comm));

    events.ringbuf_output(&data, sizeof(data), 0);
    return 0;
}

// test: run -d 2
// test: workload echo parent=$$ >>$VARS
// test: workload sh -c "exit 3" & echo child=$! >>$VARS; wait
// test: expect header PID PPID EXIT_CODE COMM
// test: expect row PID=${child} PPID=${parent} EXIT_CODE=3 count=1
