"""cffi_openmp: adapter for the julia_cffi_openmp extension (OpenMP C loop, num_threads)."""
import julia_cffi_openmp as KERNEL_MODULE

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
    lib.julia_calculate_z_openmp(maxiter, zr, zi, cr, ci, output, n, threads)
    return output


def to_list(output):
    return ffi.unpack(output, len(output))
