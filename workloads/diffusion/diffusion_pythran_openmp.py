"""Pythran kernel source with an OpenMP loop (compiled with -fopenmp to diffusion_pythran_openmp).

As diffusion_pythran.py, the rows of each step shared out by '#omp parallel for schedule(static)'; the
number of threads comes from OMP_NUM_THREADS, which the harness sets before import.
"""
import numpy as np

#pythran export diffuse(float64[:, :], int, float64, float64)


def evolve(grid, out, dt, D):
    n = grid.shape[0]
    last = n - 1
    second = 1 if last > 0 else 0  # column 0's right neighbour (itself when n == 1)
    #omp parallel for schedule(static)
    for i in range(n):
        ip = i + 1 if i < last else 0
        im = i - 1 if i > 0 else last
        g = grid[i, 0]
        out[i, 0] = g + D * ((grid[ip, 0] + grid[im, 0] - 2.0 * g)
                             + (grid[i, second] + grid[i, last] - 2.0 * g)) * dt
        for j in range(1, last):
            g = grid[i, j]
            out[i, j] = g + D * ((grid[ip, j] + grid[im, j] - 2.0 * g)
                                 + (grid[i, j + 1] + grid[i, j - 1] - 2.0 * g)) * dt
        if last > 0:
            g = grid[i, last]
            out[i, last] = g + D * ((grid[ip, last] + grid[im, last] - 2.0 * g)
                                    + (grid[i, 0] + grid[i, last - 1] - 2.0 * g)) * dt


def diffuse(initial, steps, dt, D):
    """The grid after `steps` steps from `initial` (only read), double-buffered."""
    if steps < 1:
        return initial.copy()
    first = np.empty_like(initial)
    second = np.empty_like(initial)
    evolve(initial, first, dt, D)
    for k in range(1, steps):
        if k % 2 == 1:
            evolve(first, second, dt, D)
        else:
            evolve(second, first, dt, D)
    return first if (steps - 1) % 2 == 0 else second
