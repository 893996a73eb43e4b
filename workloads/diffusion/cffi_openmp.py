"""cffi_openmp: adapter for the diffusion_cffi_openmp extension (one OpenMP region, rows shared per step).

Bit-identical to pure_python: the threads share out the rows of each step, but every cell is computed alone by
diffusion.c's expression in pure Python's order, compiled with -O3 -ffp-contract=off -fopenmp. Same memory
handling as cffi_c (cffi_arrays: aligned grids, result and scratch reused across calls).
"""
import diffusion_cffi_openmp as KERNEL_MODULE

from workloads.diffusion import cffi_arrays
from workloads.diffusion.spec import DT, D

ffi = KERNEL_MODULE.ffi
lib = KERNEL_MODULE.lib


def prepare(inputs, params):
    return cffi_arrays.Grid(ffi, inputs)


def calculate(initial, params, threads=1):
    output = cffi_arrays.new_output(ffi, initial.n)
    lib.diffusion_run_openmp(initial.pointer, output.pointer, output.scratch, initial.n,
                             params["steps"], DT, D, threads)
    return output


def to_list(output):
    return cffi_arrays.unpack(ffi, output)
