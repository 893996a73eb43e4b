"""cffi_c: adapter for the julia_cffi extension (cffi out-of-line API mode, serial C loop)."""
import julia_cffi as KERNEL_MODULE

ffi = KERNEL_MODULE.ffi
lib = KERNEL_MODULE.lib


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
    lib.julia_calculate_z_serial(maxiter, zr, zi, cr, ci, output, n)
    return output


def to_list(output):
    return ffi.unpack(output, len(output))
