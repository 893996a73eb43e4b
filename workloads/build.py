"""Build one variant of one workload inside the target interpreter (CPython or PyPy 3.9).

    python workloads/build.py --workload W --variant NAME --build-dir DIR --record OUT.json

The compiled module lands directly in DIR (the harness puts DIR on sys.path).  Compiler
output goes to this process's stdout/stderr.  OUT.json is always written (atomically):

    {"variant", "workload", "status": ok|build_failed|unsupported|not_needed, "seconds",
     "compiler", "compiler_version", "flags", "tool_versions", "extension_module",
     "extension_path", "extension_sha256", "interpreter", "error"}

"flags" are what the compiler was given; null for a cffi build script that did not report its own
(workloads/cffi_build.py does).

Exit status: 0 for ok / unsupported / not_needed, 1 for build_failed, 2 for bad arguments.
Stdlib only, Python 3.9 syntax; never imports shootout/.
"""
from __future__ import annotations

import argparse
import collections
import glob
import hashlib
import importlib
import importlib.machinery
import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import time
import traceback

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    sys.path[0] = REPO_ROOT          # import workloads.* as a package, not as top-level modules
elif REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from workloads._runtime import interpreter_info, load_workload, platform_keys, workload_dir, write_json_atomic
from workloads.cffi_build import FLAGS_FILE_ENV

TOOLS = ("cython", "pythran", "cffi", "numpy", "numba")
# Every Cython variant is compiled with these (the profiler's `cython -a` annotates with the same).
CYTHON_DIRECTIVES = {"boundscheck": False, "wraparound": False, "cdivision": True, "initializedcheck": False}


class BuildError(Exception):
    pass


def tool_versions():
    """Versions of the build/run tools importable here, without importing heavy ones."""
    versions = {}
    try:
        from importlib import metadata
    except ImportError:  # pragma: no cover - 3.8 and older
        metadata = None
    for name in TOOLS:
        version = None
        if metadata is not None:
            try:
                version = metadata.version(name)
            except metadata.PackageNotFoundError:
                version = None
        if version is None and name == "cffi":   # built into PyPy, may lack metadata
            try:
                version = importlib.import_module("cffi").__version__
            except ImportError:
                version = None
        if version is not None:
            versions[name] = version
    return versions


def compiler_command(cxx=False):
    """The C (or C++) compiler command as distutils will use it (sysconfig CC/CXX)."""
    var = "CXX" if cxx else "CC"
    value = os.environ.get(var) or sysconfig.get_config_var(var) or ("g++" if cxx else "cc")
    return shlex.split(value)


