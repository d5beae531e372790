/*
 * mountsnoop's shadow of a private kernel struct (spec E.2): fs/mount.h is not an installed
 * header, so BCC tools copy the part of `struct mnt_namespace` they read. vmlinux.h already has
 * the real one: bccc renames the copy to a CO-RE flavour, so `ns` relocates to wherever the
 * running kernel keeps it (after `count` before 5.11, first since). The copy keeps `count`,
 * which mountsnoop guards with `#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 11, 0)`: in the
 * copy's own layout `ns` is at offset 8, so only the relocation reads the right inode number
 * on a kernel without `count`.
 */
#include <linux/sched.h>
#include <linux/nsproxy.h>
#include <linux/ns_common.h>

struct mnt_namespace {
    atomic_t count;
    struct ns_common ns;
};

struct event_t {
    u32 pid;
    u32 mntns;
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct nsproxy *nsproxy = task->nsproxy;
    struct mnt_namespace *mnt_ns = nsproxy->mnt_ns;
    struct event_t event = {};

    event.pid = bpf_get_current_pid_tgid() >> 32;
    event.mntns = mnt_ns->ns.inum;
    events.perf_submit(args, &event, sizeof(event));
    return 0;
}

// test: spec E.2 a re-declared kernel struct read through a kernel pointer relocates
// test: run -d 2
// test: setup echo mntns=$(readlink /proc/self/ns/mnt | tr -dc 0-9) >>$VARS
// test: workload $TARGET 0 >/dev/null & echo child=$! >>$VARS; wait
// test: expect header PID MNTNS
// test: expect row PID=${child} MNTNS=${mntns}
