/*
 * runqlat: summarize run queue (scheduler) latency as a histogram.
 *
 * Measures how long runnable tasks wait for a CPU: from the wakeup (or from
 * being preempted while still runnable) until the task is switched in. The
 * tool prints a power-of-2 histogram of the waits in microseconds.
 */

/* Wakeup (or preemption) time of each waiting task, by pid. */
BPF_HASH(start, u32, u64, 10240);
BPF_HISTOGRAM(dist);

static int record_enqueue(u32 pid)
{
    u64 ts;

    if (pid == 0)
        return 0;
    ts = bpf_ktime_get_ns();
    start.update(&pid, &ts);
    return 0;
}

TRACEPOINT_PROBE(sched, sched_wakeup)
{
    return record_enqueue(args->pid);
}

TRACEPOINT_PROBE(sched, sched_wakeup_new)
{
    return record_enqueue(args->pid);
}

TRACEPOINT_PROBE(sched, sched_switch)
{
    u32 prev_pid = args->prev_pid;
    u32 next_pid = args->next_pid;
    u64 *tsp, delta_us;

    /*
     * The previous task is still runnable when its reported state has no
     * sleeping bits: 0 ("R"), or only the preemption bit above them ("R+").
     */
    if ((args->prev_state & 0xff) == 0)
        record_enqueue(prev_pid);

    tsp = start.lookup(&next_pid);
    if (tsp == 0)
        return 0;
    delta_us = (bpf_ktime_get_ns() - *tsp) / 1000;
    dist.atomic_increment(bpf_log2l(delta_us));
    start.delete(&next_pid);
    return 0;
}

// test: run -d 2
// test: workload for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.05; done
// test: expect stdout : count     distribution
// test: expect hist
