/* bccc/parse.h: the BCC dialect as plain C, for the libclang parse only (never compiled).
 *
 * BCC's maps become global variables of struct types with `key`/`leaf` members and one
 * function-pointer member per method, so `m.lookup(&k)` type-checks as a call, as in BCC's own
 * helpers.h. The analyzer reads each map's facts from the AST:
 *   - kind: the variable's `annotate("bccc_map:<kind>")` attribute (BPF_TABLE's kind string);
 *   - key/value types: the `key` and `leaf` members;
 *   - max_entries and flags: the array sizes of `__bccc_max_entries` / `__bccc_flags`
 *     (pointers to arrays, libbpf's __uint trick, so any constant expression works).
 * Every map struct has every method, so a call of a method the map kind does not support still
 * parses and the analyzer reports it; a name that is no method at all is clang's "no member
 * named" error, which the parse stage turns into bccc's unknown-method diagnostic. */
#ifndef __BCCC_PARSE_H
#define __BCCC_PARSE_H

#include "bccc/base.h"
#include "bccc/compat.h"

#define __BCCC_MAP_METHODS(_key_type, _leaf_type)                                      \
	_leaf_type *(*lookup)(_key_type *);                                             \
	int (*update)(_key_type *, _leaf_type *);                                      \
	int (*insert)(_key_type *, _leaf_type *);                                      \
	int (*delete)(_key_type *);                                                    \
	void (*increment)(_key_type, ...);                                             \
	void (*atomic_increment)(_key_type, ...);                                      \
	_leaf_type *(*lookup_or_try_init)(_key_type *, _leaf_type *);                  \
	_leaf_type *(*lookup_or_init)(_key_type *, _leaf_type *);                      \
	int (*perf_submit)(void *, void *, u32);                                       \
	int (*ringbuf_output)(void *, u64, u64);                                       \
	void *(*ringbuf_reserve)(u64);                                                 \
	void (*ringbuf_submit)(void *, u64);                                           \
	void (*ringbuf_discard)(void *, u64);                                          \
	int (*get_stackid)(void *, u64);

#define BPF_F_TABLE(_kind, _key_type, _leaf_type, _name, _max_entries, _flags)         \
	struct __bccc_map_##_name {                                                    \
		_key_type key;                                                         \
		_leaf_type leaf;                                                       \
		__BCCC_MAP_METHODS(_key_type, _leaf_type)                              \
		int (*__bccc_max_entries)[_max_entries];                               \
		int (*__bccc_flags)[_flags];                                           \
	};                                                                             \
	__attribute__((annotate("bccc_map:" _kind))) struct __bccc_map_##_name _name

#define BPF_TABLE(_kind, _key_type, _leaf_type, _name, _max_entries)                   \
	BPF_F_TABLE(_kind, _key_type, _leaf_type, _name, _max_entries, 0)

/* Default arguments: pick the N-argument form by counting __VA_ARGS__. */
#define __BCCC_PICK(_1, _2, _3, _4, NAME, ...) NAME

#define BPF_HASH1(_name) BPF_TABLE("hash", u64, u64, _name, 10240)
#define BPF_HASH2(_name, _key) BPF_TABLE("hash", _key, u64, _name, 10240)
#define BPF_HASH3(_name, _key, _leaf) BPF_TABLE("hash", _key, _leaf, _name, 10240)
#define BPF_HASH4(_name, _key, _leaf, _size) BPF_TABLE("hash", _key, _leaf, _name, _size)
#define BPF_HASH(...) __BCCC_PICK(__VA_ARGS__, BPF_HASH4, BPF_HASH3, BPF_HASH2, BPF_HASH1)(__VA_ARGS__)

#define BPF_PERCPU_HASH1(_name) BPF_TABLE("percpu_hash", u64, u64, _name, 10240)
#define BPF_PERCPU_HASH2(_name, _key) BPF_TABLE("percpu_hash", _key, u64, _name, 10240)
#define BPF_PERCPU_HASH3(_name, _key, _leaf) BPF_TABLE("percpu_hash", _key, _leaf, _name, 10240)
#define BPF_PERCPU_HASH4(_name, _key, _leaf, _size) BPF_TABLE("percpu_hash", _key, _leaf, _name, _size)
#define BPF_PERCPU_HASH(...)                                                           \
	__BCCC_PICK(__VA_ARGS__, BPF_PERCPU_HASH4, BPF_PERCPU_HASH3, BPF_PERCPU_HASH2,  \
		    BPF_PERCPU_HASH1)(__VA_ARGS__)

#define BPF_LPM_TRIE1(_name) BPF_F_TABLE("lpm_trie", u64, u64, _name, 10240, BPF_F_NO_PREALLOC)
#define BPF_LPM_TRIE2(_name, _key) BPF_F_TABLE("lpm_trie", _key, u64, _name, 10240, BPF_F_NO_PREALLOC)
#define BPF_LPM_TRIE3(_name, _key, _leaf)                                              \
	BPF_F_TABLE("lpm_trie", _key, _leaf, _name, 10240, BPF_F_NO_PREALLOC)
