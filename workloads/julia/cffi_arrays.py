"""Shared by the cffi adapters: the C memory the kernels read and write, laid out the same on every
interpreter.

Inputs: four split real/imaginary C double arrays, built once per process (untimed prepare).
Output: one int array per call, allocated inside the timed calculate() and freed by to_list().

Both are 64-byte aligned: ffi.new() gives 16-byte aligned blocks on PyPy, and on CPython too once its
allocator recycles memory (only a fresh mmap is 64-byte aligned there); aligning here gives both interpreters
the same layout, as a C program would (benchmarks/cffi_identical_c.py measured no effect of the alignment
itself).

The output's memory is released as soon as to_list() has copied it (ffi.release). Without that, PyPy frees an
ffi.new() block only at its next major collection, so every call's fresh 4 MB output (1000x1000) would come
straight from the kernel as untouched zero pages, their first-touch page faults timed inside the C call: a
cost CPython (refcounting: the block is freed and recycled at once) never pays (docs/method.md).
"""

import cffi

ALIGNMENT = 64

_LIBC = cffi.FFI()
_LIBC.cdef("void *memset(void *s, int c, size_t n);")
_libc = _LIBC.dlopen(None)  # memset clears a recycled output exactly as ffi.new() clears a new one


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


_SPARE = {}  # (ffi, n) -> output blocks whose values to_list() has copied out: reused by the next call


class Output:
    """One call's output: `pointer` (int *, 64-byte aligned, zero-filled) to n ints, until to_list() takes it.

    The block is recycled explicitly: to_list() puts it back in _SPARE and the next call clears and reuses it,
    the way CPython's allocator recycles a block freed by refcounting. PyPy frees an ffi.new() block only at a
    major collection, and by then the harness's own garbage has taken the memory: without the recycling, a
    PyPy call's output would come as fresh zero pages whose first-touch page faults are timed inside the C
    kernel.
    """

    __slots__ = ("_key", "n", "owner", "pointer")

    def __init__(self, ffi, n):
        key = (ffi, n)
        spare = _SPARE.get(key)
        if spare:
            owner = spare.pop()
            _libc.memset(_LIBC.cast("void *", int(ffi.cast("uintptr_t", owner))), 0, ffi.sizeof(owner))
        else:
            owner = ffi.new("int[]", n + ALIGNMENT // 4)  # zero-filled: a kernel that writes nothing fails
        address = int(ffi.cast("uintptr_t", owner))
        self.owner, self.n, self._key = owner, n, key
        self.pointer = ffi.cast("int *", (address + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT)

    def __len__(self):
        return self.n


def new_output(ffi, n):
    """The output array of one call (pass output.pointer to C; return the Output from calculate())."""
    return Output(ffi, n)


def unpack(ffi, output):
    """The output as a list of ints; its block then goes back to _SPARE for the next call (not readable
    again)."""
    if output.owner is None:
        raise ValueError("this output was already converted: to_list() handed its memory to the next call")
    values = ffi.unpack(output.pointer, output.n)
    owner, output.owner, output.pointer = output.owner, None, None
    spare = _SPARE.setdefault(output._key, [])
    if len(spare) < 2:
        spare.append(owner)
    return values
