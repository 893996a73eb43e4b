"""numba_parallel: @njit(parallel=True, nogil=True, cache=False) with prange, expanded math.

NUMBA_NUM_THREADS is set by the harness before import; calculate() calls
numba.set_num_threads(threads).  The first calculate() includes JIT compilation.
"""
import numba
import numpy as np
from numba import njit, prange


@njit(parallel=True, nogil=True, cache=False)
def calculate_z(maxiter, zs, cs):
    length = zs.shape[0]
    output = np.empty(length, dtype=np.int32)
    for i in prange(length):
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


def prepare(inputs, params):
    zs, cs = inputs
    return np.array(zs, dtype=np.complex128), np.array(cs, dtype=np.complex128)


def calculate(args, params, threads=1):
    maxiter = params["max_iterations"]
    numba.set_num_threads(threads)
    zs, cs = args
    return calculate_z(maxiter, zs, cs)
