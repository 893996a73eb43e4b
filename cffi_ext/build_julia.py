"""Build the cffi out-of-line API-mode extension for one Julia cffi variant.

    python cffi_ext/build_julia.py --module julia_cffi --tmpdir DIR/cffi-tmp [--openmp]

Runs inside the target interpreter (CPython with the cffi package, or PyPy with its built-in
cffi): ffibuilder.set_source(...) + ffibuilder.compile(tmpdir=...).  Compiled with
-O3 -ffp-contract=off (plus -fopenmp for compile and link with --openmp).  Prints the path of
the built extension as the last line of stdout.  Python 3.9 syntax, stdlib + cffi only.
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
BASE_CFLAGS = ["-O3", "-ffp-contract=off"]
OPENMP_FLAGS = ["-fopenmp"]


def make_ffibuilder(module, openmp):
    from cffi import FFI

    ffibuilder = FFI()
    ffibuilder.cdef(CDEF_OPENMP if openmp else CDEF_SERIAL)
    flags = BASE_CFLAGS + (OPENMP_FLAGS if openmp else [])
    ffibuilder.set_source(
        module,
        '#include "julia.h"',
        sources=[os.path.join(HERE, "julia.c")],
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
    args = parser.parse_args(argv)
    ffibuilder, flags = make_ffibuilder(args.module, args.openmp)
    os.makedirs(args.tmpdir, exist_ok=True)
    print("cffi build of {} with flags {}".format(args.module, " ".join(flags)), flush=True)
    path = ffibuilder.compile(tmpdir=args.tmpdir, verbose=True)
    print(os.path.abspath(path), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
