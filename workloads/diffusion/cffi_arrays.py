"""Shared by the cffi adapters: the C memory the diffusion kernels read and write, the same on every
interpreter.

Input: the initial grid as one 64-byte aligned C double array of n*n values, built once per process (untimed
prepare) and only read by the kernels.
Output: a pair of 64-byte aligned n*n double blocks per call, the result grid and the scratch grid the steps
alternate with, handed back by to_list() and reused by the next call.

Aligned to 64 bytes (a cache line) because ffi.new() gives 16-byte aligned blocks on PyPy, and on CPython too
once its allocator recycles memory: aligning here gives both interpreters the same layout, as a C program
would.

Why the blocks are reused (as workloads/julia/cffi_arrays.py's Output does): PyPy frees an ffi.new() block
only at a major collection, so a fresh pair per call (4 MB at 512x512) would come as untouched zero pages
whose first-touch page faults are timed inside the C kernel, a cost CPython (refcounting frees and recycles
the block at once) never pays. Here only a process's first call allocates; to_list() copies the values out,
poisons the result block with NaN (outside the kernel's timing) and puts the pair back for the next call, so a
kernel that failed to write a cell could never pass verification with the previous call's value.
"""

ALIGNMENT = 64
DOUBLES_PER_LINE = ALIGNMENT // 8


def aligned_doubles(ffi, count):
    """(owner, pointer): a 64-byte aligned double* to `count` zero-filled doubles; keep owner alive with
    it."""
    owner = ffi.new("double[]", count + DOUBLES_PER_LINE)
    address = int(ffi.cast("uintptr_t", owner))
    return owner, ffi.cast("double *", (address + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT)


class Grid:
    """The prepared initial grid: `pointer` (const double *, 64-byte aligned) to n*n values, row-major."""

    __slots__ = ("n", "owner", "pointer")

    def __init__(self, ffi, rows):
        n = len(rows)
        self.n = n
        self.owner, self.pointer = aligned_doubles(ffi, n * n)
        for i, row in enumerate(rows):
            if len(row) != n:
                raise ValueError(f"row {i} has {len(row)} values, not {n}: the grid must be square")
            self.pointer[i * n:(i + 1) * n] = row


_SPARE = {}  # (ffi, n) -> Output pairs whose values to_list() has copied out: reused by the next call
_POISON = {}  # (ffi, n) -> a block of n*n NaNs, to poison a handed-back result block with


class Output:
    """One call's result: `pointer` (double *, 64-byte aligned) to the n*n result values and `scratch` to the
    second grid, until to_list() takes them back."""

    __slots__ = ("_key", "n", "owners", "pointer", "scratch")

    def __init__(self, ffi, n):
        key = (ffi, n)
        spare = _SPARE.get(key)
        if spare:
            self.owners, self.pointer, self.scratch = spare.pop()
        else:
            out_owner, self.pointer = aligned_doubles(ffi, n * n)
            scratch_owner, self.scratch = aligned_doubles(ffi, n * n)
            self.owners = (out_owner, scratch_owner)
        self.n, self._key = n, key

    def __len__(self):
        return self.n * self.n


def new_output(ffi, n):
    """The result and scratch grids of one call (pass output.pointer, output.scratch to C; return the
    Output)."""
    return Output(ffi, n)


def unpack(ffi, output):
    """The result as a flat row-major list of floats; its blocks then go back for the next call (the result
    block poisoned with NaN), so this Output cannot be read again."""
    if output.pointer is None:
        raise ValueError("this output was already converted: to_list() handed its memory to the next call")
    size = output.n * output.n
    values = ffi.unpack(output.pointer, size)
    key = output._key
    poison = _POISON.get(key)
    if poison is None:
        poison = _POISON[key] = ffi.new("double[]", [float("nan")] * size)
    ffi.memmove(output.pointer, poison, size * 8)
    _SPARE.setdefault(key, []).append((output.owners, output.pointer, output.scratch))
    output.owners = output.pointer = output.scratch = None
    return values
