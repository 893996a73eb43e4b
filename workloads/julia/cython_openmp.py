"""cython_openmp: adapter for the compiled julia_cython_openmp extension (prange, threads)."""
import julia_cython_openmp as KERNEL_MODULE
import numpy as np


def prepare(zs, cs):
    return np.array(zs, dtype=np.complex128), np.array(cs, dtype=np.complex128)


def calculate(maxiter, args, threads=1):
    zs, cs = args
    return KERNEL_MODULE.calculate_z(maxiter, zs, cs, threads)
