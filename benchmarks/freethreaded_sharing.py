"""Two threads on free-threaded CPython: what one shared int costs the Julia kernel's scaling.

    .nox/shootout/pythons/cpython3.13t-fast/bin/python3.13t benchmarks/freethreaded_sharing.py [--width 600]

Runs the pure_python_threads kernel at 1 and 2 threads with the iteration limit as (a) an int parsed from JSON
and shared by both threads, as the harness's parameters are, (b) the same int copied by each thread
(`maxiter + 0`, what the variant does), and prints the best of three calls and the 2-thread speedup of each.
Stdlib only; the inputs are the workload's own (workloads/julia/spec.py).
"""
import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from workloads._runtime import load_workload


def rows(maxiter, zs, cs, start, stop, own_copy):
    if own_copy:
        maxiter = maxiter + 0
    output = [0] * (stop - start)
    for i in range(start, stop):
        n, z, c = 0, zs[i], cs[i]
        while n < maxiter and abs(z) < 2:
            z = z * z + c
            n += 1
        output[i - start] = n
    return output


def best_of_three(zs, cs, maxiter, threads, own_copy):
    block = 4 * round(len(zs) ** 0.5)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(lambda s: rows(maxiter, zs, cs, s, min(s + block, len(zs)), own_copy),
                          range(0, len(zs), block)))
        best = min(best, time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--width", type=int, default=600)
    args = parser.parse_args()
    # parsed from JSON as the harness's are: the limit is a heap int, not an immortal constant
    params = json.loads(json.dumps({"width": args.width, "max_iterations": 300}))
    zs, cs = load_workload("julia").make_inputs(params)
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    print(f"{sys.version.split()[0]}, GIL {'on' if gil else 'off'}, {args.width}x300")
    for label, own in (("shared limit", False), ("each thread's own copy", True)):
        one = best_of_three(zs, cs, params["max_iterations"], 1, own)
        two = best_of_three(zs, cs, params["max_iterations"], 2, own)
        print(f"{label:>24}: 1 thread {one:.3f} s, 2 threads {two:.3f} s, speedup {one / two:.2f}x")


if __name__ == "__main__":
    main()
