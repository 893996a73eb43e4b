"""Julia-set workload: the contract (parameters, inputs, work unit, verification, roles, variants, figure).

The workload is exactly the one of Ian Ozsvald's EuroSciPy 2014 "High Performance Python" tutorial
(julia1_nopil.py / calc_pure_python): the grid below is built the way calc_pure_python builds it, and the
kernel is calculate_z_serial_purepython. Stdlib only, Python 3.9 syntax.
"""
from __future__ import annotations

from workloads.contract import Figure, Parameter, Roles, Variant, Verification, Workload

# area of complex space to investigate, and the constant (the tutorial's values)
X1, X2, Y1, Y2 = -1.8, 1.8, -1.8, 1.8
C_REAL, C_IMAG = -0.62772, -0.42193

NUMBA_ON_PYPY = "numba: no PyPy support"
NUMBA_UNSUPPORTED = {"pypy": NUMBA_ON_PYPY,
                     "graalpy": "numba: no GraalPy support (it compiles CPython's bytecode)",
                     "free-threaded": "numba: no build for free-threaded CPython (llvmlite's needs LLVM 22)"}
CFFI_FREE_THREADED = ("cffi: cffi 2.x refuses free-threaded CPython and 1.17.1, built from source, switches "
                      "the GIL back on when _cffi_backend loads: no free-threaded result possible")
CFFI = "../../cffi_ext/"


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


def make_inputs(params):
    return build_grid(params["width"])


def count_work(params, values):
    """One z = z*z + c step per unit of each point's escape count."""
    return sum(values)


def _cffi(name, module, kernel, parallel=False, extra_cflags=(), **more):
    c_files = ["julia.c", "julia.h"] if kernel == "scalar" else ["julia_simd.c", "julia_simd.h"]
    options = {"script": CFFI + "build_julia.py", "kernel": kernel}
    more.setdefault("unsupported", {"free-threaded": CFFI_FREE_THREADED})
    if extra_cflags:
        options["extra_cflags"] = list(extra_cflags)
    return Variant(
        name, "cffi", (f"{name}.py", "cffi_arrays.py", *(CFFI + f for f in c_files), CFFI + "build_julia.py",
                       "../cffi_build.py"),
        build="cffi", parallel=parallel, openmp=parallel, extension_module=module, build_options=options,
        **more)


_LIST_ACCESS = ("per-item list access: every zs[i], cs[i] is fetched as a Python complex and unboxed, and "
                "every result boxed into an int, per point")

VARIANTS = (
    Variant("pure_python", "python", ("pure_python.py",),
            description="the tutorial's calculate_z_serial_purepython over lists, abs(z) < 2"),
    Variant("pure_python_expanded_math", "python", ("pure_python_expanded_math.py",),
            description="floats zr/zi instead of complex, zr*zr + zi*zi < 4 escape test"),
    Variant("pure_python_threads", "python", ("pure_python_threads.py",), parallel=True,
            schedule="blocks of 4 rows from a ThreadPoolExecutor",
            description="pure_python's kernel with rows shared out over threads: the GIL's cost made "
                        "visible"),
    Variant("pure_python_threads_private", "python", ("pure_python_threads_private.py",), parallel=True,
            schedule="every N-th point per thread, private copies",
            description="the GIL study's control: pure_python's kernel over threads that share nothing, "
                        "the interpreter's own limit (run by default beside a free-threaded column)"),
    Variant("numpy_vectorised", "numpy", ("numpy_vectorised.py",),
            description="whole-array updates on the still-active points only"),
    Variant("cython_lists", "cython", ("cython_lists.py", "julia_cython_lists.pyx"), build="cython",
            extension_module="julia_cython_lists",
            description="the tutorial's typed Cython over Python lists",
            slow_reasons={
                "pypy": "Cython on PyPy goes through cpyext, PyPy's emulation of the CPython C API: this "
                        "variant reads zs[i] and cs[i] from Python lists and writes output[i] back, so every "
                        "item is a PyObject crossing the cpyext boundary (boxed, converted, unboxed) inside "
                        "the kernel.",
                "cpython": f"the loop is typed, but its inputs are Python lists: {_LIST_ACCESS}."}),
    Variant("cython_memoryview", "cython", ("cython_memoryview.py", "julia_cython_memoryview.pyx"),
            build="cython",
            extension_module="julia_cython_memoryview",
            description="double complex[::1] memoryviews, expanded math, no bounds/wraparound checks"),
    Variant("cython_openmp", "cython", ("cython_openmp.py", "julia_cython_openmp.pyx"), build="cython",
            parallel=True, openmp=True, extension_module="julia_cython_openmp", schedule="guided",
            description="as cython_memoryview with prange(schedule='guided', nogil, num_threads)"),
    Variant("pythran", "pythran", ("pythran.py", "julia_pythran.py"), build="pythran",
            extension_module="julia_pythran", description="#pythran export kernel, expanded math"),
    Variant("pythran_openmp", "pythran", ("pythran_openmp.py", "julia_pythran_openmp.py"), build="pythran",
            parallel=True, openmp=True, extension_module="julia_pythran_openmp", schedule="guided",
            description="as pythran with '#omp parallel for schedule(guided)'; threads via OMP_NUM_THREADS"),
    Variant("numba_njit", "numba", ("numba_njit.py",), unsupported=NUMBA_UNSUPPORTED,
            description="@njit(nogil=True, cache=False), expanded math; first call includes JIT compile"),
    Variant("numba_parallel", "numba", ("numba_parallel.py",), parallel=True, unsupported=NUMBA_UNSUPPORTED,
            schedule="numba default", description="@njit(parallel=True) with prange; numba.set_num_threads"),
    _cffi("cffi_c", "julia_cffi", "scalar",
          description="C kernel over double arrays, cffi out-of-line API mode"),
    _cffi("cffi_openmp", "julia_cffi_openmp", "scalar", parallel=True, schedule="guided",
          schedule_group="cffi_openmp",
          description="same C family, '#pragma omp parallel for schedule(guided) num_threads(threads)'"),
    # The machine's ruler: explicit SIMD (GCC vector extensions), the ISA chosen at build time by
    # -march=native
    # (AVX-512 / AVX2 / SSE2); the module's SIMD_DESCRIPTION says which path was compiled.
    _cffi("cffi_simd", "julia_cffi_simd", "simd", extra_cflags=("-march=native",),
          description="C kernel with GCC vector extensions, -march=native: 4 interleaved vectors (8 doubles "
                      "each with AVX-512) with per-lane escape masks"),
    _cffi("cffi_simd_openmp", "julia_cffi_simd_openmp", "simd", parallel=True,
          extra_cflags=("-march=native",), schedule="dynamic,16 blocks",
          description="as cffi_simd, '#pragma omp parallel for schedule(dynamic, 16) num_threads(threads)' "
                      "over blocks of 4 vectors"),
    # The tutorial's OpenMP schedule comparison: cffi_openmp's scalar kernel with schedule(static) /
    # (dynamic).
    _cffi("cffi_openmp_static", "julia_cffi_openmp_static", "schedule", parallel=True, schedule="static",
          schedule_group="cffi_openmp",
          description="as cffi_openmp but schedule(static) (one contiguous chunk per thread)"),
    _cffi("cffi_openmp_dynamic", "julia_cffi_openmp_dynamic", "schedule", parallel=True, schedule="dynamic",
          schedule_group="cffi_openmp",
          description="as cffi_openmp but schedule(dynamic) (chunks of one point)",
          slow_reasons={impl: "schedule(dynamic) with its default chunk of 1 hands out one point at a time "
                              "through the OpenMP runtime's shared counter: a cost per point, even at 1 "
                              "thread."
                        for impl in ("cpython", "pypy")}),
)