def compiler_version(cmd):
    try:
        out = subprocess.run([cmd[0], "--version"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, timeout=60, check=False)
        return out.stdout.splitlines()[0].strip() if out.stdout else None
    except (OSError, subprocess.SubprocessError) as exc:  # the build will fail and say why
        return f"unknown ({exc})"


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def extension_files(build_dir, module):
    found = []
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        found.extend(glob.glob(os.path.join(glob.escape(build_dir), module + suffix)))
    return sorted(set(found))


def remove_stale(build_dir, module):
    """Remove an earlier build of ``module`` so a failed build can't leave an old one."""
    for path in extension_files(build_dir, module):
        os.remove(path)
    for path in (os.path.join(build_dir, module + ".py"), os.path.join(build_dir, module + ".pyc")):
        if os.path.exists(path):
            os.remove(path)


def run_command(cmd, env=None, cwd=None, keep_lines=40):
    """Run cmd, echoing its merged stdout/stderr to our stdout; BuildError with its tail."""
    print("+ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    sys.stderr.flush()
    tail = collections.deque(maxlen=keep_lines)
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    with proc.stdout:
        for raw in iter(proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace")
            sys.stdout.write(line)
            tail.append(line)
    sys.stdout.flush()
    returncode = proc.wait()
    if returncode != 0:
        command = " ".join(shlex.quote(c) for c in cmd)
        raise BuildError(f"command failed with exit status {returncode}: {command}\n"
                         f"--- last {len(tail)} lines of its output ---\n" + "".join(tail))


def compile_flags(workload, variant):
    """The workload's flags for every compiled variant (no fast-math, no FMA contraction), + OpenMP, +
    extras."""
    return (list(workload.cflags) + (list(workload.openmp_flags) if variant.openmp else [])
            + list(variant.build_options.get("extra_cflags", ())))


def sources(workload, variant, suffix):
    return [os.path.normpath(os.path.join(workload_dir(workload.name), s)) for s in variant.sources
            if s.endswith(suffix)]


def build_cython(workload, variant, build_dir, info):
    """cythonize + setuptools build_ext --build-lib DIR, -O3 -ffp-contract=off [-fopenmp]."""
    module = variant.extension_module
    pyx = sources(workload, variant, ".pyx")
    if len(pyx) != 1:
        raise BuildError(f"expected exactly one .pyx source, got {pyx!r}")
    flags = compile_flags(workload, variant)
    link_flags = list(workload.openmp_flags) if variant.openmp else []
    info["flags"] = flags + [f for f in link_flags if f not in flags]
    cc = compiler_command()
    info["compiler"] = " ".join(cc)
    info["compiler_version"] = compiler_version(cc)

    # The code below runs the compiler in child processes, whose output goes straight to
    # this process's stdout/stderr file descriptors.
    from Cython.Build import cythonize
    from setuptools import Extension, setup

    temp = os.path.join(build_dir, "build-temp", module)
    cdir = os.path.join(build_dir, "cython-c", module)
    ext = Extension(module, [pyx[0]], extra_compile_args=flags, extra_link_args=link_flags)
    ext_modules = cythonize(
        [ext], build_dir=cdir, force=True, quiet=False, language_level=3,
        compiler_directives=CYTHON_DIRECTIVES)
    os.makedirs(temp, exist_ok=True)
    cwd = os.getcwd()
    os.chdir(temp)  # setuptools reads setup.cfg from the working directory: use an empty one
    try:
        setup(name=module, ext_modules=ext_modules,
              script_args=["build_ext", "--build-lib", build_dir, "--build-temp", temp, "--force"])
    except SystemExit as exc:  # distutils reports compiler errors with sys.exit(msg)
        raise BuildError(f"setuptools build_ext failed: {exc}") from None
    finally:
        os.chdir(cwd)


def build_pythran(workload, variant, build_dir, info):
    """The venv's pythran CLI, -O3 -ffp-contract=off [-fopenmp], -o DIR/<module><EXT_SUFFIX>."""
    module = variant.extension_module
    src = [s for s in sources(workload, variant, ".py") if os.path.basename(s) == module + ".py"]
    if len(src) != 1:
        raise BuildError(f"pythran source {module}.py not in sources {variant.sources!r}")
    flags = compile_flags(workload, variant)
    info["flags"] = flags
    cxx = compiler_command(cxx=True)
    info["compiler"] = " ".join(cxx)
    info["compiler_version"] = compiler_version(cxx)

    env = dict(os.environ)
    if sys.implementation.name == "pypy":
        # PyPy's sysconfig links C++ extensions with the C driver (gcc -shared), which leaves
        # libstdc++ out; link with g++ instead (known pythran-on-PyPy workaround).
        env["LDCXXSHARED"] = "g++ -pthread -shared"
    script = os.path.join(os.path.dirname(sys.executable), "pythran")
    if os.path.exists(script):
        cmd = [script]
    else:
        cmd = [sys.executable, "-c", "import sys; from pythran.run import run; sys.exit(run())"]
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    out = os.path.join(build_dir, module + suffix)
    work = os.path.join(build_dir, "build-temp", module)
    os.makedirs(work, exist_ok=True)
    run_command(cmd + ["-v"] + flags + ["-o", out, src[0]], env=env, cwd=work)


# `python SCRIPT` would put the script's folder first on sys.path, and a workload folder holds variant modules
# named after technologies: its cython.py would then be what Cython's own `import cython` finds (setuptools
# imports Cython while cffi compiles). So a build script runs with that folder *after* the installed packages,
# where its own helper modules stay importable, and the checkout's root before it, for workloads.cffi_build.
RUN_SCRIPT = ("import os, runpy, sys; script, root = sys.argv[1:3]; sys.argv = [script] + sys.argv[3:]; "
              "sys.path[:] = [p for p in sys.path if p not in ('', os.getcwd())]"
              " + [root, os.path.dirname(script)]; "
              "runpy.run_path(script, run_name='__main__')")


def script_command(script):
    """The command that runs a build script in this interpreter as `python SCRIPT` would, but with installed
    packages ahead of the script's folder on sys.path (RUN_SCRIPT)."""
    return [sys.executable, "-c", RUN_SCRIPT, os.path.abspath(script), REPO_ROOT]


def reported_flags(path):
    """The flags a cffi build script says it used (workloads.cffi_build writes them); None when it did not."""
    try:
        with open(path) as f:
            flags = json.load(f)
    except (OSError, ValueError):
        return None
    return [str(flag) for flag in flags] if isinstance(flags, list) else None


def build_cffi(workload, variant, build_dir, info):
    """The variant's cffi build script (build_options["script"]): set_source(...) + compile(tmpdir=DIR/...).

    build_options["kernel"] is passed to the script as --kernel, "extra_cflags" as --extra-cflag=FLAG."""
    module = variant.extension_module
    options = variant.build_options
    if "script" not in options:
        raise BuildError("a cffi variant needs build_options['script'] (its cffi build script)")
    script = os.path.normpath(os.path.join(workload_dir(workload.name), options["script"]))
    extra = list(options.get("extra_cflags", ()))
    info["flags"] = None  # the script chooses its flags: only what it reports is recorded
    cc = compiler_command()
    info["compiler"] = " ".join(cc)
    info["compiler_version"] = compiler_version(cc)
    tmpdir = os.path.join(build_dir, "cffi-tmp", module)
    if os.path.isdir(tmpdir):
        shutil.rmtree(tmpdir)
    cmd = script_command(script) + ["--module", module, "--tmpdir", tmpdir]
    if variant.openmp:
        cmd.append("--openmp")
    if options.get("kernel"):
        cmd += ["--kernel", options["kernel"]]
    cmd += ["--extra-cflag=" + flag for flag in extra]
    flags_file = os.path.join(build_dir, "cffi-tmp", module + ".flags.json")
    os.makedirs(os.path.dirname(flags_file), exist_ok=True)
    if os.path.exists(flags_file):
        os.remove(flags_file)
    try:
        run_command(cmd, env=dict(os.environ, **{FLAGS_FILE_ENV: flags_file}), cwd=build_dir)
    finally:
        info["flags"] = reported_flags(flags_file)
    built = extension_files(tmpdir, module)
    if len(built) != 1:
        raise BuildError(f"cffi build produced {built!r} in {tmpdir}")
    shutil.copy2(built[0], os.path.join(build_dir, os.path.basename(built[0])))


BUILDERS = {"cython": build_cython, "pythran": build_pythran, "cffi": build_cffi}


def build(workload, variant, build_dir):
    """Build one variant; returns the record (never raises for a build failure)."""
    start = time.perf_counter()
    record = {
        "workload": workload, "variant": variant, "status": None, "seconds": None,
        "compiler": None, "compiler_version": None, "flags": [],
        "tool_versions": tool_versions(), "extension_module": None,
        "extension_path": None, "extension_sha256": None,
        "interpreter": interpreter_info(), "error": None,
    }
    try:
        contract = load_workload(workload)
        entry = contract.variant(variant)
        record["technology"] = entry.technology
        record["extension_module"] = entry.extension_module
        reason = entry.unsupported_on(platform_keys())
        if reason:
            record["status"] = "unsupported"
            record["error"] = reason
        elif entry.build == "none":
            record["status"] = "not_needed"
        else:
            build_dir = os.path.abspath(build_dir)
            os.makedirs(build_dir, exist_ok=True)
            module = entry.extension_module
            remove_stale(build_dir, module)
            info = {}
            try:
                BUILDERS[entry.build](contract, entry, build_dir, info)
            finally:
                for key in ("compiler", "compiler_version", "flags"):
                    if key in info:
                        record[key] = info[key]
            built = extension_files(build_dir, module)
            if len(built) != 1:
                suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
                raise BuildError(f"expected one built extension {module}{suffix} in {build_dir}, "
                                 f"found {built!r}")
            record["extension_path"] = built[0]
            record["extension_sha256"] = sha256_file(built[0])
            record["status"] = "ok"
    except BaseException as exc:  # noqa: BLE001 - SystemExit too: the record must exist
        sys.stdout.flush()
        traceback.print_exc()
        sys.stderr.flush()
        record["status"] = "build_failed"
        record["error"] = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    record["seconds"] = time.perf_counter() - start
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build one workload variant in this interpreter.")
    parser.add_argument("--workload", required=True)
    parser.add_argument("--variant", required=True)
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--record", required=True, help="where to write the build record (JSON)")
    args = parser.parse_args(argv)
    record = build(args.workload, args.variant, args.build_dir)
    write_json_atomic(args.record, record)
    print("build {}/{}: {} in {:.1f} s{}".format(
        args.workload, args.variant, record["status"], record["seconds"],
        (" -> " + record["extension_path"]) if record["extension_path"] else ""), flush=True)
    return 1 if record["status"] == "build_failed" else 0


if __name__ == "__main__":
    sys.exit(main())
