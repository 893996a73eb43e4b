"""Build the cffi out-of-line API-mode extension for one 2-D diffusion cffi variant.

    python cffi_ext/build_diffusion.py --module diffusion_cffi --tmpdir DIR/cffi-tmp [--openmp]
        [--extra-cflag=FLAG ...]

Runs inside the target interpreter (CPython with the cffi package, or PyPy with its built-in cffi):
ffibuilder.set_source(...) + ffibuilder.compile(tmpdir=...) of diffusion.c. Compiled with -O3 -ffp-contract=off
(no fast-math, no FMA contraction: bit-identical to the pure Python kernel), plus -fopenmp for compile and link
with --openmp, which also selects the OpenMP entry point (diffusion_run_openmp instead of diffusion_run_serial).
--extra-cflag flags are added to the compile flags. Prints the path of the built extension as the last line of
stdout. Python 3.9 syntax, stdlib + cffi only.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

CDEF_SERIAL = """
void diffusion_run_serial(const double *initial, double *out, double *scratch, long n, int steps,
                          double dt, double D);
"""
CDEF_OPENMP = """
void diffusion_run_openmp(const double *initial, double *out, double *scratch, long n, int steps,
                          double dt, double D, int threads);
"""
BASE_CFLAGS = ["-O3", "-ffp-contract=off"]
OPENMP_FLAGS = ["-fopenmp"]


def make_ffibuilder(module, openmp, extra_cflags=()):
    from cffi import FFI

    ffibuilder = FFI()
    ffibuilder.cdef(CDEF_OPENMP if openmp else CDEF_SERIAL)
    flags = BASE_CFLAGS + (OPENMP_FLAGS if openmp else []) + list(extra_cflags)
    ffibuilder.set_source(
        module,
        '#include "diffusion.h"',
        sources=[os.path.join(HERE, "diffusion.c")],
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
    parser.add_argument("--kernel", choices=["stencil"], default="stencil",
                        help="the C kernel (one only: diffusion.c's stencil)")
    parser.add_argument("--extra-cflag", action="append", default=[], metavar="FLAG",
                        help="extra compile flag, e.g. --extra-cflag=-march=native (repeatable)")
    args = parser.parse_args(argv)
    ffibuilder, flags = make_ffibuilder(args.module, args.openmp, args.extra_cflag)
    os.makedirs(args.tmpdir, exist_ok=True)
    print("cffi build of {} with flags {}".format(args.module, " ".join(flags)), flush=True)
    path = ffibuilder.compile(tmpdir=args.tmpdir, verbose=True)
    print(os.path.abspath(path), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
