/*
 * block_rq: trace block I/O requests as they are issued to the device driver.
 *
 * Prints one line per request: the issuing process id, the device as major and
 * minor numbers, the first sector, the request size in sectors and bytes, the
 * operation flags (rwbs: R read, W write, S sync, ...), the command name the
 * tracepoint recorded and its cmd string (a __data_loc field).
 *
 * The block_rq_issue record changed between kernels: 6.x inserted ioprio before
 * rwbs, later kernels widened rwbs from 8 to 10 bytes. CO-RE relocates every
 * field read here, the __data_loc offset of cmd included.
 */
#define CMD_LEN 16

struct data_t {
    u32 pid;
    u32 major;
    u32 minor;
    u32 nr_sector;
    u64 sector;
    u32 bytes;
    char rwbs[10];
    char comm[16];
    char cmd[CMD_LEN];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(block, block_rq_issue)
{
    struct data_t data = {};

    data.pid = bpf_get_current_pid_tgid() >> 32;
    data.major = args->dev >> 20;
    data.minor = args->dev & ((1U << 20) - 1);
    data.sector = args->sector;
    data.nr_sector = args->nr_sector;
    data.bytes = args->bytes;
    bpf_probe_read_kernel(&data.rwbs, sizeof(data.rwbs), args->rwbs);
    bpf_probe_read_kernel(&data.comm, sizeof(data.comm), args->comm);
    TP_DATA_LOC_READ_STR(&data.cmd, cmd, sizeof(data.cmd));

    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: needs disk btf:trace_event_raw_block_rq
// test: run -d 2
// test: workload dd if=$DISK of=/dev/null bs=4096 skip=100 count=1 iflag=direct 2>/dev/null
// test: expect header PID MAJOR MINOR NR_SECTOR SECTOR BYTES RWBS COMM CMD
// test: expect row SECTOR=800 MAJOR=${DISK_MAJOR} MINOR=${DISK_MINOR} NR_SECTOR=8 BYTES=4096 RWBS^=R fields=8
