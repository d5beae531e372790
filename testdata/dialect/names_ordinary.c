/*
 * Maps, variables, functions and enum constants named like what vmlinux.h declares (spec
 * E.2): `config` and `acct_t` are kernel typedefs, `TCP_CLOSE` and `NONE` kernel enum
 * constants. A C file may use any name its own headers do not take; bccc renames these in the
 * object (`config__bccc`) and the tool still shows the map as `config`.
 */
BPF_HASH(config, u32, u64);
BPF_ARRAY(TCP_LISTEN, u64, 1);

u32 TCP_CLOSE = 7;

enum verdict { NONE, COUNTED };

static u32 acct_t(u32 v)
{
    return (v ^ TCP_CLOSE) + COUNTED;
}

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    u32 key = acct_t(TCP_CLOSE);
    int zero = 0;
    u64 *seen = TCP_LISTEN.lookup(&zero);

    if (seen)
        *seen += 1;
    if (key != NONE)
        config.increment(key);
    return 0;
}

// test: spec E.2 a map, a global, a static function and enum constants named like vmlinux.h's
// test: run -d 2 --json
// test: workload for i in 1 2 3; do $TARGET 0 >/dev/null; done
// test: expect json map=config
// test: expect stdout {"map":"config","rows":[{"key":1,"count":
