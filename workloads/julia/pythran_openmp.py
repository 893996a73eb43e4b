"""pythran_openmp: adapter for julia_pythran_openmp; threads come from OMP_NUM_THREADS
(set by the harness before import), the ``threads`` argument is not passed to the kernel."""
import julia_pythran_openmp as KERNEL_MODULE
import numpy as np


def prepare(inputs, params):
    zs, cs = inputs
    return np.array(zs, dtype=np.complex128), np.array(cs, dtype=np.complex128)


def calculate(args, params, threads=1):
    maxiter = params["max_iterations"]
    zs, cs = args
    return KERNEL_MODULE.calculate_z(maxiter, zs, cs)
