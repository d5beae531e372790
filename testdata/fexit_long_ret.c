/*
 * fexit_long_ret: the result of do_sys_openat2(), declared `long`.
 *
 * do_sys_openat2() returns long up to 6.12 and int on newer kernels. CO-RE does
 * not relocate prototypes, so a program declaring the result wider than the
 * running kernel returns it reads undefined upper bytes; the tool warns before
 * tracing on such kernels (and is quiet where the kernel's prototype fits). It
 * prints the pid, the result as read and the path of each open.
 */
#include <linux/sched.h>

struct data_t {
    u32 pid;
    s64 ret;
    char fname[256];
};

BPF_PERF_OUTPUT(events);

KRETFUNC_PROBE(do_sys_openat2, int dfd, const char *filename, struct open_how *how, long ret)
{
    struct data_t data = {};

    data.pid = bpf_get_current_pid_tgid() >> 32;
    data.ret = ret;
    bpf_probe_read_user_str(&data.fname, sizeof(data.fname), filename);
    events.perf_submit(ctx, &data, sizeof(data));
    return 0;
}

// test: needs fentry func:do_sys_openat2
// test: run -d 2
// test: workload cat $TMP/widened-open 2>/dev/null; true
// test: expect row FNAME=${TMP}/widened-open
// test: expect when ret-size<8:do_sys_openat2 stderr warning: fexit do_sys_openat2
// test: expect when ret-size<8:do_sys_openat2 stderr `long ret` is 8 bytes
