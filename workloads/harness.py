"""Run one variant of one workload in this process, verify it, write one JSON record.

    python workloads/harness.py --workload julia --variant NAME --width W --max-iterations M \
        --threads T --calls K --build-dir DIR --reference REF.json --out RECORD.json \
        --run-id ID --process-index I

    python workloads/harness.py --workload julia --make-reference --width W \
        --max-iterations M --out REF.json

Runs inside every target interpreter (CPython 3.11, PyPy 3.9): stdlib only, Python 3.9
syntax, never imports shootout/.  The worker side of a pyperf-like manager/worker split:

1. OMP_NUM_THREADS / NUMBA_NUM_THREADS = T, DIR put first on sys.path;
2. the grid is built (untimed); the variant module is imported (timed: import_seconds) and,
   for a compiled variant, its KERNEL_MODULE must be an extension module from DIR;
3. prepare(zs, cs) (untimed), then K timed calls of calculate(maxiter, args, threads);
4. the last output is verified against the reference (checksum and sha256 of the output as
   little-endian int32; pixels_differing counted against the stored reference output);
5. the record is written atomically (temp file + os.replace).

Exit status: 0 ok, 3 wrong_output, 4 anything else (crashed, build_failed, unsupported,
bad reference); 2 for bad command-line arguments (argparse, no record).
"""
from __future__ import annotations

import time

_HARNESS_START = time.perf_counter()

import argparse
import gzip
import hashlib
import importlib
import importlib.machinery
import json
import os
import sys
import traceback
from array import array

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    sys.path[0] = REPO_ROOT          # import workloads.* as a package, not julia as top level
elif REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from workloads._runtime import interpreter_info, load_spec, write_bytes_atomic, write_json_atomic

SCHEMA_VERSION = 1
EXIT_OK, EXIT_WRONG_OUTPUT, EXIT_OTHER = 0, 3, 4


class BuildFailed(Exception):
    """The compiled kernel module is missing or is not an extension module from DIR."""


class ReferenceError_(Exception):
    """The reference file is missing, inconsistent or for other parameters."""


# --------------------------------------------------------------------------- helpers

def output_bytes(output):
    """The output as little-endian int32 bytes (the form hashed and stored)."""
    arr = array("i", output)
    if arr.itemsize != 4:
        raise RuntimeError(f"array('i') is {arr.itemsize} bytes here, expected 4")
    if sys.byteorder != "little":
        arr.byteswap()
    return arr.tobytes()


def bytes_to_output(data):
    arr = array("i")
    arr.frombytes(data)
    if sys.byteorder != "little":
        arr.byteswap()
    return arr


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def cpu_affinity():
    """CPUs this process may run on (os.sched_getaffinity; /proc on PyPy, which lacks it)."""
    if hasattr(os, "sched_getaffinity"):
        try:
            return sorted(os.sched_getaffinity(0))
        except OSError:
            return None
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Cpus_allowed_list:"):
                    cpus = []
                    for part in line.split(":", 1)[1].strip().split(","):
                        lo, _, hi = part.partition("-")
                        cpus.extend(range(int(lo), int(hi or lo) + 1))
                    return cpus
    except (OSError, ValueError):
        return None
    return None


def to_int_list(module, output):
    convert = getattr(module, "to_list", None)
    if convert is not None:
        return list(convert(output))
    if hasattr(output, "tolist"):
        return output.tolist()
    return list(output)


def check_extension(variant_module, entry, build_dir):
    """Raise BuildFailed unless the kernel module is a compiled extension from build_dir."""
    name = entry["extension_module"]
    kernel = getattr(variant_module, "KERNEL_MODULE", None) or sys.modules.get(name)
    if kernel is None:
        raise BuildFailed(f"compiled kernel module {name!r} was not imported")
    path = getattr(kernel, "__file__", None) or ""
    if not any(path.endswith(s) for s in importlib.machinery.EXTENSION_SUFFIXES):
        raise BuildFailed(f"kernel module {name!r} is not a compiled extension: "
                          f"__file__={path or None!r} "
                          f"(expected one of {importlib.machinery.EXTENSION_SUFFIXES})")
    if build_dir:
        real_dir = os.path.realpath(build_dir)
        if os.path.dirname(os.path.realpath(path)) != real_dir:
            raise BuildFailed(f"kernel module {name!r} comes from {path}, "
                              f"not from the build dir {real_dir}")
    return path


# --------------------------------------------------------------------------- reference

def reference_output_path(ref_json_path, ref):
    return os.path.join(os.path.dirname(os.path.abspath(ref_json_path)), ref["output_file"])


