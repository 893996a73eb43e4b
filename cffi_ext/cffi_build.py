"""What every cffi build script shares: the flags, set_source + compile, and the command line.

A workload's script (build_julia.py, build_diffusion.py) declares only its kernels, name -> (header, C source,
cdef serial, cdef openmp; None: needs --openmp), and calls main(). Runs inside the target interpreter (CPython with
the cffi package, or PyPy with its built-in cffi), imported from the script's own folder. Prints the path of the
built extension as the last line of stdout. Python 3.9 syntax, stdlib + cffi only.
"""
import argparse
import os

HERE = os.path.dirname(os.path.abspath(__file__))
BASE_CFLAGS = ["-O3", "-ffp-contract=off"]  # no fast-math, no FMA contraction: bit-identical to pure Python
OPENMP_FLAGS = ["-fopenmp"]


def make_ffibuilder(module, openmp, name, kernel, extra_cflags=()):
    """kernel `name`: (header, C source, cdef serial, cdef openmp). Returns (ffibuilder, compile flags)."""
    from cffi import FFI

    header, source, cdef_serial, cdef_openmp = kernel
    cdef = cdef_openmp if openmp else cdef_serial
    if cdef is None:
        raise SystemExit(f"--kernel {name} needs --openmp")
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


def main(argv, description, kernels, default_kernel):
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--module", required=True, help="extension module name")
    parser.add_argument("--tmpdir", required=True, help="cffi's work directory")
    parser.add_argument("--openmp", action="store_true", help="compile and link with -fopenmp")
    parser.add_argument("--kernel", choices=sorted(kernels), default=default_kernel,
                        help=f"which C kernel to build (default: {default_kernel})")
    parser.add_argument("--extra-cflag", action="append", default=[], metavar="FLAG",
                        help="extra compile flag, e.g. --extra-cflag=-march=native (repeatable)")
    args = parser.parse_args(argv)
    ffibuilder, flags = make_ffibuilder(args.module, args.openmp, args.kernel, kernels[args.kernel],
                                        args.extra_cflag)
    os.makedirs(args.tmpdir, exist_ok=True)
    print("cffi build of {} with flags {}".format(args.module, " ".join(flags)), flush=True)
    path = ffibuilder.compile(tmpdir=args.tmpdir, verbose=True)
    print(os.path.abspath(path), flush=True)
    return 0
