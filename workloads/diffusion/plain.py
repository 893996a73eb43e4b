"""The pure_python variant's diffusion loop, run the plain way: the harness-overhead check's yardstick.

    python plain.py '{"n": 512, "steps": 80}' CALLS

A standalone script in the book's shape (make the grid, evolve it `steps` times, time it): the initial grid is
spec.initial_grid's and evolve()/run() are the pure_python variant's, token for token
(tests/test_harness_jit.py checks), because the check compares the same code with and without the harness. It
imports nothing of pyshootout (only gc, json, sys and time). Prints one JSON object: {"times_seconds": [...],
"checksum": sum(output)}.
"""
import gc
import json
import sys
import time

DT = 0.1
D = 1.0
BLOCK_VALUE = 0.005


def initial_grid(n):
    """n rows of n floats: zeros, and BLOCK_VALUE on the block [int(0.4n), int(0.5n)) x the same (the
    book's)."""
    # n distinct rows (the book's [[0.0] * n] * n aliases one row n times)
    grid = [[0.0] * n for _ in range(n)]
    low, high = int(n * 0.4), int(n * 0.5)
    for i in range(low, high):
        row = grid[i]
        for j in range(low, high):
            row[j] = BLOCK_VALUE
    return grid


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


def main(n, steps, calls):
    initial = initial_grid(n)
    gc.collect()  # as the harness does before its calls
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        grid = run(initial, steps)
        times.append(time.perf_counter() - start)
    return times, sum(value for row in grid for value in row)


def pad_jit_code(count):
    """The harness's pad_jit_code, token for token: the same code placement draw as the harness's
    processes."""
    if not count or sys.implementation.name != "pypy":
        return None
    for k in range(count):
        space = {}
        source = f"def pad(n):\n    s = 0\n    for i in range(n):\n        s += i ^ {k}\n    return s\n"
        exec(source, space)  # noqa: S102 - our own text: distinct loops need distinct code objects
        space["pad"](3000)  # past PyPy's loop threshold (1039 iterations): compiled
    return count


if __name__ == "__main__":
    params = json.loads(sys.argv[1])
    pad_jit_code(int(sys.argv[3]) if len(sys.argv) > 3 else 0)
    times, checksum = main(params["n"], params["steps"], int(sys.argv[2]))
    print(json.dumps({"times_seconds": times, "checksum": checksum}))
