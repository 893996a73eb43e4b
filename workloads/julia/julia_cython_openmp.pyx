# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False, freethreading_compatible=True
"""As julia_cython_memoryview, with an OpenMP prange (schedule="guided")."""
import numpy as np
from cython.parallel import prange


def calculate_z(int maxiter, const double complex[::1] zs, const double complex[::1] cs,
                int threads):
    cdef Py_ssize_t i, length = zs.shape[0]
    cdef int n
    cdef double zr, zi, cr, ci, zr_new
    out = np.empty(length, dtype=np.intc)
    cdef int[::1] output = out
    for i in prange(length, nogil=True, schedule="guided", num_threads=threads):
        zr = zs[i].real
        zi = zs[i].imag
        cr = cs[i].real
        ci = cs[i].imag
        n = 0
        while n < maxiter and zr * zr + zi * zi < 4.0:
            zr_new = zr * zr - zi * zi + cr
            zi = 2.0 * zr * zi + ci
            zr = zr_new
            n = n + 1
        output[i] = n
    return out
