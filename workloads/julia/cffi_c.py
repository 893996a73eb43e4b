"""cffi_c: adapter for the julia_cffi extension (cffi out-of-line API mode, serial C loop)."""
import julia_cffi as KERNEL_MODULE

from workloads.julia import cffi_arrays

ffi = KERNEL_MODULE.ffi
lib = KERNEL_MODULE.lib


def prepare(inputs, params):
    zs, cs = inputs
    return cffi_arrays.split(ffi, zs, cs)


def calculate(args, params, threads=1):
    maxiter = params["max_iterations"]
    zr, zi, cr, ci, n, _owners = args
    output = cffi_arrays.new_output(ffi, n)
    lib.julia_calculate_z_serial(maxiter, zr, zi, cr, ci, output.pointer, n)
    return output


def to_list(output):
    return cffi_arrays.unpack(ffi, output)
