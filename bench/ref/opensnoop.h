/* SPDX-License-Identifier: Apache-2.0 */
/* The event shared by opensnoop.bpf.c and its loader; mirrors testdata/opensnoop.c's data_t. */
#ifndef BCCC_BENCH_OPENSNOOP_H
#define BCCC_BENCH_OPENSNOOP_H

#define EV_COMM_LEN 16
#define EV_FNAME_LEN 256

struct event {
	unsigned int pid;
	char comm[EV_COMM_LEN];
	char fname[EV_FNAME_LEN];
};

#endif