def make_reference(workload, width, max_iterations, out):
    """Run the reference variant once and write REF.json + the gzip'd int32 output."""
    spec = load_spec(workload)
    ref_module = importlib.import_module(spec.get_variant(spec.REFERENCE_VARIANT)["module"])
    zs, cs = spec.build_grid(width)
    start = time.perf_counter()
    output = to_int_list(ref_module, ref_module.calculate(max_iterations,
                                                           ref_module.prepare(zs, cs), 1))
    seconds = time.perf_counter() - start
    checksum = sum(output)
    known = spec.expected_checksum(width, max_iterations)
    if known is not None and checksum != known:
        raise AssertionError(f"reference checksum {checksum} != known {known} "
                             f"for width={width} max_iterations={max_iterations}")
    data = output_bytes(output)
    stem = os.path.basename(out)
    stem = stem.removesuffix(".json")
    output_file = stem + ".int32le.gz"
    write_bytes_atomic(os.path.join(os.path.dirname(os.path.abspath(out)), output_file),
                       gzip.compress(data, mtime=0))
    ref = {"workload": workload, "width": width, "max_iterations": max_iterations,
           "checksum": checksum, "output_sha256": sha256_hex(data), "output_file": output_file,
           "points": len(output), "reference_variant": spec.REFERENCE_VARIANT,
           "known_checksum": known, "seconds": seconds, "interpreter": interpreter_info()}
    write_json_atomic(out, ref)
    return ref


def load_reference(path, workload, width, max_iterations, spec):
    with open(path) as f:
        ref = json.load(f)
    got = (ref.get("workload"), ref.get("width"), ref.get("max_iterations"))
    if got != (workload, width, max_iterations):
        wanted = (workload, width, max_iterations)
        raise ReferenceError_(f"reference {path} is for {got!r}, not for {wanted!r}")
    known = spec.expected_checksum(width, max_iterations)
    if known is not None and ref["checksum"] != known:
        raise ReferenceError_(f"reference {path} has checksum {ref['checksum']!r}, "
                              f"the known one is {known}")
    return ref


def load_reference_output(path, ref):
    with open(reference_output_path(path, ref), "rb") as f:
        data = gzip.decompress(f.read())
    if sha256_hex(data) != ref["output_sha256"]:
        raise ReferenceError_("stored reference output does not match its sha256")
    return bytes_to_output(data)


# --------------------------------------------------------------------------- one run

