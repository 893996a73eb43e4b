"""cython_openmp: adapter for the compiled diffusion_cython_openmp extension (prange over rows, threads).

Bit-identical to pure_python: the threads share out the rows of each step, but every cell is still computed
alone, by the same expression in the same order (no reduction), without fast-math or FMA contraction.
"""
import diffusion_cython_openmp as KERNEL_MODULE
import numpy as np

from workloads.diffusion.spec import DT, D


def prepare(inputs, params):
    return np.array(inputs, dtype=np.float64)


def calculate(initial, params, threads=1):
    return KERNEL_MODULE.diffuse(initial, params["steps"], DT, D, threads)