# Test-only fixtures: never part of the default set; the orchestrator's tests use them to provoke each fault.
FIXTURES = (
    Variant("wrong_kernel", "python", ("fixtures/wrong_kernel.py",),
            description="escapes at abs(z) <= 2 instead of < 2 and is off by one on every 1000th point"),
    Variant("crash_abort", "python", ("fixtures/crash_abort.py",),
            description="calls libc abort() through ctypes in calculate(): dies with SIGABRT, no record"),
    Variant("hang_forever", "python", ("fixtures/hang_forever.py",),
            description="sleeps forever in calculate()"),
    Variant("truncated_record", "python", ("fixtures/truncated_record.py",),
            description="pure Python kernel; cuts its own record in half at exit and exits 0"),
    Variant("malformed_record", "python", ("fixtures/malformed_record.py",),
            description="pure Python kernel; rewrites its record with non-numeric times at exit and exits 0"),
    Variant("broken_build", "cython", ("fixtures/broken_build.py", "fixtures/julia_broken_build.pyx"),
            build="cython", extension_module="julia_broken_build",
            description="Cython source whose C compile fails (missing header): a real build failure"),
)

WORKLOAD = Workload(
    name="julia",
    title="The Julia set",
    summary="Escape counts of z → z² + c over a grid of the complex plane [-1.8, 1.8]², c = "
            "-0.62772-0.42193j: the workload of Ian Ozsvald's EuroSciPy 2014 \"High Performance Python\" "
            "tutorial (1000×1000 points, 300 iterations, sum of the output 33219980). Compute-bound: each "
            "point iterates independently, on a few floats held in registers.",
    parameters=(
        Parameter("width", 1000, 200, "grid points per side"),
        Parameter("max_iterations", 300, 300, "iterations before a point counts as inside the set"),
    ),
    label="{width}x{max_iterations}",
    shorthand=("width", "max_iterations"),
    work_unit="inner iteration",
    verification=Verification("exact", "int32"),
    roles=Roles(baseline="pure_python", reference="pure_python", scalar_c="cffi_c",
                limit_serial="cffi_simd", limit_parallel="cffi_simd_openmp",
                threads_control="pure_python_threads_private"),
    variants=VARIANTS,
    fixtures=FIXTURES,
    figures=(Figure("The Julia set",
                    "escape counts of the verified reference output, log scale; black points "
                    "never escaped (the set itself)", scale="log", invert=True),),
    known_checksums=(((("max_iterations", 300), ("width", 1000)), 33219980),),
    plain_program="plain.py",
    make_inputs=make_inputs,
    count_work=count_work,
)
