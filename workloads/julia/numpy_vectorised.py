"""numpy_vectorised: whole-array updates restricted to the points that are still active.

Each sweep tests abs(z) < 2 (np.abs on complex128 is hypot, as Python's abs(complex)),
records the sweep number for the points that just escaped, compacts z, c and the index
array to the survivors, and does z = z*z + c in place on those only.  A point's count is
therefore exactly the number of updates it received, as in the pure Python loop.
"""
import numpy as np


def calculate_z(maxiter, zs, cs):
    output = np.empty(zs.shape[0], dtype=np.int32)
    idx = np.arange(zs.shape[0])
    z = zs.copy()
    c = cs.copy()
    for n in range(maxiter):
        active = np.abs(z) < 2
        if not active.all():
            escaped = ~active
            output[idx[escaped]] = n
            idx = idx[active]
            z = z[active]
            c = c[active]
            if idx.shape[0] == 0:
                return output
        np.multiply(z, z, out=z)
        np.add(z, c, out=z)
    output[idx] = maxiter
    return output


def prepare(inputs, params):
    zs, cs = inputs
    return np.array(zs, dtype=np.complex128), np.array(cs, dtype=np.complex128)


def calculate(args, params, threads=1):
    maxiter = params["max_iterations"]
    zs, cs = args
    return calculate_z(maxiter, zs, cs)
