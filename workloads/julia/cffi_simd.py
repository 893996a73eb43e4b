"""cffi_simd: adapter for the julia_cffi_simd extension (explicit SIMD C, serial).

The vector width is chosen when the extension is built (-march=native); SIMD_DESCRIPTION is
the C side's own account of the path compiled, e.g. "avx512 8x4 interleaved".
"""
import julia_cffi_simd as KERNEL_MODULE

from workloads.julia import cffi_arrays

ffi = KERNEL_MODULE.ffi
lib = KERNEL_MODULE.lib

SIMD_DESCRIPTION = ffi.string(lib.julia_simd_description()).decode("ascii")


def prepare(inputs, params):
    zs, cs = inputs
    return cffi_arrays.split(ffi, zs, cs)


def calculate(args, params, threads=1):
    maxiter = params["max_iterations"]
    zr, zi, cr, ci, n, _owners = args
    output = cffi_arrays.new_output(ffi, n)
    lib.julia_simd_calculate_z_serial(maxiter, zr, zi, cr, ci, output.pointer, n)
    return output


def to_list(output):
    return cffi_arrays.unpack(ffi, output)
