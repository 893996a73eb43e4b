"""numba_njit: @njit(nogil=True, cache=False) loops over a 2-D float64 array, edge columns outside the inner
loop.

Bit-identical to pure_python: each cell is the same expression in the same order, and Numba compiles without
fast-math flags (LLVM neither reassociates nor fuses into FMA without them). Compiled lazily: the first
calculate() includes Numba's JIT compilation.
"""
import numpy as np
from numba import njit

from workloads.diffusion.spec import DT, D


@njit(nogil=True, cache=False, inline="always")
def cell(g, below, above, right, left, dt, D):
    return g + D * ((below + above - 2.0 * g) + (right + left - 2.0 * g)) * dt


@njit(nogil=True, cache=False)
def evolve(grid, out, dt, D):
    n = grid.shape[0]
    last = n - 1
    second = 1 if last > 0 else 0  # column 0's right neighbour (itself when n == 1)
    for i in range(n):
        ip = i + 1 if i < last else 0
        im = i - 1 if i > 0 else last
        out[i, 0] = cell(grid[i, 0], grid[ip, 0], grid[im, 0], grid[i, second], grid[i, last], dt, D)
        for j in range(1, last):
            out[i, j] = cell(grid[i, j], grid[ip, j], grid[im, j], grid[i, j + 1], grid[i, j - 1], dt, D)
        if last > 0:
            out[i, last] = cell(grid[i, last], grid[ip, last], grid[im, last], grid[i, 0], grid[i, last - 1],
                                dt, D)


@njit(nogil=True, cache=False)
def diffuse(initial, steps, dt, D):
    """The grid after `steps` steps from `initial` (only read), double-buffered."""
    if steps < 1:
        return initial.copy()
    buffers = (np.empty_like(initial), np.empty_like(initial))
    evolve(initial, buffers[0], dt, D)
    for k in range(1, steps):
        evolve(buffers[(k - 1) % 2], buffers[k % 2], dt, D)
    return buffers[(steps - 1) % 2]


def prepare(inputs, params):
    return np.array(inputs, dtype=np.float64)


def calculate(initial, params, threads=1):
    return diffuse(initial, params["steps"], DT, D)
