"""cffi_c: adapter for the diffusion_cffi extension (cffi out-of-line API mode, serial C stencil).

Bit-identical to pure_python: diffusion.c computes each cell with the same expression in the same order, and
cffi_ext/build_diffusion.py compiles it with -O3 -ffp-contract=off (vectorised, but no reassociation and no
FMA). The grids are 64-byte aligned C arrays, the same on CPython and PyPy; the result and scratch grids are
reused across calls (cffi_arrays.Output) so that neither interpreter pays fresh pages inside the timed call.
"""
import diffusion_cffi as KERNEL_MODULE

from workloads.diffusion import cffi_arrays
from workloads.diffusion.spec import DT, D

ffi = KERNEL_MODULE.ffi
lib = KERNEL_MODULE.lib


def prepare(inputs, params):
    return cffi_arrays.Grid(ffi, inputs)


def calculate(initial, params, threads=1):
    output = cffi_arrays.new_output(ffi, initial.n)
    lib.diffusion_run_serial(initial.pointer, output.pointer, output.scratch, initial.n,
                             params["steps"], DT, D)
    return output


def to_list(output):
    return cffi_arrays.unpack(ffi, output)
