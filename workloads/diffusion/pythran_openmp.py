"""pythran_openmp: adapter for diffusion_pythran_openmp; threads come from OMP_NUM_THREADS (set by the harness
before import), the ``threads`` argument is not passed to the kernel.

Bit-identical to pure_python: the threads share out the rows of each step, but every cell is computed alone by
the same expression in the same order (-O3 -ffp-contract=off -fopenmp).
"""
import diffusion_pythran_openmp as KERNEL_MODULE
import numpy as np

from workloads.diffusion.spec import DT, D


def prepare(inputs, params):
    return np.array(inputs, dtype=np.float64)


def calculate(initial, params, threads=1):
    return KERNEL_MODULE.diffuse(initial, params["steps"], DT, D)
