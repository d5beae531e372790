/*
 * bad/unknown_tp_btf: a BTF-typed raw tracepoint that the kernel does not have.
 * Expected: one error on the function, no tracepoint sched_process_nosuch in the
 * kernel's BTF, with raw_tracepoint: named as the fallback.
 */

BPF_HASH(counts, u32, u64);

// bccc:attach tp_btf:sched_process_nosuch
int on_nosuch(unsigned long long *ctx, struct task_struct *p)
{
    u32 pid = p->tgid;

    counts.increment(pid);
    return 0;
}

// test: error bccc::E0302
