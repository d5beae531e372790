/*
 * kprobe_nanosleep: histogram of time spent in nanosleep().
 *
 * A kprobe and a kretprobe on the kernel's do_nanosleep() measure each sleep;
 * the tool prints a power-of-2 histogram of the sleep times in microseconds.
 * Needs a kernel with kprobes (CONFIG_KPROBES) to attach.
 */
#include <uapi/linux/ptrace.h>

/* Entry time of each sleeping thread, by thread id. */
BPF_HASH(start, u32, u64);
BPF_HISTOGRAM(dist);

int kprobe__do_nanosleep(struct pt_regs *ctx)
{
    u32 tid = bpf_get_current_pid_tgid();
    u64 ts = bpf_ktime_get_ns();

    start.update(&tid, &ts);
    return 0;
}

int kretprobe__do_nanosleep(struct pt_regs *ctx)
{
    u32 tid = bpf_get_current_pid_tgid();
    u64 *tsp = start.lookup(&tid);
    u64 delta_us;

    if (tsp == 0)
        return 0;
    delta_us = (bpf_ktime_get_ns() - *tsp) / 1000;
    dist.increment(bpf_log2l(delta_us));
    start.delete(&tid);
    return 0;
}

// test: needs kprobes
// test: run -d 2
// test: workload for i in 1 2 3 4 5; do sleep 0.1; done
// test: expect hist
