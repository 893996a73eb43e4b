"""numpy_roll: the book's naive numpy version (diffusion_numpy_naive.py): whole-array expressions with
np.roll.

    laplacian = roll(+1, 0) + roll(-1, 0) + roll(+1, 1) + roll(-1, 1) - 4 * grid
    grid      = grid + dt * D * laplacian

Every step allocates the four rolled copies and the temporaries of the expression: the allocation and memory
traffic the book's chapter sets out to remove. Within tolerance, not bit-identical: the neighbours are summed
as ((a + b + c + d) - 4g) * (dt*D) instead of ((a + b - 2g) + (c + d - 2g)) * D * dt, so roundings differ in
the last bits (see the rtol/atol comment in spec.py). The prepared grid is only read: np.roll and the
arithmetic return new arrays.
"""
import numpy as np

from workloads.diffusion.spec import DT, D


def laplacian(grid):
    return (np.roll(grid, +1, 0) + np.roll(grid, -1, 0) +
            np.roll(grid, +1, 1) + np.roll(grid, -1, 1) - 4 * grid)


def evolve(grid, dt, D=1.0):
    return grid + dt * D * laplacian(grid)


def prepare(inputs, params):
    return np.array(inputs, dtype=np.float64)


def calculate(grid, params, threads=1):
    for _ in range(params["steps"]):
        grid = evolve(grid, DT, D)
    return grid
