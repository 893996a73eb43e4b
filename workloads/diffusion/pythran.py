"""pythran: adapter for the compiled diffusion_pythran extension (a float64 2-D array in, a new one out).

Bit-identical to pure_python: each cell is the same expression in the same order, compiled by the workload's
flags (-O3 -ffp-contract=off: no fast-math, no FMA contraction).
"""
import diffusion_pythran as KERNEL_MODULE
import numpy as np

from workloads.diffusion.spec import DT, D


def prepare(inputs, params):
    return np.array(inputs, dtype=np.float64)


def calculate(initial, params, threads=1):
    return KERNEL_MODULE.diffuse(initial, params["steps"], DT, D)
