/* SIMD Julia kernel (cffi_simd, cffi_simd_openmp) and the scalar kernel with a selectable
 * OpenMP schedule (cffi_openmp_static, cffi_openmp_dynamic).  See julia_simd.h.
 *
 * Bit-exactness: every lane performs exactly the scalar kernel's operations of julia.c in
 * the same order,
 *     test:   zr*zr + zi*zi < 4.0                (before each step)
 *     step:   zr_new = zr*zr - zi*zi + cr;  zi = 2.0*zr*zi + ci;  zr = zr_new
 * with IEEE double vector multiplies/adds (GCC vector extensions), so nothing may contract
 * them into FMAs: build with -ffp-contract=off and never with -ffast-math.
 *
 * SIMD design: a block of JULIA_SIMD_U independent vectors of JULIA_SIMD_VL points each is
 * iterated together (U interleaved dependency chains hide the multiply/add latency).  Each
 * lane has an "active" mask (all ones while the lane has not escaped) and a counter; each
 * step does  active &= (zr*zr + zi*zi < 4);  count -= active  (i.e. +1 while active);
 * then updates z in every lane.  An escaped lane keeps being updated (its z only grows, to
 * inf/NaN) but its mask stays zero, so its count stops exactly where the scalar loop stops.
 * The block ends when no lane is active or after maxiter steps, so count <= maxiter.
 */
#include <string.h>

#include "julia_simd.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__AVX512F__) || defined(__AVX__) || defined(__SSE2__)
#include <immintrin.h>
#endif

/* ------------------------------------------------------------------ build-time ISA choice */
#if defined(__GNUC__) && defined(__AVX512F__)
#define JULIA_SIMD_VL 8
#define JULIA_SIMD_ISA "avx512"
#elif defined(__GNUC__) && defined(__AVX__)
#define JULIA_SIMD_VL 4
#define JULIA_SIMD_ISA "avx2"   /* AVX is enough for 4 x double; AVX2 implies it */
#elif defined(__GNUC__) && defined(__SSE2__)
#define JULIA_SIMD_VL 2
#define JULIA_SIMD_ISA "sse2"
#elif defined(__GNUC__)
#define JULIA_SIMD_VL 2
#define JULIA_SIMD_ISA "generic-vector"
#else
#define JULIA_SIMD_VL 1
#define JULIA_SIMD_ISA "scalar"
#endif

#ifndef JULIA_SIMD_U
#define JULIA_SIMD_U 4          /* interleaved vectors per block */
#endif
#define JULIA_SIMD_BLOCK (JULIA_SIMD_VL * JULIA_SIMD_U)

#ifndef JULIA_SIMD_OMP_CHUNK
#define JULIA_SIMD_OMP_CHUNK 16 /* blocks per dynamic chunk (16 x 32 points with AVX-512) */
#endif

#define JULIA_STR_(x) #x
#define JULIA_STR(x) JULIA_STR_(x)

#ifdef _OPENMP
#define JULIA_OMP_DESC ", openmp dynamic," JULIA_STR(JULIA_SIMD_OMP_CHUNK) " blocks"
#else
#define JULIA_OMP_DESC ""
#endif

/* ------------------------------------------------------------------ scalar kernel (julia.c) */
/* Identical to julia_point in julia.c: used by the schedule variants and the scalar path. */
static inline int julia_point_scalar(int maxiter, double zr, double zi, double cr, double ci)
{
    int n = 0;
    while (n < maxiter && zr * zr + zi * zi < 4.0) {
        double zr_new = zr * zr - zi * zi + cr;
        zi = 2.0 * zr * zi + ci;
        zr = zr_new;
        n++;
    }
    return n;
}

#if JULIA_SIMD_VL > 1
/* ------------------------------------------------------------------ vector kernel */
typedef double vdouble __attribute__((vector_size(8 * JULIA_SIMD_VL)));
typedef long long vlong __attribute__((vector_size(8 * JULIA_SIMD_VL)));

const char *julia_simd_description(void)
{
    return JULIA_SIMD_ISA " " JULIA_STR(JULIA_SIMD_VL) "x" JULIA_STR(JULIA_SIMD_U)
           " interleaved" JULIA_OMP_DESC;
}

static inline int any_lane(vlong m)
{
#if defined(__AVX512F__)
    return _mm512_test_epi64_mask((__m512i)m, (__m512i)m) != 0;
#elif defined(__AVX__)
    return !_mm256_testz_si256((__m256i)m, (__m256i)m);
#elif defined(__SSE2__)
    return _mm_movemask_epi8((__m128i)m) != 0;
#else
    int l;
    for (l = 0; l < JULIA_SIMD_VL; l++)
        if (m[l])
            return 1;
    return 0;
#endif
}

