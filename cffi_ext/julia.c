#include "julia.h"

static inline int julia_point(int maxiter, double zr, double zi, double cr, double ci)
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

void julia_calculate_z_serial(int maxiter, const double *zr, const double *zi,
                              const double *cr, const double *ci, int *output, long n)
{
    long i;
    for (i = 0; i < n; i++)
        output[i] = julia_point(maxiter, zr[i], zi[i], cr[i], ci[i]);
}

void julia_calculate_z_openmp(int maxiter, const double *zr, const double *zi,
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
        output[i] = julia_point(maxiter, zr[i], zi[i], cr[i], ci[i]);
}
