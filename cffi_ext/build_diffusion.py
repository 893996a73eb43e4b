"""Build the cffi out-of-line API-mode extension for one 2-D diffusion cffi variant.

    python cffi_ext/build_diffusion.py --module diffusion_cffi --tmpdir DIR/cffi-tmp [--openmp]
        [--extra-cflag=FLAG ...]

Runs inside the target interpreter (CPython with the cffi package, or PyPy with its built-in cffi):
workloads/cffi_build.py's set_source(...) + compile(tmpdir=...) of diffusion.c. Compiled with -O3
-ffp-contract=off (no fast-math, no FMA contraction: bit-identical to the pure Python kernel), plus
-fopenmp for compile and link with --openmp, which also selects the OpenMP entry point (diffusion_run_openmp
instead of diffusion_run_serial). --extra-cflag flags are added to the compile flags. Prints the path of the
built extension as the last line of stdout. Python 3.9 syntax, stdlib + cffi only.
"""
import os
import sys

CDEF_SERIAL = """
void diffusion_run_serial(const double *initial, double *out, double *scratch, long n, int steps,
                          double dt, double D);
"""
CDEF_OPENMP = """
void diffusion_run_openmp(const double *initial, double *out, double *scratch, long n, int steps,
                          double dt, double D, int threads);
"""
KERNELS = {"stencil": ("diffusion.h", "diffusion.c", CDEF_SERIAL, CDEF_OPENMP)}


if __name__ == "__main__":
    from workloads.cffi_build import main

    sys.exit(main(sys.argv[1:], __doc__, KERNELS, "stencil", os.path.dirname(os.path.abspath(__file__))))
