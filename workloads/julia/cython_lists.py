"""cython_lists: adapter for the compiled julia_cython_lists extension (lists in, list out)."""
import julia_cython_lists as KERNEL_MODULE


def prepare(zs, cs):
    return zs, cs


def calculate(maxiter, args, threads=1):
    zs, cs = args
    return KERNEL_MODULE.calculate_z(maxiter, zs, cs)
