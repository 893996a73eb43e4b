/* 2-D diffusion kernel for the cffi variants (cffi_c, cffi_openmp).
 *
 * Grids are n*n doubles, row-major, with periodic boundaries. One step computes, for every cell,
 *     out[i][j] = g + D * (g_xx + g_yy) * dt
 *     g_xx = grid[i+1][j] + grid[i-1][j] - 2.0*g,   g_yy = grid[i][j+1] + grid[i][j-1] - 2.0*g   (indices mod n)
 * in exactly that order, so that compiled with -ffp-contract=off and without -ffast-math the result is
 * bit-identical to the pure Python kernel of workloads/diffusion/pure_python.py.
 *
 * diffusion_run_* apply `steps` steps to `initial` (only read) and leave the result in `out`; `scratch` is a
 * second n*n grid the steps alternate with (the first step reads `initial` directly, and the buffer it writes
 * is chosen by the parity of `steps` so that the last step writes `out`). steps <= 0 copies initial to out.
 */
#ifndef PYSHOOTOUT_DIFFUSION_H
#define PYSHOOTOUT_DIFFUSION_H

void diffusion_run_serial(const double *initial, double *out, double *scratch, long n, int steps,
                          double dt, double D);

/* OpenMP version: one '#pragma omp parallel num_threads(threads)' region for all the steps, the rows of each
 * step shared out by '#pragma omp for schedule(static)' (its implicit barrier separates the steps) when
 * compiled with -fopenmp; the serial loop otherwise. */
void diffusion_run_openmp(const double *initial, double *out, double *scratch, long n, int steps,
                          double dt, double D, int threads);

#endif
