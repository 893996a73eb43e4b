"""Julia-set workload: parameters, grid builder, reference checksum and the variant table.

Stdlib only, Python 3.9 syntax: imported by workloads/harness.py and workloads/build.py inside
every target interpreter (PyPy 3.9 too), and readable by the orchestrator as plain data.

The workload is exactly the one of Ian Ozsvald's EuroSciPy 2014 "High Performance Python"
tutorial (julia1_nopil.py / calc_pure_python): the grid below is built the way
calc_pure_python builds it, and the kernel is calculate_z_serial_purepython.

Variant module API (one module per variant, ``VARIANTS[name]["module"]``):

    prepare(zs, cs) -> args
        untimed: convert the two lists of complex numbers to the kernel's input form
        (lists, numpy arrays, cffi arrays, ...).
    calculate(maxiter, args, threads) -> output
        the timed call: one full run of the kernel over every point.  ``output`` is a
        sequence of ints, one per point (a list, a numpy int32 array, a cffi int[] ...).
        Serial variants ignore ``threads``.
    to_list(output) -> list of int          (optional)
        untimed conversion used for verification; default is ``output.tolist()`` when it
        exists, else ``list(output)``.
    KERNEL_MODULE                            (compiled variants only)
        the compiled extension module actually imported; the harness checks that its
        __file__ ends with an importlib.machinery.EXTENSION_SUFFIXES entry and lies in the
        build directory, so a failed build can never be timed as pure Python.
"""
from __future__ import annotations

WORKLOAD = "julia"

# area of complex space to investigate (the tutorial's values)
X1, X2, Y1, Y2 = -1.8, 1.8, -1.8, 1.8
C_REAL, C_IMAG = -0.62772, -0.42193

DEFAULT_WIDTH = 1000
DEFAULT_MAX_ITERATIONS = 300

# sum(output) for (width, max_iterations); the tutorial asserts 33219980 for (1000, 300).
REFERENCE_CHECKSUMS = {(1000, 300): 33219980}

# The variant that defines the reference output.
REFERENCE_VARIANT = "pure_python"

TECHNOLOGIES = ("python", "numpy", "cython", "pythran", "numba", "cffi")
BUILD_KINDS = ("none", "cython", "pythran", "cffi")

# Flags every compiled variant is built with: -O3 but no fast-math, and no FMA contraction
# (GCC contracts a*b+c to an FMA by default when the CPU has one, which changes the bits).
BASE_CFLAGS = ["-O3", "-ffp-contract=off"]
OPENMP_FLAGS = ["-fopenmp"]

NUMBA_UNSUPPORTED_ON_PYPY = "numba: no PyPy support"


def _variant(technology, build, sources, parallel=False, openmp=False,
             extension_module=None, unsupported=None, module=None, description=""):
    return {
        "technology": technology,
        "build": build,                      # none | cython | pythran | cffi
        "module": module,                    # filled in below: workloads.julia.<name>
        "sources": list(sources),            # repo-relative paths
        "parallel": parallel,                # uses threads (honours --threads)
        "openmp": openmp,                    # compiled with -fopenmp
        "extension_module": extension_module,  # top-level name of the compiled module, or None
        "compiled": extension_module is not None,
        "unsupported": dict(unsupported or {}),  # sys.implementation.name -> reason
        "test_only": False,
        "description": description,
    }


_J = "workloads/julia/"

