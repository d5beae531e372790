/* bccc/compat.h: what BCC-dialect C needs beyond vmlinux.h and libbpf, for both the libclang parse
 * (parse.h includes this file) and the compile of rewritten C (which includes it first).
 *
 * - kernel names the generated kernel header set cannot give (base.h includes the set);
 * - BCC helpers that libbpf lacks, with BCC's exact semantics (bpf_log2l(0) == 1, ...);
 * - the macros the rewrite emits for map methods whose BCC semantics are more than one helper
 *   call (increment, lookup_or_try_init). */
#ifndef __BCCC_COMPAT_H
#define __BCCC_COMPAT_H

#include "bccc/base.h"

/* ---- BCC helpers (helpers.h) ---------------------------------------------------------------- */
#define BPF_MAX_STACK_DEPTH 127

/* A stack trace map's value, as BCC declares it. */
struct bpf_stacktrace {
	u64 ip[BPF_MAX_STACK_DEPTH];
};

/* floor(log2(v)) for v > 0, and 0 for 0. */
static __always_inline unsigned int bpf_log2(unsigned int v)
{
	unsigned int r, shift;

	r = (v > 0xFFFF) << 4;
	v >>= r;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

/* BCC's histogram slot: floor(log2(v)) + 1, and 1 for 0 (slot i holds [2^(i-1), 2^i - 1]). */
static __always_inline unsigned int bpf_log2l(unsigned long v)
{
	unsigned int hi = v >> 32;

	if (hi)
		return bpf_log2(hi) + 32 + 1;
	return bpf_log2(v) + 1;
}

#define lock_xadd(ptr, val) ((void)__sync_fetch_and_add(ptr, val))

/* bpf_trace_printk(fmt, ...) as BCC has it: the format is copied into a stack array, so it
 * needs no global data. */
#define bccc_printk(fmt, ...)                                                          \
	({                                                                             \
		char ____fmt[] = fmt;                                                  \
		bpf_trace_printk(____fmt, sizeof(____fmt), ##__VA_ARGS__);             \
	})

/* Reading __data_loc fields of tracepoint records (BCC's TP_DATA_LOC_READ*). The field name
 * is spelled __data_loc_<f> in vmlinux.h's trace_event_raw_* structs; parse.h respells it. */
#define __BCCC_DATA_LOC(field) __data_loc_##field
#define TP_DATA_LOC_READ_CONST(dst, field, length)                                     \
	bpf_probe_read_kernel((void *)(dst), (length),                                 \
			      (char *)args + (args->__BCCC_DATA_LOC(field) & 0xFFFF))
#define TP_DATA_LOC_READ(dst, field)                                                   \
	bpf_probe_read_kernel((void *)(dst), (args->__BCCC_DATA_LOC(field) >> 16),     \
			      (char *)args + (args->__BCCC_DATA_LOC(field) & 0xFFFF))
#define TP_DATA_LOC_READ_STR(dst, field, length)                                       \
	bpf_probe_read_kernel_str((void *)(dst), (length),                             \
				  (char *)args + (args->__BCCC_DATA_LOC(field) & 0xFFFF))

/* ---- map methods the rewrite emits (BTF-defined maps: `.key`/`.value` are typed pointers) ---- */

/* The `insert` argument of bccc_map_increment: BCC inserts missing keys only in HASH maps. */
#define BCCC_INSERT_MISSING 1
#define BCCC_NO_INSERT 0

#define __bccc_add(p, v) (*(p) += (v))
#define __bccc_atomic_add(p, v) lock_xadd(p, v)

/* m.increment(k[, inc]) / m.atomic_increment(k[, inc]): the key is taken by value; a missing
 * key is inserted (non-atomically) with value inc when `insert` is BCCC_INSERT_MISSING. */
#define __bccc_map_increment(_m, _k, _inc, _insert, _add)                              \
	({                                                                             \
		__typeof__(*(_m).key) __bccc_key = (_k);                               \
		__typeof__(*(_m).value) *__bccc_leaf =                                 \
			bpf_map_lookup_elem(&(_m), &__bccc_key);                       \
		if (__bccc_leaf) {                                                     \
			_add(__bccc_leaf, (_inc));                                     \
		} else if (_insert) {                                                  \
			__typeof__(*(_m).value) __bccc_zero;                           \
			__builtin_memset(&__bccc_zero, 0, sizeof(__bccc_zero));        \
			__bccc_zero += (_inc);                                         \
			bpf_map_update_elem(&(_m), &__bccc_key, &__bccc_zero,          \
					    BPF_NOEXIST);                              \
		}                                                                      \
	})
#define bccc_map_increment(m, k, inc, insert) __bccc_map_increment(m, k, inc, insert, __bccc_add)
#define bccc_map_atomic_increment(m, k, inc, insert)                                   \
	__bccc_map_increment(m, k, inc, insert, __bccc_atomic_add)

/* m.lookup_or_try_init(&k, &init): the value for k, inserting init first when k is missing;
 * NULL only when the map is full. */
static __always_inline void *bccc_map_lookup_or_try_init(void *map, const void *key, const void *init)
{
	void *val = bpf_map_lookup_elem(map, key);
	long err;

	if (val)
		return val;
	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST: another CPU inserted it first */)
		return 0;
	return bpf_map_lookup_elem(map, key);
}

/* ---- kernel names the generated set cannot give (base.h includes the set's headers) ---------
 *
 * LINUX_VERSION_CODE (linux/version.h) is libbpf's load-time kernel version. Declared here, not
 * in the set: clang emits no BTF for an extern declared in a precompiled header, and libbpf
 * needs it to fill the value in. */
extern int LINUX_KERNEL_VERSION __kconfig;

/* DNAME_INLINE_LEN is 32 before Linux 6.12 and 40 since (x86-64), so the set leaves it out; BCC
 * tools size name buffers with it and their Python side assumes 32. The smaller value copies a
 * name's first 31 bytes on every kernel. */
#ifndef DNAME_INLINE_LEN
#define DNAME_INLINE_LEN 32
#endif

#endif /* __BCCC_COMPAT_H */
