/* SIMD and OpenMP-schedule Julia kernels for the cffi variants cffi_simd, cffi_simd_openmp,
 * cffi_openmp_static and cffi_openmp_dynamic.
 *
 * Same inputs, output and arithmetic as julia.h (separate double arrays zr, zi, cr, ci of
 * length n; output[i] = number of z = z*z + c steps at point i, escape test
 * zr*zr + zi*zi < 4 before each step, at most maxiter steps), bit-identical to the pure
 * Python kernel when compiled with -ffp-contract=off and without -ffast-math.
 *
 * The SIMD path is chosen at BUILD time from the compiler's predefined macros (build with
 * -march=native): __AVX512F__ -> 8 doubles per vector, __AVX__ -> 4, __SSE2__ -> 2, else
 * the scalar loop.  julia_simd_description() says which path was compiled.
 */
#ifndef PYSHOOTOUT_JULIA_SIMD_H
#define PYSHOOTOUT_JULIA_SIMD_H

/* e.g. "avx512 8x4 interleaved" (+ ", openmp" when compiled with -fopenmp) */
const char *julia_simd_description(void);

void julia_simd_calculate_z_serial(int maxiter, const double *zr, const double *zi,
                                   const double *cr, const double *ci, int *output, long n);

/* '#pragma omp parallel for schedule(dynamic, JULIA_SIMD_OMP_CHUNK) num_threads(threads)'
 * over blocks of points when compiled with -fopenmp; the serial loop otherwise. */
void julia_simd_calculate_z_openmp(int maxiter, const double *zr, const double *zi,
                                   const double *cr, const double *ci, int *output, long n,
                                   int threads);

/* The scalar kernel of julia.c with the OpenMP schedule chosen by name: "static", "dynamic"
 * or "guided" (each the pragma's default chunk size).  Returns 0, or -1 for an unknown name
 * (output untouched). */
int julia_calculate_z_openmp_schedule(int maxiter, const double *zr, const double *zi,
                                      const double *cr, const double *ci, int *output, long n,
                                      int threads, const char *schedule);

#endif
