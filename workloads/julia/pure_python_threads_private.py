"""pure_python_threads_private: the GIL study's control. pure_python's kernel over threads that share nothing.

Thread k of N takes points k, k+N, k+2N, ... (the set is uneven row by row; interleaving balances the
threads without a shared queue), copies them into complex numbers it owns, counts into its own list,
and the lists are merged once all threads are done. Nothing a thread touches in its loop was made by another
thread: on free-threaded CPython no reference count is updated atomically and no cache line moves between
cores, so its thread scaling is the interpreter's own limit for CPU-bound Python threads. The GIL study
(report/gil.py) sets each threaded variant beside it: a variant that scales less than this loses the
difference to its own sharing, not to the interpreter. Output identical to pure_python, point for point.
"""
import threading


def _own_points(maxiter, zs, cs, first, step, into, slot):
    maxiter = maxiter + 0  # an int this thread made: see pure_python_threads.py
    points = [(complex(z.real, z.imag), complex(c.real, c.imag))
              for z, c in zip(zs[first::step], cs[first::step])]
    output = [0] * len(points)
    for i, (z, c) in enumerate(points):
        n = 0
        while n < maxiter and abs(z) < 2:
            z = z * z + c
            n += 1
        output[i] = n
    into[slot] = output


def prepare(inputs, params):
    return inputs


def calculate(args, params, threads=1):
    zs, cs = args
    parts = [None] * threads
    maxiter = params["max_iterations"]
    workers = [threading.Thread(target=_own_points, args=(maxiter, zs, cs, k, threads, parts, k))
               for k in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    output = [0] * len(zs)
    for k, part in enumerate(parts):
        output[k::threads] = part
    return output