VARIANTS = {
    "pure_python": _variant(
        "python", "none", [_J + "pure_python.py"],
        description="the tutorial's calculate_z_serial_purepython over lists, abs(z) < 2"),
    "pure_python_expanded_math": _variant(
        "python", "none", [_J + "pure_python_expanded_math.py"],
        description="floats zr/zi instead of complex, zr*zr + zi*zi < 4 escape test"),
    "numpy_vectorised": _variant(
        "numpy", "none", [_J + "numpy_vectorised.py"],
        description="whole-array updates on the still-active points only"),
    "cython_lists": _variant(
        "cython", "cython", [_J + "cython_lists.py", _J + "julia_cython_lists.pyx"],
        extension_module="julia_cython_lists",
        description="the tutorial's typed Cython over Python lists"),
    "cython_memoryview": _variant(
        "cython", "cython", [_J + "cython_memoryview.py", _J + "julia_cython_memoryview.pyx"],
        extension_module="julia_cython_memoryview",
        description="double complex[::1] memoryviews, expanded math, no bounds/wraparound checks"),
    "cython_openmp": _variant(
        "cython", "cython", [_J + "cython_openmp.py", _J + "julia_cython_openmp.pyx"],
        parallel=True, openmp=True, extension_module="julia_cython_openmp",
        description="as cython_memoryview with prange(schedule='guided', nogil, num_threads)"),
    "pythran": _variant(
        "pythran", "pythran", [_J + "pythran.py", _J + "julia_pythran.py"],
        extension_module="julia_pythran",
        description="#pythran export kernel, expanded math"),
    "pythran_openmp": _variant(
        "pythran", "pythran", [_J + "pythran_openmp.py", _J + "julia_pythran_openmp.py"],
        parallel=True, openmp=True, extension_module="julia_pythran_openmp",
        description="as pythran with '#omp parallel for schedule(guided)'; threads via OMP_NUM_THREADS"),
    "numba_njit": _variant(
        "numba", "none", [_J + "numba_njit.py"],
        unsupported={"pypy": NUMBA_UNSUPPORTED_ON_PYPY},
        description="@njit(nogil=True, cache=False), expanded math; first call includes JIT compile"),
    "numba_parallel": _variant(
        "numba", "none", [_J + "numba_parallel.py"],
        parallel=True, unsupported={"pypy": NUMBA_UNSUPPORTED_ON_PYPY},
        description="@njit(parallel=True) with prange; numba.set_num_threads(threads)"),
    "cffi_c": _variant(
        "cffi", "cffi", [_J + "cffi_c.py", "cffi_ext/julia.c", "cffi_ext/julia.h",
                         "cffi_ext/build_julia.py"],
        extension_module="julia_cffi",
        description="C kernel over double arrays, cffi out-of-line API mode"),
    "cffi_openmp": _variant(
        "cffi", "cffi", [_J + "cffi_openmp.py", "cffi_ext/julia.c", "cffi_ext/julia.h",
                         "cffi_ext/build_julia.py"],
        parallel=True, openmp=True, extension_module="julia_cffi_openmp",
        description="same C family, '#pragma omp parallel for schedule(guided) num_threads(threads)'"),
    # Reference limit for this machine: explicit SIMD (GCC vector extensions), the ISA chosen
    # at build time by -march=native (AVX-512 / AVX2 / SSE2); the module's SIMD_DESCRIPTION
    # says which path was compiled.  "cffi_kernel"/"extra_cflags" are read by build.py.
    "cffi_simd": dict(_variant(
        "cffi", "cffi", [_J + "cffi_simd.py", "cffi_ext/julia_simd.c", "cffi_ext/julia_simd.h",
                         "cffi_ext/build_julia.py"],
        extension_module="julia_cffi_simd",
        description="C kernel with GCC vector extensions, -march=native: 4 interleaved "
                    "vectors (8 doubles each with AVX-512) with per-lane escape masks"),
        cffi_kernel="simd", extra_cflags=["-march=native"]),
    "cffi_simd_openmp": dict(_variant(
        "cffi", "cffi", [_J + "cffi_simd_openmp.py", "cffi_ext/julia_simd.c",
                         "cffi_ext/julia_simd.h", "cffi_ext/build_julia.py"],
        parallel=True, openmp=True, extension_module="julia_cffi_simd_openmp",
        description="as cffi_simd, '#pragma omp parallel for schedule(dynamic, 16) "
                    "num_threads(threads)' over blocks of 4 vectors"),
        cffi_kernel="simd", extra_cflags=["-march=native"]),
    # The tutorial's OpenMP schedule comparison: cffi_openmp's scalar kernel (no -march)
    # with schedule(static) / schedule(dynamic); cffi_openmp itself is the guided one.
    "cffi_openmp_static": dict(_variant(
        "cffi", "cffi", [_J + "cffi_openmp_static.py", "cffi_ext/julia_simd.c",
                         "cffi_ext/julia_simd.h", "cffi_ext/build_julia.py"],
        parallel=True, openmp=True, extension_module="julia_cffi_openmp_static",
        description="as cffi_openmp but '#pragma omp parallel for schedule(static) "
                    "num_threads(threads)' (one contiguous chunk per thread)"),
        cffi_kernel="schedule", schedule="static"),
    "cffi_openmp_dynamic": dict(_variant(
        "cffi", "cffi", [_J + "cffi_openmp_dynamic.py", "cffi_ext/julia_simd.c",
                         "cffi_ext/julia_simd.h", "cffi_ext/build_julia.py"],
        parallel=True, openmp=True, extension_module="julia_cffi_openmp_dynamic",
        description="as cffi_openmp but '#pragma omp parallel for schedule(dynamic) "
                    "num_threads(threads)' (chunks of one point)"),
        cffi_kernel="schedule", schedule="dynamic"),
}
VARIANTS["cffi_openmp"]["schedule"] = "guided"

