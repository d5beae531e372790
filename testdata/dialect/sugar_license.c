/*
 * The licence is the program's `#define BPF_LICENSE` (BCC's footer; GPL when it has
 * none), and BCC_SEC places a global in a section of the user's choosing.
 */
#define BPF_LICENSE Dual BSD/GPL

int bccc_marker BCC_SEC(".data.marker") = 42;

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    return bccc_marker == 42 ? 0 : 1;
}

// test: spec A.6 #define BPF_LICENSE
// test: spec A.4 BCC_SEC
