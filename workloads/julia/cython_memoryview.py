"""cython_memoryview: adapter for the compiled julia_cython_memoryview extension."""
import julia_cython_memoryview as KERNEL_MODULE
import numpy as np


def prepare(inputs, params):
    zs, cs = inputs
    return np.array(zs, dtype=np.complex128), np.array(cs, dtype=np.complex128)


def calculate(args, params, threads=1):
    maxiter = params["max_iterations"]
    zs, cs = args
    return KERNEL_MODULE.calculate_z(maxiter, zs, cs)
