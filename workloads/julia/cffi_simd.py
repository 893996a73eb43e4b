"""cffi_simd: adapter for the julia_cffi_simd extension (explicit SIMD C, serial).

The vector width is chosen when the extension is built (-march=native); SIMD_DESCRIPTION is
the C side's own account of the path compiled, e.g. "avx512 8x4 interleaved".
"""
import julia_cffi_simd as KERNEL_MODULE

ffi = KERNEL_MODULE.ffi
lib = KERNEL_MODULE.lib

SIMD_DESCRIPTION = ffi.string(lib.julia_simd_description()).decode("ascii")


def prepare(zs, cs):
    """Four C double arrays (z.real, z.imag, c.real, c.imag) and the point count."""
    n = len(zs)
    return (ffi.new("double[]", [z.real for z in zs]),
            ffi.new("double[]", [z.imag for z in zs]),
            ffi.new("double[]", [c.real for c in cs]),
            ffi.new("double[]", [c.imag for c in cs]),
            n)


def calculate(maxiter, args, threads=1):
    zr, zi, cr, ci, n = args
    output = ffi.new("int[]", n)
    lib.julia_simd_calculate_z_serial(maxiter, zr, zi, cr, ci, output, n)
    return output


def to_list(output):
    return ffi.unpack(output, len(output))