def run(args):
    """Fill and return (record, exit_code).  Never raises for a variant's own failures."""
    record = {
        "schema_version": SCHEMA_VERSION, "run_id": args.run_id, "workload": args.workload,
        "variant": args.variant, "technology": None, "interpreter": interpreter_info(),
        "params": {"width": args.width, "max_iterations": args.max_iterations},
        "threads": args.threads, "process_index": args.process_index, "build": None,
        "calls": args.calls, "import_seconds": None, "first_call_seconds": None,
        "times_seconds": [], "process_seconds": None, "checksum": None,
        "expected_checksum": None, "output_sha256": None, "expected_sha256": None,
        "pixels_differing": None, "inner_iterations": None, "points": None,
        "verified": False, "reference_source": None, "kernel_module_file": None,
        "status": None, "error": None, "pid": os.getpid(), "cpu_affinity": cpu_affinity(),
    }
    stage = "setup"
    try:
        spec = load_spec(args.workload)
        entry = spec.get_variant(args.variant)
        record["technology"] = entry["technology"]
        reason = spec.unsupported_reason(args.variant, sys.implementation.name)
        if reason:
            record["status"] = "unsupported"
            record["error"] = reason
            return record, EXIT_OTHER

        # Reference first: a bad reference is the caller's error, not the variant's.
        stage = "reference"
        ref = None
        if args.reference:
            ref = load_reference(args.reference, args.workload, args.width,
                                 args.max_iterations, spec)
            record["expected_checksum"] = ref["checksum"]
            record["expected_sha256"] = ref["output_sha256"]
            record["reference_source"] = os.path.abspath(args.reference)
        else:
            record["expected_checksum"] = spec.expected_checksum(args.width, args.max_iterations)
            record["reference_source"] = "known_checksum"

        stage = "grid"
        zs, cs = spec.build_grid(args.width)
        record["points"] = len(zs)

        stage = "import"
        if args.build_dir:
            sys.path.insert(0, os.path.abspath(args.build_dir))
        t0 = time.perf_counter()
        try:
            module = importlib.import_module(entry["module"])
        except ImportError as exc:
            missing = getattr(exc, "name", None)
            if entry["compiled"] and missing == entry["extension_module"]:
                where = (" in " + args.build_dir) if args.build_dir else " (no --build-dir given)"
                raise BuildFailed(f"compiled kernel module {missing!r} not found{where}: {exc}") from exc
            raise
        record["import_seconds"] = time.perf_counter() - t0
        if entry["compiled"]:
            record["kernel_module_file"] = check_extension(module, entry, args.build_dir)

        stage = "prepare"
        prepared = module.prepare(zs, cs)

        stage = "calculate"
        output = None
        times = record["times_seconds"]
        # Up to --calls calls; past --min-calls, stop once --max-seconds of calls have run (a JIT cell
        # whose calls take seconds must not take an hour to reach its call count).
        min_calls = min(args.min_calls or args.calls, args.calls)
        loop_start = time.perf_counter()
        while len(times) < args.calls:
            if (len(times) >= min_calls and args.max_seconds
                    and time.perf_counter() - loop_start >= args.max_seconds):
                break
            t0 = time.perf_counter()
            output = module.calculate(args.max_iterations, prepared, args.threads)
            times.append(time.perf_counter() - t0)
        record["first_call_seconds"] = times[0] if times else None

        stage = "verify"
        out = to_int_list(module, output)
        data = output_bytes(out)
        record["checksum"] = sum(out)
        record["inner_iterations"] = record["checksum"]   # one z = z*z + c step per count
        record["output_sha256"] = sha256_hex(data)
        if ref is None and record["expected_checksum"] is None:
            # No reference given and no known checksum: compute it here (untimed).
            ref_module = importlib.import_module(spec.get_variant(spec.REFERENCE_VARIANT)["module"])
            ref_out = to_int_list(ref_module, ref_module.calculate(
                args.max_iterations, ref_module.prepare(zs, cs), 1))
            record["expected_checksum"] = sum(ref_out)
            record["expected_sha256"] = sha256_hex(output_bytes(ref_out))
            record["reference_source"] = "computed"
            ref_arr = array("i", ref_out)
        else:
            ref_arr = None
        if record["expected_sha256"] is not None:
            if record["output_sha256"] == record["expected_sha256"] and len(out) == record["points"]:
                record["pixels_differing"] = 0
            else:
                if ref_arr is None:
                    ref_arr = load_reference_output(args.reference, ref)
                n = min(len(out), len(ref_arr))
                record["pixels_differing"] = (sum(1 for i in range(n) if out[i] != ref_arr[i])
                                              + abs(len(out) - len(ref_arr)))
        record["verified"] = (
            record["checksum"] == record["expected_checksum"]
            and record["expected_sha256"] in (None, record["output_sha256"])
            and record["pixels_differing"] in (None, 0)
            and len(out) == record["points"])
        if record["verified"]:
            record["status"] = "ok"
            return record, EXIT_OK
        record["status"] = "wrong_output"
        r = record
        record["error"] = (
            f"output differs from the reference: checksum {r['checksum']} "
            f"(expected {r['expected_checksum']}), sha256 {r['output_sha256']} "
            f"(expected {r['expected_sha256']}), {r['pixels_differing']} pixels differ, "
            f"{len(out)} values for {r['points']} points")
        return record, EXIT_WRONG_OUTPUT
    except BuildFailed:
        record["status"] = "build_failed"
        record["error"] = traceback.format_exc()
        return record, EXIT_OTHER
    except BaseException:  # noqa: BLE001 - SystemExit/KeyboardInterrupt from a variant too
        record["status"] = "crashed"
        record["error"] = f"during {stage}:\n{traceback.format_exc()}"
        return record, EXIT_OTHER


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Run one workload variant and write a JSON record.")
    p.add_argument("--workload", default="julia")
    p.add_argument("--variant", help="variant name (see workloads/<workload>/spec.py)")
    p.add_argument("--width", type=int, default=None)
    p.add_argument("--max-iterations", type=int, default=None)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--calls", type=int, default=1, help="timed calls in this process (at most)")
    p.add_argument("--min-calls", type=int, default=None, help="calls always made (default: --calls)")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="after --min-calls, stop calling once this much time went into calls")
    p.add_argument("--build-dir", default=None, help="where the compiled modules are")
    p.add_argument("--reference", default=None, help="REF.json written by --make-reference")
    p.add_argument("--out", required=True, help="record (or, with --make-reference, REF.json)")
    p.add_argument("--run-id", default=None)
    p.add_argument("--process-index", type=int, default=0)
    p.add_argument("--make-reference", action="store_true",
                   help="run the reference variant once and write --out and its output file")
    args = p.parse_args(argv)
    if not args.make_reference and not args.variant:
        p.error("--variant is required (unless --make-reference)")
    if args.calls < 1:
        p.error("--calls must be >= 1")
    if args.threads < 1:
        p.error("--threads must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.width is None or args.max_iterations is None:
        spec = load_spec(args.workload)
        if args.width is None:
            args.width = spec.DEFAULT_WIDTH
        if args.max_iterations is None:
            args.max_iterations = spec.DEFAULT_MAX_ITERATIONS
    if args.make_reference:
        ref = make_reference(args.workload, args.width, args.max_iterations, args.out)
        print(f"reference {args.workload} {args.width}x{args.max_iterations}: "
              f"checksum {ref['checksum']} sha256 {ref['output_sha256'][:16]} "
              f"({ref['seconds']:.2f} s)", file=sys.stderr)
        return 0
    # Must be set before the variant (and libgomp / numba) is imported.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ["NUMBA_NUM_THREADS"] = str(args.threads)
    record, code = run(args)
    record["process_seconds"] = time.perf_counter() - _HARNESS_START
    write_json_atomic(args.out, record)
    times = record["times_seconds"]
    timing = (f" first {times[0]:.4f} s, min {min(times):.4f} s over {len(times)} calls"
              if times else "")
    interp = record["interpreter"]
    print(f"{args.workload}/{args.variant} on {interp['implementation']} {interp['version']}: "
          f"{record['status']}{timing}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
