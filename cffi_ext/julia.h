/* Julia-set kernel for the cffi variants (cffi_c, cffi_openmp).
 *
 * Inputs are the real and imaginary parts of z and c as separate double arrays of length n;
 * output[i] receives the number of z = z*z + c steps taken at point i (escape test
 * zr*zr + zi*zi < 4, at most maxiter steps), bit-identical to the pure Python kernel when
 * compiled with -ffp-contract=off and without -ffast-math.
 */
#ifndef PYSHOOTOUT_JULIA_H
#define PYSHOOTOUT_JULIA_H

void julia_calculate_z_serial(int maxiter, const double *zr, const double *zi,
                              const double *cr, const double *ci, int *output, long n);

/* OpenMP version: '#pragma omp parallel for schedule(guided) num_threads(threads)' when
 * compiled with -fopenmp; a plain serial loop otherwise. */
void julia_calculate_z_openmp(int maxiter, const double *zr, const double *zi,
                              const double *cr, const double *ci, int *output, long n,
                              int threads);

#endif
