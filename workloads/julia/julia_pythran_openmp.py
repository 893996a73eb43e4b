"""Pythran kernel source with an OpenMP loop (compiled with -fopenmp to julia_pythran_openmp).

The number of threads comes from OMP_NUM_THREADS, which the harness sets before import.
"""
import numpy as np

#pythran export calculate_z(int, complex128[], complex128[])


def calculate_z(maxiter, zs, cs):
    length = len(zs)
    output = np.empty(length, dtype=np.int32)
    #omp parallel for schedule(guided)
    for i in range(length):
        zr = zs[i].real
        zi = zs[i].imag
        cr = cs[i].real
        ci = cs[i].imag
        n = 0
        while n < maxiter and zr * zr + zi * zi < 4.0:
            zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
            n += 1
        output[i] = n
    return output
