// Static inline kernel helpers that are pure computations: div_u64 (linux/math64.h),
// new_encode_dev (linux/kdev_t.h).
#include <linux/math64.h>
#include <linux/kdev_t.h>

BPF_HASH(ms, u32, u64);

TRACEPOINT_PROBE(block, block_rq_issue)
{
	u32 key = new_encode_dev(args->dev);
	u64 t = div_u64(bpf_ktime_get_ns(), 1000000);
	ms.update(&key, &t);
	return 0;
}

// test: spec A.6 static inline kernel helpers (div_u64, new_encode_dev)
