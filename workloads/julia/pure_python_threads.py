"""pure_python_threads: the tutorial's pure-Python kernel, rows shared out over a ThreadPoolExecutor.

Honours --threads: `threads` workers take blocks of ROWS_PER_TASK rows from a shared queue (the map's order),
so uneven rows (the set's inside iterates to the limit) spread over the threads. Under a GIL (CPython
3.11/3.13, PyPy) only one thread runs Python at a time, so 2 threads take about as long as 1; on free-threaded
CPython (3.13t) they run in parallel. Output identical to pure_python, point for point.
"""
from concurrent.futures import ThreadPoolExecutor

ROWS_PER_TASK = 4


def _rows(maxiter, zs, cs, start, stop):
    # This thread's own copy of the limit, which every loop test reads: on free-threaded CPython an object
    # another thread created has its reference count changed atomically, and two threads doing that to one
    # shared int contend for its cache line on every iteration (the parameters come from JSON, so the limit
    # is an ordinary int, not an immortal constant). `+ 0` makes an int this thread owns, of the same value.
    maxiter = maxiter + 0
    output = [0] * (stop - start)
    for i in range(start, stop):
        n = 0
        z = zs[i]
        c = cs[i]
        while n < maxiter and abs(z) < 2:
            z = z * z + c
            n += 1
        output[i - start] = n
    return start, output


def prepare(inputs, params):
    return inputs


def calculate(args, params, threads=1):
    zs, cs = args
    maxiter = params["max_iterations"]
    side = max(1, round(len(zs) ** 0.5))
    block = side * ROWS_PER_TASK
    starts = range(0, len(zs), block)
    output = [0] * len(zs)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for start, part in pool.map(lambda s: _rows(maxiter, zs, cs, s, min(s + block, len(zs))), starts):
            output[start:start + len(part)] = part
    return output
