// SPDX-License-Identifier: Apache-2.0
/*
 * Reference for the benchmark: opensnoop written by hand for libbpf (CO-RE), the way a
 * libbpf-tools author would port testdata/opensnoop.c. Same tracepoint, same event
 * layout, same perf buffer, so the bench compares the runtimes, not the programs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "opensnoop.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int trace_openat(struct trace_event_raw_sys_enter *ctx)
{
	struct event data = {};

	data.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(&data.comm, sizeof(data.comm));
	/* openat(dfd, filename, flags, mode): the path is the second argument. */
	bpf_probe_read_user_str(&data.fname, sizeof(data.fname),
				(const char *)BPF_CORE_READ(ctx, args[1]));
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &data, sizeof(data));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
