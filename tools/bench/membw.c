/* The machine's memory read bandwidth: how fast `threads` threads can stream 128 MB (the int8
 * 100k-row bank a single point reads), the floor under single-point latency (BENCHMARKS.md).
 *   gcc -O2 -mavx2 -pthread tools/bench/membw.c -o /tmp/membw && /tmp/membw 2
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BYTES (128L << 20)
static unsigned char *buf;
static int threads;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Sums this thread's share of the buffer, 32 bytes at a time (the sum keeps the loads). */
static void *read_share(void *arg) {
    long id = (long)arg, share = BYTES / threads;
    __m256i acc = _mm256_setzero_si256();
    for (long i = id * share; i < (id + 1) * share; i += 32)
        acc = _mm256_add_epi8(acc, _mm256_load_si256((__m256i *)(buf + i)));
    long out[4];
    _mm256_storeu_si256((__m256i *)out, acc);
    return (void *)(out[0] ^ out[1]);
}

int main(int argc, char **argv) {
    threads = argc > 1 ? atoi(argv[1]) : 2;
    if (threads < 1 || threads > 64) return 1;
    buf = aligned_alloc(64, BYTES);
    if (!buf) return 1;
    memset(buf, 1, BYTES);
    for (int rep = 0; rep < 8; rep++) {
        pthread_t th[64];
        double t0 = now();
        for (long i = 0; i < threads; i++) pthread_create(&th[i], 0, read_share, (void *)i);
        for (int i = 0; i < threads; i++) pthread_join(th[i], 0);
        double t = now() - t0;
        printf("%d threads: 128 MB in %.2f ms, %.1f GB/s\n", threads, t * 1e3, BYTES / t / 1e9);
    }
    return 0;
}
