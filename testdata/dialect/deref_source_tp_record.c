/*
 * deref_source_tp_record: a tracepoint record field holding a kernel pointer
 * (`void *timer` of timer:timer_start) is a kernel pointer.
 *
 * On each timer start, reads the timer's expiry and callback through the
 * record's pointer and counts the events by whether they match the record's
 * own copies (1: both match).
 */
BPF_HASH(checks, u32, u64);

TRACEPOINT_PROBE(timer, timer_start)
{
    struct timer_list *timer = (struct timer_list *)args->timer;
    u32 ok = timer->expires == args->expires &&
             (void *)timer->function == args->function;

    checks.increment(ok);
    return 0;
}

// test: spec A.5 source: a pointer field of a tracepoint record (args->timer) cast to a struct pointer
// test: spec B.2 source: a pointer field of a tracepoint record (args->timer) cast to a struct pointer
// test: spec B.5 timer->expires becomes BPF_CORE_READ
// test: run -d 1
// test: expect table checks KEY=1 COUNT>0
// test: expect table checks KEY=0 count=0
