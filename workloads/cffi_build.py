"""The cffi build helper: what a cffi build script needs, for a workload in this checkout or outside it.

A build script (a workload's `build_options["script"]`) declares only its kernels, name -> (header, C
source, cdef serial, cdef openmp; None: needs --openmp), with file names relative to `source_dir` (usually the
script's own folder), and hands the builder's command line to main():

    import os
    import sys

    from workloads.cffi_build import main

    HERE = os.path.dirname(os.path.abspath(__file__))
    KERNELS = {"scalar": ("mine.h", "mine.c", "void mine(const double *x, double *out, long n);", None)}

    if __name__ == "__main__":
        sys.exit(main(sys.argv[1:], __doc__, KERNELS, "scalar", HERE))

The builder (workloads/build.py) runs every build script with this checkout's root on sys.path, so the
import works wherever the workload folder lives. main() compiles with BASE_CFLAGS (+ OPENMP_FLAGS with
--openmp, + every --extra-cflag) through cffi's out-of-line API mode, prints the built extension's path as the
last line of stdout, and writes the flags it compiled and linked with to the file the builder names in
FLAGS_FILE_ENV, so that the archive says what this build used. Runs inside the target interpreter (CPython
with the cffi package, PyPy with its built-in cffi); stdlib only until it builds (cffi is imported then),
Python 3.9 syntax.
"""
import argparse
import json
import os
import shutil

BASE_CFLAGS = ["-O3", "-ffp-contract=off"]  # no fast-math, no FMA contraction: bit-identical to pure Python
OPENMP_FLAGS = ["-fopenmp"]
FLAGS_FILE_ENV = "PYSHOOTOUT_CFFI_FLAGS_FILE"  # set by the builder: where the flags used go (a JSON list)


def make_ffibuilder(module, openmp, name, kernel, extra_cflags=(), source_dir=".", build_dir=None):
    """kernel `name`: (header, C source, cdef serial, cdef openmp), files in source_dir.
    Returns (ffibuilder, compile flags, link flags).

    With `build_dir` (cffi's tmpdir), the C source is compiled from a copy there: cffi hands distutils the
    source's path relative to its tmpdir, and an old distutils (setuptools 59, which pythran pins) then writes
    the object file along that path, into the source folder, where two builds would share it."""
    from cffi import FFI

    header, source, cdef_serial, cdef_openmp = kernel
    cdef = cdef_openmp if openmp else cdef_serial
    if cdef is None:
        raise SystemExit(f"--kernel {name} needs --openmp")
    ffibuilder = FFI()
    ffibuilder.cdef(cdef)
    flags = BASE_CFLAGS + (OPENMP_FLAGS if openmp else []) + list(extra_cflags)
    link_flags = OPENMP_FLAGS if openmp else []
    compiled = os.path.join(source_dir, source)
    if build_dir is not None:
        os.makedirs(build_dir, exist_ok=True)
        compiled = shutil.copy2(compiled, os.path.join(build_dir, source))
    ffibuilder.set_source(
        module,
        f'#include "{header}"',
        sources=[compiled],
        include_dirs=[source_dir],
        extra_compile_args=flags,
        extra_link_args=link_flags,
    )
    return ffibuilder, flags, link_flags


def report_flags(flags, link_flags):
    """Write the flags this build used where the builder asked for them (nowhere when run by hand)."""
    path = os.environ.get(FLAGS_FILE_ENV)
    if path:
        with open(path, "w") as f:
            json.dump(flags + [flag for flag in link_flags if flag not in flags], f)


def main(argv, description, kernels, default_kernel, source_dir):
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--module", required=True, help="extension module name")
    parser.add_argument("--tmpdir", required=True, help="cffi's work directory")
    parser.add_argument("--openmp", action="store_true", help="compile and link with -fopenmp")
    parser.add_argument("--kernel", choices=sorted(kernels), default=default_kernel,
                        help=f"which C kernel to build (default: {default_kernel})")
    parser.add_argument("--extra-cflag", action="append", default=[], metavar="FLAG",
                        help="extra compile flag, e.g. --extra-cflag=-march=native (repeatable)")
    args = parser.parse_args(argv)
    os.makedirs(args.tmpdir, exist_ok=True)
    ffibuilder, flags, link_flags = make_ffibuilder(
        args.module, args.openmp, args.kernel, kernels[args.kernel], args.extra_cflag,
        os.path.abspath(source_dir), os.path.abspath(args.tmpdir))
    print("cffi build of {} with flags {}".format(args.module, " ".join(flags)), flush=True)
    report_flags(flags, link_flags)
    path = ffibuilder.compile(tmpdir=args.tmpdir, verbose=True)
    print(os.path.abspath(path), flush=True)
    return 0
