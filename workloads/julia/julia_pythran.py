"""Pythran kernel source (compiled by workloads/build.py to the julia_pythran extension).

Never imported as Python by the harness: the adapter pythran.py imports the compiled
module and the harness refuses a julia_pythran that is not an extension module.
"""
import numpy as np

#pythran export calculate_z(int, complex128[], complex128[])


def calculate_z(maxiter, zs, cs):
    length = len(zs)
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
