"""cython_lists: adapter for the compiled julia_cython_lists extension (lists in, list out)."""
import julia_cython_lists as KERNEL_MODULE


def prepare(inputs, params):
    zs, cs = inputs
    return zs, cs


def calculate(args, params, threads=1):
    maxiter = params["max_iterations"]
    zs, cs = args
    return KERNEL_MODULE.calculate_z(maxiter, zs, cs)