# Test-only fixtures: never part of the default set; the orchestrator's tests use them to
# check wrong-output, crash and timeout handling.  "expected_status" is what a run must report.
_F = "workloads/julia/fixtures/"
FIXTURE_VARIANTS = {
    "wrong_kernel": _variant(
        "python", "none", [_F + "wrong_kernel.py"],
        description="pure Python kernel escaping at abs(z) <= 2 instead of < 2 "
                    "and off by one on every 1000th point"),
    "crash_abort": _variant(
        "python", "none", [_F + "crash_abort.py"],
        description="calls libc abort() through ctypes in calculate(): the process dies "
                    "with SIGABRT and writes no record"),
    "hang_forever": _variant(
        "python", "none", [_F + "hang_forever.py"],
        description="sleeps forever in calculate()"),
    "truncated_record": _variant(
        "python", "none", [_F + "truncated_record.py"],
        description="pure Python kernel; cuts its own record in half at exit and exits 0"),
    "malformed_record": _variant(
        "python", "none", [_F + "malformed_record.py"],
        description="pure Python kernel; rewrites its record with non-numeric times at exit and exits 0"),
    "broken_build": _variant(
        "cython", "cython", [_F + "broken_build.py", _F + "julia_broken_build.pyx"],
        extension_module="julia_broken_build",
        description="Cython source whose C compile fails (missing header): a real build failure"),
}
FIXTURE_VARIANTS["wrong_kernel"]["expected_status"] = "wrong_output"
FIXTURE_VARIANTS["crash_abort"]["expected_status"] = "crashed"
FIXTURE_VARIANTS["hang_forever"]["expected_status"] = "timeout"
FIXTURE_VARIANTS["broken_build"]["expected_status"] = "build_failed"
FIXTURE_VARIANTS["truncated_record"]["expected_status"] = "crashed"
FIXTURE_VARIANTS["malformed_record"]["expected_status"] = "crashed"

for _name, _entry in VARIANTS.items():
    _entry["module"] = "workloads.julia." + _name
for _name, _entry in FIXTURE_VARIANTS.items():
    _entry["module"] = "workloads.julia.fixtures." + _name
    _entry["test_only"] = True
del _name, _entry

ALL_VARIANTS = dict(VARIANTS)
ALL_VARIANTS.update(FIXTURE_VARIANTS)

DEFAULT_VARIANTS = tuple(VARIANTS)


def get_variant(name):
    """The table entry of ``name`` (default or fixture); KeyError with the known names."""
    try:
        return ALL_VARIANTS[name]
    except KeyError:
        known = ", ".join(sorted(ALL_VARIANTS))
        raise KeyError(f"unknown julia variant {name!r}; known: {known}") from None


def unsupported_reason(name, implementation):
    """Why ``name`` cannot run on ``implementation`` (sys.implementation.name), or None."""
    return get_variant(name)["unsupported"].get(implementation)


def build_grid(desired_width):
    """(zs, cs): lists of complex coordinates and constants, exactly as calc_pure_python."""
    x_step = (X2 - X1) / desired_width
    y_step = (Y1 - Y2) / desired_width
    x = []
    y = []
    ycoord = Y2
    while ycoord > Y1:
        y.append(ycoord)
        ycoord += y_step
    xcoord = X1
    while xcoord < X2:
        x.append(xcoord)
        xcoord += x_step
    zs = []
    cs = []
    for ycoord in y:
        for xcoord in x:
            zs.append(complex(xcoord, ycoord))
            cs.append(complex(C_REAL, C_IMAG))
    return zs, cs


def expected_checksum(width, max_iterations):
    """The tutorial's known checksum for this size, or None."""
    return REFERENCE_CHECKSUMS.get((int(width), int(max_iterations)))
