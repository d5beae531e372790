/*
 * uprobe_target: a user-space program for the uprobe tests (plain C, not BPF).
 *
 * Usage: uprobe_target N [DELAY_MS]
 * Waits DELAY_MS milliseconds (default 0), then calls bccc_test_work(i) for
 * i = 1..N, prints the sum of the results and exits. uprobe_count.c attaches
 * to bccc_test_work; its first argument is i, so a tracer sees N calls whose
 * arguments add up to N * (N + 1) / 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Kept out of line and visible in the symbol table so a uprobe can find it. */
__attribute__((noinline, used)) int bccc_test_work(int n)
{
    /* An empty asm keeps the compiler from folding calls away or cloning us. */
    __asm__ volatile("" : "+r"(n) : : "memory");
    return n * 2 + 1;
}

int main(int argc, char **argv)
{
    long count, delay_ms, i;
    long long sum = 0;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s N [DELAY_MS]\n", argv[0]);
        return 2;
    }
    count = strtol(argv[1], NULL, 10);
    delay_ms = argc == 3 ? strtol(argv[2], NULL, 10) : 0;
    if (delay_ms > 0) {
        struct timespec ts = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }
    for (i = 1; i <= count; i++)
        sum += bccc_test_work((int)i);
    printf("%lld\n", sum);
    return 0;
}
