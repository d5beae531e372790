/* bccc/base.h: what every bccc-compiled BPF program sees first, in both the libclang parse and
 * the clang compile. bccc precompiles this header (one PCH per flag set), so keep it to the
 * kernel types, libbpf's BPF-side headers and macros that never depend on -D flags. */
#ifndef __BCCC_BASE_H
#define __BCCC_BASE_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

/* Forces type T into the object's BTF under a name the package stage looks up
 * (`__bccc_anchor_<name>`), so event layouts can be decoded even when T is only used by local
 * variables (which BTF does not describe). The pointer lives in a section libbpf skips, so it
 * costs 8 bytes of ELF and no map at load time. */
#define BCCC_ANCHOR_TYPE(name, T) \
	T *__bccc_anchor_##name __attribute__((section(".bccc.anchor"), used))

#endif /* __BCCC_BASE_H */
