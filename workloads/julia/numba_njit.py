"""numba_njit: @njit(nogil=True, cache=False) over complex128 arrays, expanded math.

Compiled lazily: the first calculate() includes Numba's JIT compilation.
"""
import numpy as np
from numba import njit


@njit(nogil=True, cache=False)
def calculate_z(maxiter, zs, cs):
    length = zs.shape[0]
    output = np.empty(length, dtype=np.int32)
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


def prepare(inputs, params):
    zs, cs = inputs
    return np.array(zs, dtype=np.complex128), np.array(cs, dtype=np.complex128)


def calculate(args, params, threads=1):
    maxiter = params["max_iterations"]
    zs, cs = args
    return calculate_z(maxiter, zs, cs)
