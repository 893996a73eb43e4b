"""cython: adapter for the compiled diffusion_cython extension (typed memoryviews, GIL released).

Bit-identical to pure_python: each cell is the same expression in the same order, compiled without fast-math
and with -ffp-contract=off (no fused multiply-add), so every rounding is the same.
"""
import diffusion_cython as KERNEL_MODULE
import numpy as np

from workloads.diffusion.spec import DT, D


def prepare(inputs, params):
    return np.array(inputs, dtype=np.float64)


def calculate(initial, params, threads=1):
    return KERNEL_MODULE.diffuse(initial, params["steps"], DT, D)