/* One full block of JULIA_SIMD_BLOCK consecutive points. */
static inline void julia_block(int maxiter, const double *zr, const double *zi,
                               const double *cr, const double *ci, int *output)
{
    vdouble x[JULIA_SIMD_U], y[JULIA_SIMD_U], a[JULIA_SIMD_U], b[JULIA_SIMD_U];
    vlong count[JULIA_SIMD_U], active[JULIA_SIMD_U];
    const vdouble four = (vdouble){0} + 4.0, two = (vdouble){0} + 2.0;
    int u, l, it;

    for (u = 0; u < JULIA_SIMD_U; u++) {
        memcpy(&x[u], zr + u * JULIA_SIMD_VL, sizeof(vdouble));
        memcpy(&y[u], zi + u * JULIA_SIMD_VL, sizeof(vdouble));
        memcpy(&a[u], cr + u * JULIA_SIMD_VL, sizeof(vdouble));
        memcpy(&b[u], ci + u * JULIA_SIMD_VL, sizeof(vdouble));
        count[u] = (vlong){0};
        active[u] = (vlong){0} - 1;
    }
    for (it = 0; it < maxiter; it++) {
        vlong any = {0};
#pragma GCC unroll 8
        for (u = 0; u < JULIA_SIMD_U; u++) {
            vdouble xx = x[u] * x[u];
            vdouble yy = y[u] * y[u];
            vdouble x_new;
            active[u] &= (vlong)(xx + yy < four);   /* zr*zr + zi*zi < 4.0 */
            count[u] -= active[u];                 /* n++ while not escaped */
            any |= active[u];
            x_new = xx - yy + a[u];                /* zr*zr - zi*zi + cr */
            y[u] = two * x[u] * y[u] + b[u];       /* 2.0*zr*zi + ci */
            x[u] = x_new;
        }
        if (!any_lane(any))
            break;
    }
    for (u = 0; u < JULIA_SIMD_U; u++)
        for (l = 0; l < JULIA_SIMD_VL; l++)
            output[u * JULIA_SIMD_VL + l] = (int)count[u][l];
}

/* Block number `blk` of the n points; the last, partial one goes through padded copies
 * (padding z = c = 4 escapes before the first step). */
static void julia_block_at(int maxiter, const double *zr, const double *zi, const double *cr,
                           const double *ci, int *output, long n, long blk)
{
    long start = blk * JULIA_SIMD_BLOCK;
    long rem = n - start;
    if (rem >= JULIA_SIMD_BLOCK) {
        julia_block(maxiter, zr + start, zi + start, cr + start, ci + start, output + start);
    } else {
        double pzr[JULIA_SIMD_BLOCK], pzi[JULIA_SIMD_BLOCK];
        double pcr[JULIA_SIMD_BLOCK], pci[JULIA_SIMD_BLOCK];
        int pout[JULIA_SIMD_BLOCK];
        long i;
        for (i = 0; i < JULIA_SIMD_BLOCK; i++) {
            int real = i < rem;
            pzr[i] = real ? zr[start + i] : 4.0;
            pzi[i] = real ? zi[start + i] : 4.0;
            pcr[i] = real ? cr[start + i] : 4.0;
            pci[i] = real ? ci[start + i] : 4.0;
        }
        julia_block(maxiter, pzr, pzi, pcr, pci, pout);
        for (i = 0; i < rem; i++)
            output[start + i] = pout[i];
    }
}

void julia_simd_calculate_z_serial(int maxiter, const double *zr, const double *zi,
                                   const double *cr, const double *ci, int *output, long n)
{
    long blk, nblocks = (n + JULIA_SIMD_BLOCK - 1) / JULIA_SIMD_BLOCK;
    for (blk = 0; blk < nblocks; blk++)
        julia_block_at(maxiter, zr, zi, cr, ci, output, n, blk);
}

void julia_simd_calculate_z_openmp(int maxiter, const double *zr, const double *zi,
                                   const double *cr, const double *ci, int *output, long n,
                                   int threads)
{
    long blk, nblocks = (n + JULIA_SIMD_BLOCK - 1) / JULIA_SIMD_BLOCK;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, JULIA_SIMD_OMP_CHUNK) num_threads(threads)
#else
    (void)threads;
#endif
    for (blk = 0; blk < nblocks; blk++)
        julia_block_at(maxiter, zr, zi, cr, ci, output, n, blk);
}

#else /* JULIA_SIMD_VL == 1: no vector extensions, the scalar loop */

const char *julia_simd_description(void)
{
    return "scalar (no vector extensions)" JULIA_OMP_DESC;
}

void julia_simd_calculate_z_serial(int maxiter, const double *zr, const double *zi,
                                   const double *cr, const double *ci, int *output, long n)
{
    long i;
    for (i = 0; i < n; i++)
        output[i] = julia_point_scalar(maxiter, zr[i], zi[i], cr[i], ci[i]);
}

void julia_simd_calculate_z_openmp(int maxiter, const double *zr, const double *zi,
                                   const double *cr, const double *ci, int *output, long n,
                                   int threads)
{
    long i;
#ifdef _OPENMP
#pragma omp parallel for schedule(guided) num_threads(threads)
#else
    (void)threads;
#endif
    for (i = 0; i < n; i++)
        output[i] = julia_point_scalar(maxiter, zr[i], zi[i], cr[i], ci[i]);
}
#endif

/* ------------------------------------------------------------------ schedule variants */
#ifdef _OPENMP
#define JULIA_OMP_LOOP(kind)                                                         \
    _Pragma(JULIA_STR(omp parallel for schedule(kind) num_threads(threads)))         \
    for (i = 0; i < n; i++)                                                          \
        output[i] = julia_point_scalar(maxiter, zr[i], zi[i], cr[i], ci[i]);
#else
#define JULIA_OMP_LOOP(kind)                                                         \
    for (i = 0; i < n; i++)                                                          \
        output[i] = julia_point_scalar(maxiter, zr[i], zi[i], cr[i], ci[i]);
#endif

int julia_calculate_z_openmp_schedule(int maxiter, const double *zr, const double *zi,
                                      const double *cr, const double *ci, int *output, long n,
                                      int threads, const char *schedule)
{
    long i;
    (void)threads;
    if (strcmp(schedule, "static") == 0) {
        JULIA_OMP_LOOP(static)
    } else if (strcmp(schedule, "dynamic") == 0) {
        JULIA_OMP_LOOP(dynamic)
    } else if (strcmp(schedule, "guided") == 0) {
        JULIA_OMP_LOOP(guided)
    } else {
        return -1;
    }
    return 0;
}
