#include <string.h>

#include "diffusion.h"

/* pure Python's expression, in its order: g + D * (g_xx + g_yy) * dt */
static inline double cell(double g, double below, double above, double right, double left, double dt, double D)
{
    return g + D * ((below + above - 2.0 * g) + (right + left - 2.0 * g)) * dt;
}

/* Row i of one step: the two edge columns apart, so that the inner loop has no modulo (and vectorises). */
static inline void diffusion_row(const double *grid, double *restrict out, long n, long i, double dt, double D)
{
    long last = n - 1, j;
    const double *row = grid + i * n;
    const double *below = grid + (i < last ? i + 1 : 0) * n;
    const double *above = grid + (i > 0 ? i - 1 : last) * n;
    double *new = out + i * n;

    new[0] = cell(row[0], below[0], above[0], row[last > 0 ? 1 : 0], row[last], dt, D);
    for (j = 1; j < last; j++)
        new[j] = cell(row[j], below[j], above[j], row[j + 1], row[j - 1], dt, D);
    if (last > 0)
        new[last] = cell(row[last], below[last], above[last], row[0], row[last - 1], dt, D);
}

/* The grid step k reads and writes: step 0 reads initial; step k writes out when steps - 1 - k is even. */
static inline double *destination(double *out, double *scratch, int steps, int k)
{
    return (steps - 1 - k) % 2 == 0 ? out : scratch;
}

static inline const double *source(const double *initial, double *out, double *scratch, int steps, int k)
{
    return k == 0 ? initial : destination(out, scratch, steps, k - 1);
}

void diffusion_run_serial(const double *initial, double *out, double *scratch, long n, int steps,
                          double dt, double D)
{
    int k;
    long i;
    if (steps <= 0) {
        memcpy(out, initial, (size_t)n * (size_t)n * sizeof(double));
        return;
    }
    for (k = 0; k < steps; k++) {
        const double *grid = source(initial, out, scratch, steps, k);
        double *dest = destination(out, scratch, steps, k);
        for (i = 0; i < n; i++)
            diffusion_row(grid, dest, n, i, dt, D);
    }
}

void diffusion_run_openmp(const double *initial, double *out, double *scratch, long n, int steps,
                          double dt, double D, int threads)
{
    if (steps <= 0) {
        memcpy(out, initial, (size_t)n * (size_t)n * sizeof(double));
        return;
    }
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#else
    (void)threads;
#endif
    {
        int k;
        long i;
        for (k = 0; k < steps; k++) {
            const double *grid = source(initial, out, scratch, steps, k);
            double *dest = destination(out, scratch, steps, k);
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
            for (i = 0; i < n; i++)
                diffusion_row(grid, dest, n, i, dt, D);
        }
    }
}
