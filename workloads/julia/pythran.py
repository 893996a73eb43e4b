"""pythran: adapter for the compiled julia_pythran extension (complex128 arrays in)."""
import julia_pythran as KERNEL_MODULE
import numpy as np


def prepare(zs, cs):
    return np.array(zs, dtype=np.complex128), np.array(cs, dtype=np.complex128)


def calculate(maxiter, args, threads=1):
    zs, cs = args
    return KERNEL_MODULE.calculate_z(maxiter, zs, cs)
