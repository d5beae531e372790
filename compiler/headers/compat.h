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

/* The licence is the program's `#define BPF_LICENSE` (GPL by default; `-D` refuses it, as BCC
 * refuses it in cflags): rewritten C ends with BCC's footer, the licence as a string. */
#define __BCCC_STRINGIFY(s) #s
#define BCCC_LICENSE(s) __BCCC_STRINGIFY(s)

/* What BCC predefines for every program (spec A.6): it compiles kernel code, named "bcc". */
#ifndef __KERNEL__
#define __KERNEL__ 1
#endif
#ifndef __BPF_TRACING__
#define __BPF_TRACING__ 1
#endif
#ifndef KBUILD_MODNAME
#define KBUILD_MODNAME "bcc"
#endif

/* BCC's section attribute macro. */
#define BCC_SEC(NAME) __attribute__((section(NAME), used))

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

/* The low n bits set (all bits from the type's width on), as BCC's helpers.h has them. */
#define MASK(_n) ((_n) < 64 ? (1ull << (_n)) - 1 : ((u64)-1LL))
#define MASK128(_n) ((_n) < 128 ? ((unsigned __int128)1 << (_n)) - 1 : ((unsigned __int128)-1))

/* 64- and 128-bit network byte order, which libbpf's bpf_endian.h lacks (BCC's helpers.h has
 * them). */
static __always_inline u64 bpf_ntohll(u64 v)
{
	return bpf_be64_to_cpu(v);
}
static __always_inline u64 bpf_htonll(u64 v)
{
	return bpf_cpu_to_be64(v);
}
static __always_inline unsigned __int128 bpf_ntoh128(unsigned __int128 v)
{
	return ((unsigned __int128)bpf_ntohll((u64)v) << 64) | bpf_ntohll((u64)(v >> 64));
}
static __always_inline unsigned __int128 bpf_hton128(unsigned __int128 v)
{
	return bpf_ntoh128(v);
}

/* memset/memcpy/memmove/memcmp: BPF programs have no libc, and BCC programs call these as kernel
 * code does. clang expands the builtins inline for constant sizes; memcmp with a size only known
 * at run time falls back to a bounded loop. */
