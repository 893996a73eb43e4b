"""pure_python: the book's list-of-lists evolve() (diffusion_python_memory.py), double-buffered.

The per-cell expression is the book's, in the book's order:
    out[i][j] = g + D * (g_xx + g_yy) * dt
    g_xx = grid[i+1][j] + grid[i-1][j] - 2.0*g,  g_yy = grid[i][j+1] + grid[i][j-1] - 2.0*g   (indices mod n)
It is the reference: every other variant is checked against this output.

Honest Python rather than the book's literal loop (which indexes grid[i][j] five times and takes two modulos
per cell): the three rows are looked up once per row, the lower wrap-around is Python's own negative indexing
(grid[-1], row[-1]) and the upper one is the last column handled after the inner loop. Same floats in the same
order, so the same bits, and several times faster than the literal loop on both interpreters. The book's
`[[0.0] * n] * n` (n references to ONE row) is not reproduced: every row is its own list.

Each call starts from the prepared initial grid, which it only reads: the first step reads it and writes the
first of two fresh grids, later steps alternate between the two.
"""
from workloads.diffusion.spec import DT, D


def evolve(grid, out, dt, D=1.0):
    """One explicit Euler step of the diffusion equation on a periodic grid: grid -> out."""
    n = len(grid)
    last = n - 1
    for i in range(n):
        below = grid[i + 1] if i < last else grid[0]
        above = grid[i - 1]  # grid[-1] for i == 0: the periodic neighbour
        row = grid[i]
        new = out[i]
        for j in range(last):  # row[j - 1] is row[-1] for j == 0
            g = row[j]
            new[j] = g + D * ((below[j] + above[j] - 2.0 * g) + (row[j + 1] + row[j - 1] - 2.0 * g)) * dt
        g = row[last]
        new[last] = g + D * ((below[last] + above[last] - 2.0 * g) + (row[0] + row[last - 1] - 2.0 * g)) * dt


def run(initial, steps, dt=DT, D=D):
    n = len(initial)
    buffers = ([[0.0] * n for _ in range(n)], [[0.0] * n for _ in range(n)])
    grid = initial
    for k in range(steps):
        out = buffers[k % 2]
        evolve(grid, out, dt, D)
        grid = out
    return grid


def prepare(inputs, params):
    return inputs


def calculate(grid, params, threads=1):
    return run(grid, params["steps"])


def to_list(output):
    return [value for row in output for value in row]
