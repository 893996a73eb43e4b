"""Shared by the cffi adapters: the kernels take split real/imaginary C double arrays (untimed prepare)."""


def split(ffi, zs, cs):
    """Four C double arrays (z.real, z.imag, c.real, c.imag) and the point count."""
    return (ffi.new("double[]", [z.real for z in zs]),
            ffi.new("double[]", [z.imag for z in zs]),
            ffi.new("double[]", [c.real for c in cs]),
            ffi.new("double[]", [c.imag for c in cs]),
            len(zs))


def unpack(ffi, output):
    return ffi.unpack(output, len(output))
