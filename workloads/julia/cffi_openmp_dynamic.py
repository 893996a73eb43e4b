"""cffi_openmp_dynamic: cffi_openmp's scalar C kernel with '#pragma omp parallel for schedule(dynamic)'.

One of the tutorial's OpenMP schedule comparison (static / dynamic / guided = cffi_openmp).
"""
import julia_cffi_openmp_dynamic as KERNEL_MODULE

from workloads.julia import cffi_arrays

ffi = KERNEL_MODULE.ffi
lib = KERNEL_MODULE.lib

SCHEDULE = b"dynamic"


def prepare(inputs, params):
    zs, cs = inputs
    return cffi_arrays.split(ffi, zs, cs)


def calculate(args, params, threads=1):
    maxiter = params["max_iterations"]
    zr, zi, cr, ci, n, _owners = args
    output = cffi_arrays.new_output(ffi, n)
    if lib.julia_calculate_z_openmp_schedule(maxiter, zr, zi, cr, ci, output.pointer, n, threads,
                                             SCHEDULE) != 0:
        raise ValueError(f"unknown OpenMP schedule {SCHEDULE!r}")
    return output


def to_list(output):
    return cffi_arrays.unpack(ffi, output)
