"""Shared by the cffi adapters: the kernels take split real/imaginary C double arrays (untimed prepare).

The arrays are 64-byte aligned: ffi.new() gives 64-byte aligned blocks on CPython but only 16-byte aligned ones
on PyPy, which made every AVX-512 load of cffi_simd straddle two cache lines there (~20% slower on PyPy with the
identical C). Aligning here gives both interpreters the same memory layout, as a C program would.
"""

ALIGNMENT = 64


def aligned_doubles(ffi, values):
    """A 64-byte aligned double* filled with values; the returned owner must be kept alive with it."""
    n = len(values)
    owner = ffi.new("double[]", n + ALIGNMENT // 8)
    address = int(ffi.cast("uintptr_t", owner))
    pointer = ffi.cast("double *", (address + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT)
    pointer[0:n] = values
    return owner, pointer


def split(ffi, zs, cs):
    """Four aligned C double arrays (z.real, z.imag, c.real, c.imag) and the point count.

    Returns (zr, zi, cr, ci, n, owners): the adapters pass the first five to C; owners keeps the memory alive.
    """
    columns = [
        aligned_doubles(ffi, [z.real for z in zs]),
        aligned_doubles(ffi, [z.imag for z in zs]),
        aligned_doubles(ffi, [c.real for c in cs]),
        aligned_doubles(ffi, [c.imag for c in cs]),
    ]
    return tuple(pointer for _owner, pointer in columns) + (len(zs), [owner for owner, _ in columns])


def unpack(ffi, output):
    return ffi.unpack(output, len(output))
