"""Build the cffi out-of-line API-mode extension for one Julia cffi variant.

    python cffi_ext/build_julia.py --module julia_cffi --tmpdir DIR/cffi-tmp [--openmp]
        [--kernel scalar|simd|schedule] [--extra-cflag=-march=native ...]

Runs inside the target interpreter (CPython with the cffi package, or PyPy with its built-in
cffi): ffibuilder.set_source(...) + ffibuilder.compile(tmpdir=...).  Compiled with
-O3 -ffp-contract=off (plus -fopenmp for compile and link with --openmp).  Prints the path of
the built extension as the last line of stdout.  Python 3.9 syntax, stdlib + cffi only.

--kernel picks the C source and API: "scalar" (default: julia.c, cffi_c / cffi_openmp),
"simd" (julia_simd.c's vector kernel, cffi_simd / cffi_simd_openmp; give it
--extra-cflag=-march=native so the compiler's predefined macros select AVX-512 / AVX2 / SSE2)
or "schedule" (julia_simd.c's scalar kernel with a named OpenMP schedule, cffi_openmp_static /
cffi_openmp_dynamic).  --extra-cflag flags are added to the compile flags.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

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
BASE_CFLAGS = ["-O3", "-ffp-contract=off"]
OPENMP_FLAGS = ["-fopenmp"]


def make_ffibuilder(module, openmp, kernel="scalar", extra_cflags=()):
    from cffi import FFI

    header, source, cdef_serial, cdef_openmp = KERNELS[kernel]
    cdef = cdef_openmp if openmp else cdef_serial
    if cdef is None:
        raise SystemExit(f"--kernel {kernel} needs --openmp")
    ffibuilder = FFI()
    ffibuilder.cdef(cdef)
    flags = BASE_CFLAGS + (OPENMP_FLAGS if openmp else []) + list(extra_cflags)
    ffibuilder.set_source(
        module,
        f'#include "{header}"',
        sources=[os.path.join(HERE, source)],
        include_dirs=[HERE],
        extra_compile_args=flags,
        extra_link_args=OPENMP_FLAGS if openmp else [],
    )
    return ffibuilder, flags


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", required=True, help="extension module name")
    parser.add_argument("--tmpdir", required=True, help="cffi's work directory")
    parser.add_argument("--openmp", action="store_true", help="compile and link with -fopenmp")
    parser.add_argument("--kernel", choices=sorted(KERNELS), default="scalar",
                        help="which C kernel to build (default: scalar, julia.c)")
    parser.add_argument("--extra-cflag", action="append", default=[], metavar="FLAG",
                        help="extra compile flag, e.g. --extra-cflag=-march=native (repeatable)")
    args = parser.parse_args(argv)
    ffibuilder, flags = make_ffibuilder(args.module, args.openmp, args.kernel, args.extra_cflag)
    os.makedirs(args.tmpdir, exist_ok=True)
    print("cffi build of {} with flags {}".format(args.module, " ".join(flags)), flush=True)
    path = ffibuilder.compile(tmpdir=args.tmpdir, verbose=True)
    print(os.path.abspath(path), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
