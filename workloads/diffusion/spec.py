"""2-D diffusion workload: the contract (parameters, inputs, work unit, verification, roles, variants,
figure).

The workload of "High Performance Python" (Gorelick & Ozsvald), matrix chapter (06_matrix/diffusion_2d): a
square grid with periodic boundaries, zero everywhere but a block [int(0.4n), int(0.5n))^2 at 0.005, evolved
by explicit Euler steps of the diffusion equation,
    out[i][j] = g + D * (g_xx + g_yy) * dt,
    g_xx = g[i+1][j] + g[i-1][j] - 2g,  g_yy = g[i][j+1] + g[i][j-1] - 2g,
with dt = 0.1, D = 1.0 (indices mod n). Stdlib only, Python 3.9 syntax.
"""
from __future__ import annotations

from workloads.contract import Figure, Parameter, Roles, Variant, Verification, Workload

DT = 0.1  # time step (the book's)
D = 1.0  # diffusion coefficient (the book's)
BLOCK_VALUE = 0.005  # initial concentration inside the block

NUMBA_UNSUPPORTED = {"pypy": "numba: no PyPy support",
                     "graalpy": "numba: no GraalPy support (it compiles CPython's bytecode)",
                     "free-threaded": "numba: no build for free-threaded CPython (llvmlite's needs LLVM 22)"}
CFFI_FREE_THREADED = ("cffi: cffi 2.x refuses free-threaded CPython and 1.17.1, built from source, switches "
                      "the GIL back on when _cffi_backend loads: no free-threaded result possible")
CFFI = "../../cffi_ext/"


def initial_grid(n):
    """n rows of n floats: zeros, and BLOCK_VALUE on the block [int(0.4n), int(0.5n)) x the same (the
    book's)."""
    # n distinct rows (the book's [[0.0] * n] * n aliases one row n times)
    grid = [[0.0] * n for _ in range(n)]
    low, high = int(n * 0.4), int(n * 0.5)
    for i in range(low, high):
        row = grid[i]
        for j in range(low, high):
            row[j] = BLOCK_VALUE
    return grid


def make_inputs(params):
    return initial_grid(params["n"])


def count_work(params, values):
    """One cell update per cell per step."""
    return params["n"] * params["n"] * params["steps"]


def _cffi(name, module, parallel=False, **more):
    return Variant(
        name, "cffi", (f"{name}.py", "cffi_arrays.py", CFFI + "diffusion.c", CFFI + "diffusion.h",
                       CFFI + "build_diffusion.py", "../cffi_build.py"),
        build="cffi", parallel=parallel, openmp=parallel, extension_module=module,
        build_options={"script": CFFI + "build_diffusion.py"},
        unsupported={"free-threaded": CFFI_FREE_THREADED},
        **more)


VARIANTS = (
    Variant("pure_python", "python", ("pure_python.py",),
            description="the book's evolve() over lists of floats, double-buffered; rows hoisted, no modulo"),
    Variant("numpy_roll", "numpy", ("numpy_roll.py",),
            description="the book's naive numpy: grid + dt*D*laplacian, laplacian from four np.roll "
                        "(allocating)"),
    Variant("numpy_inplace", "numpy", ("numpy_inplace.py",),
            description="the book's in-place numpy (memory2): copyto/multiply/add and roll_add slices into "
                        "two preallocated grids"),
    Variant("cython", "cython", ("cython.py", "diffusion_cython.pyx"), build="cython",
            extension_module="diffusion_cython",
            description="typed memoryviews, edge columns outside the inner loop, no bounds/wraparound "
                        "checks"),
    Variant("cython_openmp", "cython", ("cython_openmp.py", "diffusion_cython_openmp.pyx"), build="cython",
            parallel=True, openmp=True, extension_module="diffusion_cython_openmp", schedule="static",
            description="as cython with the rows of each step in prange(schedule='static', nogil, "
                        "num_threads)"),
    Variant("numba_njit", "numba", ("numba_njit.py",), unsupported=NUMBA_UNSUPPORTED,
            description="@njit(nogil=True, cache=False) loops as cython's; first call includes JIT compile"),
    Variant("numba_parallel", "numba", ("numba_parallel.py",), parallel=True, unsupported=NUMBA_UNSUPPORTED,
            schedule="numba default",
            description="@njit(parallel=True) with prange over the rows of each step; numba.set_num_threads"),
    Variant("pythran", "pythran", ("pythran.py", "diffusion_pythran.py"), build="pythran",
            extension_module="diffusion_pythran", description="#pythran export kernel, loops as cython's"),
    Variant("pythran_openmp", "pythran", ("pythran_openmp.py", "diffusion_pythran_openmp.py"),
            build="pythran",
            parallel=True, openmp=True, extension_module="diffusion_pythran_openmp", schedule="static",
            description="as pythran with '#omp parallel for schedule(static)' over the rows of each step; "
                        "threads via OMP_NUM_THREADS"),
    _cffi("cffi_c", "diffusion_cffi",
          description="C stencil over 64-byte aligned double arrays, cffi out-of-line API mode"),
    _cffi("cffi_openmp", "diffusion_cffi_openmp", parallel=True, schedule="static",
          description="same C, one '#pragma omp parallel num_threads(threads)' region with an "
                      "'omp for schedule(static)' over the rows of each step"),
)

WORKLOAD = Workload(
    name="diffusion",
    title="2-D diffusion",
    summary="Explicit Euler steps of the diffusion equation on an n×n grid with periodic boundaries, "
            "starting from zero with a block at 0.005 (dt = 0.1, D = 1): the matrix chapter of \"High "
            "Performance Python\" (Gorelick & Ozsvald), 512×512 as in the book. Memory-bound: each cell "
            "update is a five-point stencil of a few additions and multiplications on values loaded from, "
            "and stored to, grids of n² doubles (2 MB each at 512), so what it stresses is memory traffic "
            "and its layout — boxed floats in lists of lists, numpy's temporaries, contiguous C arrays — "
            "where the Julia set keeps a few floats in registers and is bound by arithmetic.",
    parameters=(
        Parameter("n", 512, 128, "grid points per side"),
        Parameter("steps", 80, 20, "time steps per call"),
    ),
    label="{n}x{n}x{steps}",
    work_unit="cell update",
    # rtol/atol: the numpy variants sum the stencil in another order than pure Python (the compiled ones keep
    # its order and are bit-identical), so each step may differ by a few ulps, i.e. ~1e-16 relative; over a
    # default run's 80 steps that stays below ~1e-14. rtol=1e-12 leaves room for that and nothing more: a
    # wrong coefficient, a lost step or a wrong neighbour changes values by 1e-3 relative or more. atol=1e-18
    # (the block is 5e-3) only spares values that are zero in one variant and a denormal-sized rounding in
    # another.
    verification=Verification("tolerance", "float64", rtol=1e-12, atol=1e-18),
    roles=Roles(baseline="pure_python", reference="pure_python", scalar_c="cffi_c"),
    variants=VARIANTS,
    figures=(Figure("Concentration after the last step", "the verified reference output, linear scale: the "
                    "block spread by diffusion (bright: high concentration)"),),
    plain_program="plain.py",
    make_inputs=make_inputs,
    count_work=count_work,
)
