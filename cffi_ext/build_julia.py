"""Build the cffi out-of-line API-mode extension for one Julia cffi variant.

    python cffi_ext/build_julia.py --module julia_cffi --tmpdir DIR/cffi-tmp [--openmp]
        [--kernel scalar|simd|schedule] [--extra-cflag=-march=native ...]

Runs inside the target interpreter (CPython with the cffi package, or PyPy with its built-in
cffi): workloads/cffi_build.py's set_source(...) + compile(tmpdir=...).  Compiled with
-O3 -ffp-contract=off (plus -fopenmp for compile and link with --openmp).  Prints the path of
the built extension as the last line of stdout.  Python 3.9 syntax, stdlib + cffi only.

--kernel picks the C source and API: "scalar" (default: julia.c, cffi_c / cffi_openmp),
"simd" (julia_simd.c's vector kernel, cffi_simd / cffi_simd_openmp; give it
--extra-cflag=-march=native so the compiler's predefined macros select AVX-512 / AVX2 / SSE2)
or "schedule" (julia_simd.c's scalar kernel with a named OpenMP schedule, cffi_openmp_static /
cffi_openmp_dynamic).  --extra-cflag flags are added to the compile flags.
"""
import os
import sys

CDEF_SERIAL = """
void julia_calculate_z_serial(int maxiter, const double *zr, const double *zi,
                              const double *cr, const double *ci, int *output, long n);
"""
CDEF_OPENMP = """
void julia_calculate_z_openmp(int maxiter, const double *zr, const double *zi,
                              const double *cr, const double *ci, int *output, long n,
                              int threads);
"""
CDEF_SIMD_SERIAL = """
const char *julia_simd_description(void);
void julia_simd_calculate_z_serial(int maxiter, const double *zr, const double *zi,
                                   const double *cr, const double *ci, int *output, long n);
"""
CDEF_SIMD_OPENMP = """
const char *julia_simd_description(void);
void julia_simd_calculate_z_openmp(int maxiter, const double *zr, const double *zi,
                                   const double *cr, const double *ci, int *output, long n,
                                   int threads);
"""
CDEF_SCHEDULE = """
int julia_calculate_z_openmp_schedule(int maxiter, const double *zr, const double *zi,
                                      const double *cr, const double *ci, int *output, long n,
                                      int threads, const char *schedule);
"""
# kernel -> (header, C source, cdef serial, cdef openmp); None: needs --openmp
KERNELS = {
    "scalar": ("julia.h", "julia.c", CDEF_SERIAL, CDEF_OPENMP),
    "simd": ("julia_simd.h", "julia_simd.c", CDEF_SIMD_SERIAL, CDEF_SIMD_OPENMP),
    "schedule": ("julia_simd.h", "julia_simd.c", None, CDEF_SCHEDULE),
}


if __name__ == "__main__":
    from workloads.cffi_build import main

    sys.exit(main(sys.argv[1:], __doc__, KERNELS, "scalar", os.path.dirname(os.path.abspath(__file__))))
