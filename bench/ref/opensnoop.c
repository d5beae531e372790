// SPDX-License-Identifier: Apache-2.0
/*
 * Reference for the benchmark: a hand-written libbpf loader for opensnoop.bpf.c, with the
 * BPF object embedded through a bpftool skeleton. Prints one line per openat() event and
 * stops after -d SECS or at SIGINT/SIGTERM. Like a bccc-built tool, it prints
 * "Tracing... Hit Ctrl-C to end." to stderr once every program is attached; the bench
 * times a start from spawn to that line.
 *
 * Build (the bench does this): see bench/bench.py, build_reference().
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "opensnoop.h"
#include "opensnoop.skel.h"

static volatile sig_atomic_t exiting;
static int verbose;
static unsigned long long lost_events;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	if (level == LIBBPF_INFO && !verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void on_event(void *ctx, int cpu, void *data, __u32 size)
{
	const struct event *e = data;

	(void)ctx;
	(void)cpu;
	if (size < sizeof(*e))
		return;
	printf("%-7u %-16.16s %s\n", e->pid, e->comm, e->fname);
}

static void on_lost(void *ctx, int cpu, __u64 count)
{
	(void)ctx;
	(void)cpu;
	lost_events += count;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-d SECS] [-v]\n", prog);
}

int main(int argc, char **argv)
{
	struct opensnoop_bpf *skel = NULL;
	struct perf_buffer *pb = NULL;
	double duration = 0, deadline;
	int opt, err = 0;

	while ((opt = getopt(argc, argv, "d:vh")) != -1) {
		switch (opt) {
		case 'd':
			duration = strtod(optarg, NULL);
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage(argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}

	libbpf_set_print(print_libbpf);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	skel = opensnoop_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "opensnoop: cannot load the BPF object: %s\n", strerror(errno));
		return 1;
	}
	err = opensnoop_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "opensnoop: cannot attach: %s\n", strerror(-err));
		goto out;
	}
	pb = perf_buffer__new(bpf_map__fd(skel->maps.events), 64, on_event, on_lost, NULL, NULL);
	if (!pb) {
		err = -errno;
		fprintf(stderr, "opensnoop: cannot open the perf buffer: %s\n", strerror(errno));
		goto out;
	}

	printf("%-7s %-16s %s\n", "PID", "COMM", "FNAME");
	fflush(stdout);
	fprintf(stderr, "Tracing... Hit Ctrl-C to end.\n");

	deadline = duration > 0 ? now_s() + duration : 0;
	while (!exiting) {
		err = perf_buffer__poll(pb, 100);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "opensnoop: polling the perf buffer: %s\n", strerror(-err));
			goto out;
		}
		err = 0;
		if (deadline && now_s() >= deadline)
			break;
	}
	if (lost_events)
		fprintf(stderr, "opensnoop: lost %llu events\n", lost_events);

out:
	perf_buffer__free(pb);
	opensnoop_bpf__destroy(skel);
	return err ? 1 : 0;
}