#define BPF_LPM_TRIE4(_name, _key, _leaf, _size)                                       \
	BPF_F_TABLE("lpm_trie", _key, _leaf, _name, _size, BPF_F_NO_PREALLOC)
#define BPF_LPM_TRIE(...)                                                              \
	__BCCC_PICK(__VA_ARGS__, BPF_LPM_TRIE4, BPF_LPM_TRIE3, BPF_LPM_TRIE2, BPF_LPM_TRIE1)(__VA_ARGS__)

#define BPF_ARRAY1(_name) BPF_TABLE("array", int, u64, _name, 10240)
#define BPF_ARRAY2(_name, _leaf) BPF_TABLE("array", int, _leaf, _name, 10240)
#define BPF_ARRAY3(_name, _leaf, _size) BPF_TABLE("array", int, _leaf, _name, _size)
#define BPF_ARRAY(...) __BCCC_PICK(__VA_ARGS__, _, BPF_ARRAY3, BPF_ARRAY2, BPF_ARRAY1)(__VA_ARGS__)

#define BPF_PERCPU_ARRAY1(_name) BPF_TABLE("percpu_array", int, u64, _name, 10240)
#define BPF_PERCPU_ARRAY2(_name, _leaf) BPF_TABLE("percpu_array", int, _leaf, _name, 10240)
#define BPF_PERCPU_ARRAY3(_name, _leaf, _size) BPF_TABLE("percpu_array", int, _leaf, _name, _size)
#define BPF_PERCPU_ARRAY(...)                                                          \
	__BCCC_PICK(__VA_ARGS__, _, BPF_PERCPU_ARRAY3, BPF_PERCPU_ARRAY2, BPF_PERCPU_ARRAY1)(__VA_ARGS__)

#define BPF_HISTOGRAM1(_name) BPF_TABLE("histogram", int, u64, _name, 64)
#define BPF_HISTOGRAM2(_name, _key) BPF_TABLE("histogram", _key, u64, _name, 64)
#define BPF_HISTOGRAM3(_name, _key, _size) BPF_TABLE("histogram", _key, u64, _name, _size)
#define BPF_HISTOGRAM(...)                                                             \
	__BCCC_PICK(__VA_ARGS__, _, BPF_HISTOGRAM3, BPF_HISTOGRAM2, BPF_HISTOGRAM1)(__VA_ARGS__)

#define BPF_PERF_OUTPUT(_name) BPF_TABLE("perf_output", int, u32, _name, 0)
/* max_entries holds the page count; the analyzer turns it into bytes. */
#define BPF_RINGBUF_OUTPUT(_name, _pages) BPF_TABLE("ringbuf", int, u32, _name, _pages)
#define BPF_STACK_TRACE(_name, _max_entries)                                           \
	BPF_TABLE("stacktrace", int, struct bpf_stacktrace, _name, _max_entries)
#define BPF_PERF_ARRAY(_name, _max_entries) BPF_TABLE("perf_array", int, u32, _name, _max_entries)
#define BPF_CGROUP_ARRAY(_name, _max_entries) BPF_TABLE("cgroup_array", int, u32, _name, _max_entries)
#define BPF_PROG_ARRAY(_name, _max_entries) BPF_TABLE("prog", u32, u32, _name, _max_entries)

/* Programs. The tracepoint argument structs `struct tracepoint__<cat>__<ev>` come from the
 * build host's format files, generated by the parse stage into a header included after this. */
#define TRACEPOINT_PROBE(category, event)                                              \
	int tracepoint__##category##__##event(struct tracepoint__##category##__##event *args)
#define RAW_TRACEPOINT_PROBE(event) int raw_tracepoint__##event(struct bpf_raw_tracepoint_args *ctx)
/* BTF programs (fentry, fexit, LSM) parse as one plain function whose first parameter is the raw
 * `ctx` array BPF_PROG provides, followed by the typed kernel arguments: libbpf's BPF_PROG would
 * put the user's body in a second, static function, which the analyzer would not see as the
 * probe. The rewrite turns the header into `SEC("fentry/fn") int BPF_PROG(name, args...)`. */
#define KFUNC_PROBE(event, args...) int kfunc__vmlinux__##event(unsigned long long *ctx, ##args)
#define KRETFUNC_PROBE(event, args...)                                                 \
	int kretfunc__vmlinux__##event(unsigned long long *ctx, ##args)
#define LSM_PROBE(hook, args...) int lsm__##hook(unsigned long long *ctx, ##args)
/* Not BCC: a BTF-typed raw tracepoint (`tp_btf/event`), the same shape with the tracepoint's
 * TP_PROTO arguments. Equivalent to `// bccc:attach tp_btf:event` above a plain function. */
#define TP_BTF_PROBE(event, args...) int tp_btf__##event(unsigned long long *ctx, ##args)

#endif /* __BCCC_PARSE_H */
