"""cffi_c: adapter for the julia_cffi extension (cffi out-of-line API mode, serial C loop)."""
import julia_cffi as KERNEL_MODULE

from workloads.julia import cffi_arrays

ffi = KERNEL_MODULE.ffi
lib = KERNEL_MODULE.lib


def prepare(zs, cs):
    return cffi_arrays.split(ffi, zs, cs)


def calculate(maxiter, args, threads=1):
    zr, zi, cr, ci, n, _owners = args
    output = ffi.new("int[]", n)
    lib.julia_calculate_z_serial(maxiter, zr, zi, cr, ci, output, n)
    return output


def to_list(output):
    return cffi_arrays.unpack(ffi, output)