static __always_inline int __bccc_memcmp(const void *a, const void *b, unsigned long n)
{
	const unsigned char *x = a, *y = b;

	for (unsigned long i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}
#ifndef memset
#define memset(dst, c, n) __builtin_memset((dst), (c), (n))
#endif
#ifndef memcpy
#define memcpy(dst, src, n) __builtin_memcpy((dst), (src), (n))
#endif
#ifndef memmove
#define memmove(dst, src, n) __builtin_memmove((dst), (src), (n))
#endif
#ifndef memcmp
#define memcmp(a, b, n)                                                                \
	(__builtin_constant_p(n) ? __builtin_memcmp((a), (b), (n)) : __bccc_memcmp((a), (b), (n)))
#endif

/* bpf_num_cpus(): BCC substitutes the compiling host's CPU count; a built tool runs elsewhere, so
 * the runtime sets this to the running machine's online CPUs before load. */
extern const volatile unsigned int __bccc_num_cpus;
#define bpf_num_cpus() (__bccc_num_cpus)

/* Whether syscall entry points take the user's registers through a wrapper's pt_regs (libbpf
 * answers at load time; BPF_KSYSCALL's test). */
extern _Bool LINUX_HAS_SYSCALL_WRAPPER __kconfig __weak;

/* BCC's syscall argument helpers: PT_REGS_SYSCALL_CTX(ctx) is the pt_regs holding the syscall's
 * arguments (the wrapper's argument on kernels with syscall wrappers, decided at load time);
 * PT_REGS_PARMn_SYSCALL reads them. That pt_regs is kernel memory, not the program's context,
 * so the reads are CO-RE probe reads. */
#define PT_REGS_SYSCALL_CTX(ctx)                                                       \
	(LINUX_HAS_SYSCALL_WRAPPER ? (struct pt_regs *)PT_REGS_PARM1(ctx) : (struct pt_regs *)(ctx))
#undef PT_REGS_PARM1_SYSCALL
#undef PT_REGS_PARM2_SYSCALL
#undef PT_REGS_PARM3_SYSCALL
#undef PT_REGS_PARM4_SYSCALL
#undef PT_REGS_PARM5_SYSCALL
#undef PT_REGS_PARM6_SYSCALL
#define PT_REGS_PARM1_SYSCALL(x) PT_REGS_PARM1_CORE_SYSCALL(x)
#define PT_REGS_PARM2_SYSCALL(x) PT_REGS_PARM2_CORE_SYSCALL(x)
#define PT_REGS_PARM3_SYSCALL(x) PT_REGS_PARM3_CORE_SYSCALL(x)
#define PT_REGS_PARM4_SYSCALL(x) PT_REGS_PARM4_CORE_SYSCALL(x)
#define PT_REGS_PARM5_SYSCALL(x) PT_REGS_PARM5_CORE_SYSCALL(x)
#define PT_REGS_PARM6_SYSCALL(x) PT_REGS_PARM6_CORE_SYSCALL(x)

/* bpf_trace_printk(fmt, ...) as BCC has it (the format and its arguments; libbpf's helper also
 * takes the format's size): the format is copied into a stack array, so it needs no global
 * data. A macro, so calls inside the user's own macros are BCC's too; the inner
 * bpf_trace_printk is the helper (a macro is not expanded inside itself). */
#define bccc_printk(fmt, ...)                                                          \
	({                                                                             \
		char ____fmt[] = fmt;                                                  \
		bpf_trace_printk(____fmt, sizeof(____fmt), ##__VA_ARGS__);             \
	})
#define bpf_trace_printk(fmt, ...) bccc_printk(fmt, ##__VA_ARGS__)

/* ---- tracepoint records (spec C): `struct tracepoint__<cat>__<ev>` is marked
 * preserve_access_index and defined at load time with the target's offsets; the rewrite turns
 * each `args->field` read into one of these. The verifier accepts a context read only as one
 * load at a constant offset from the context pointer itself. */

/* A scalar field's value: one load, CO-RE-relocated. The empty asm keeps each load in its own
 * block: without it clang merges the loads of two fields on both arms of a branch (`c ? a->x :
 * a->y`, if/else, switch) into one load from a computed address, which the verifier refuses
 * ("dereference of modified ctx ptr"). It emits no instruction. */
#define BCCC_TP_LOAD(rec, member)                                                      \
	({                                                                             \
		typeof((rec)->member) __bccc_v = (rec)->member;                        \
		asm volatile("" : "+r"(__bccc_v));                                     \
		__bccc_v;                                                              \
	})

/* One element at a run-time index: a probe read (a variable offset from the context pointer
 * is refused for a load, but is a valid source address for a helper). */
#define BCCC_TP_ELEM(rec, member, index)                                               \
	({                                                                             \
		typeof((rec)->member[0]) __bccc_v = {};                                \
		bpf_probe_read_kernel(&__bccc_v, sizeof(__bccc_v), &(rec)->member[index]); \
		__bccc_v;                                                              \
	})

/* Copies a record field into `dst` (`size` bytes, zeroed): as many bytes as the running
 * kernel's field has, up to `size` (CO-RE relocates the field's size like its offset). */
static __always_inline void *__bccc_tp_copy(void *dst, __u32 size, __u32 field_size,
					    const void *src)
{
	bpf_probe_read_kernel(dst, field_size < size ? field_size : size, src);
	return dst;
}

/* A struct or union field's value, copied with a probe read (a copy is several loads from one
 * computed address). */
#define BCCC_TP_COPY(rec, member)                                                      \
	({                                                                             \
		typeof((rec)->member) __bccc_v = {};                                   \
		__bccc_tp_copy(&__bccc_v, sizeof(__bccc_v), bpf_core_field_size((rec)->member), \
			       &(rec)->member);                                        \
		__bccc_v;                                                              \
	})

/* An array field used as a value (memcpy'd, handed to a function, walked by a loop): a pointer
 * to a copy on the stack, since loads through a pointer into the record are refused. The copy
 * is a compound literal, which lives until the end of the enclosing block, as the user's use
 * of the pointer does. */
#define BCCC_TP_ARRAY(rec, member)                                                     \
	((typeof(&(rec)->member[0]))__bccc_tp_copy((typeof((rec)->member)){},            \
						   sizeof((rec)->member),              \
						   bpf_core_field_size((rec)->member), \
						   &(rec)->member))

/* A field's address used as a pointer (`int *p = &args->f; ... *p`): the address of a copy,
 * for the same reason. */
#define BCCC_TP_ADDR(rec, member)                                                      \
	((typeof(&(rec)->member))__bccc_tp_copy(&(typeof((rec)->member)){},             \
						sizeof((rec)->member),                 \
						bpf_core_field_size((rec)->member),    \
						&(rec)->member))

/* Reading __data_loc fields (BCC's TP_DATA_LOC_READ*): the u32 `data_loc_<f>` holds the data's
 * offset from the record's start (low 16 bits) and its length (high 16 bits). BCC's are
 * `do { } while (0)` statements and take the `;` users write after them; these are
 * expressions (the helper's result), which take it too. */
#define __bccc_data_loc(field) BCCC_TP_LOAD(args, data_loc_##field)
/* TP_DATA_LOC_READ's length is the data's, at most 65535: bounded by the destination's size
 * where clang knows it, so the verifier accepts the read into a buffer of any size. */
#define __bccc_fit(dst, len)                                                           \
	({                                                                             \
		__u32 __bccc_len = (len);                                              \
		__u64 __bccc_max = __builtin_object_size(dst, 1);                      \
		__bccc_len > __bccc_max ? (__u32)__bccc_max : __bccc_len;              \
	})
#define TP_DATA_LOC_READ_CONST(dst, field, length)                                     \
	bpf_probe_read_kernel((void *)(dst), (length),                                 \
			      (char *)args + (__bccc_data_loc(field) & 0xFFFF))
#define TP_DATA_LOC_READ(dst, field)                                                   \
	({                                                                             \
		__u32 __bccc_loc = __bccc_data_loc(field);                             \
		bpf_probe_read_kernel((void *)(dst), __bccc_fit(dst, __bccc_loc >> 16), \
				      (char *)args + (__bccc_loc & 0xFFFF));           \
	})
#define TP_DATA_LOC_READ_STR(dst, field, length)                                       \
	bpf_probe_read_kernel_str((void *)(dst), (length),                             \
				  (char *)args + (__bccc_data_loc(field) & 0xFFFF))

/* ---- implicit reads the rewrite emits (spec B.5) ---------------------------------------------- */

/* The value of the lvalue `lv` (`*p`, `p[i]`, `p->arr[i]`) that lies in kernel (user) memory,
 * read whole with one probe read of its CO-RE-relocated address; zero if the read faults, as
 * BCC's memset-then-read was. */
#define BCCC_READ(lv)                                                                  \
	({                                                                             \
		__typeof_unqual__(lv) __bccc_v;                                        \
		bpf_core_read(&__bccc_v, sizeof(__bccc_v), &(lv));                     \
		__bccc_v;                                                              \
	})
#define BCCC_READ_USER(lv)                                                             \
	({                                                                             \
		__typeof_unqual__(lv) __bccc_v;                                        \
		bpf_core_read_user(&__bccc_v, sizeof(__bccc_v), &(lv));                \
		__bccc_v;                                                              \
	})
/* The same when the address of `lv` holds CO-RE reads of its own, which clang does not accept
 * inside another read's __builtin_preserve_access_index: the address is computed plainly
 * (vmlinux.h's records still relocate their fields through their preserve_access_index). */
#define BCCC_PROBE_READ(lv)                                                            \
	({                                                                             \
		__typeof_unqual__(lv) __bccc_v;                                        \
		bpf_probe_read_kernel(&__bccc_v, sizeof(__bccc_v), &(lv));             \
		__bccc_v;                                                              \
	})
#define BCCC_PROBE_READ_USER(lv)                                                       \
	({                                                                             \
		__typeof_unqual__(lv) __bccc_v;                                        \
		bpf_probe_read_user(&__bccc_v, sizeof(__bccc_v), &(lv));               \
		__bccc_v;                                                              \
	})

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
