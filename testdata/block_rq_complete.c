/*
 * block_rq_complete: trace block I/O requests as they complete.
 *
 * Prints one line per completed request: the device as major and minor numbers,
 * the first sector, the size in sectors, the error code, the operation flags
 * (rwbs: R read, W write, S sync, ...) and the request's cmd string.
 *
 * The record of block_rq_complete is not the same on every kernel: its BTF struct
 * is trace_event_raw_block_rq_complete on 5.10 and the event class's
 * trace_event_raw_block_rq_completion from 6.1 on; 6.x inserted ioprio before
 * rwbs and later kernels widened rwbs from 8 to 10 bytes, moving cmd. One build
 * reads every field where the running kernel's format file puts it.
 */
struct data_t {
    u32 major;
    u32 minor;
    u64 sector;
    u32 nr_sector;
    s32 error;
    char rwbs[10];
    char cmd[16];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(block, block_rq_complete)
{
    struct data_t data = {};

    data.major = args->dev >> 20;
    data.minor = args->dev & ((1U << 20) - 1);
    data.sector = args->sector;
    data.nr_sector = args->nr_sector;
    data.error = args->error;
    __builtin_memcpy(&data.rwbs, args->rwbs, sizeof(data.rwbs));
    TP_DATA_LOC_READ_STR(&data.cmd, cmd, sizeof(data.cmd));

    events.perf_submit(args, &data, sizeof(data));
    return 0;
}

// test: needs disk
// test: run -d 2
// test: workload dd if=$DISK of=/dev/null bs=4096 skip=100 count=1 iflag=direct 2>/dev/null
// test: expect header MAJOR MINOR SECTOR NR_SECTOR ERROR RWBS CMD
// test: expect row MAJOR=${DISK_MAJOR} MINOR=${DISK_MINOR} SECTOR=800 NR_SECTOR=8 ERROR=0 RWBS^=R
