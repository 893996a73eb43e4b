"""Run one variant of one workload in this process, verify every call, write one JSON record.

    python workloads/harness.py --workload W --variant NAME --params '{"n": 512, ...}' \
        --threads T --calls K [--min-calls M --max-seconds S] --build-dir DIR \
        --reference REF.json --out RECORD.json --run-id ID --process-index I [--layout-padding K]

    python workloads/harness.py --workload W --make-reference --params JSON --out REF.json

Runs inside every target interpreter (CPython 3.11, PyPy 3.9): stdlib only, Python 3.9 syntax, never imports
shootout/. The worker side of a pyperf-like manager/worker split. The timed regions are the same for every
variant, whatever its technology:

    inputs = make_inputs(params)                   untimed: plain Python data, the same for all
    import the variant                             import_seconds
    prepared = prepare(inputs, params)             prepare_seconds (input conversion, once per process)
    gc.collect()                                   untimed: the set-up's garbage and young objects are dealt
                                                   with before the calls, not inside one of them
    VmRSS                                          memory_before_bytes (what the interpreter holds now)
    K times: output = calculate(prepared, ...)     times_seconds (the kernel); K follows stop_reason():
                                                   at most --calls, fewer once --max-seconds went in
                                                   past --min-calls (the record says which)
             values = to_list(output)              output_seconds (output conversion: first call, or every
                                                   call when the variant has its own to_list())
             verify values                         untimed: bytes against the reference's (and, for a
                                                   tolerance policy, elementwise); digests after the last call
                                                   memory_peak_bytes: the largest resident set during a call
                                                   (PeakMemory: its high-water mark, reset before each call)

Before all of it, interpreter_start_seconds: from the orchestrator's launch of this process (--launched-at, on
the system-wide monotonic clock) to the harness's first line: fork, exec, a root file system's bubblewrap, the
interpreter's initialisation and site.

Counting instructions (--count-instructions LIB, the process running under Callgrind with instrumentation off
at start): the first --uncounted-calls calls run uninstrumented (a JIT's warm-up), then every call is framed
by client requests from LIB (a tiny C library, through ctypes): statistics zeroed just before it, dumped just
after it as "pyshootout call K"; verification between calls is counted but zeroed away. The orchestrator reads
the dumps (shootout/run/counting.py).

Every call's output is verified; the first that differs ends the process as wrong_output. The record is
written atomically. Exit status: 0 ok, 3 wrong_output, 4 anything else (crashed, build_failed, unsupported,
bad reference); 2 for bad command-line arguments (argparse, no record).
"""
from __future__ import annotations

import time

_HARNESS_START = time.perf_counter()
_HARNESS_START_MONOTONIC = time.monotonic()  # the system-wide clock the orchestrator's --launched-at reads

import argparse
import gc
import importlib
import importlib.machinery
import json
import os
import resource
import sys
import traceback

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    sys.path[0] = REPO_ROOT          # import workloads.* as a package, not as top-level modules
elif REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from workloads import inputs_cache
from workloads._runtime import (
    gil_enabled,
    interpreter_info,
    load_workload,
    platform_keys,
    write_json_atomic,
)
from workloads.record import Interference as Seen
from workloads.record import Interpreter, Record
from workloads.verify import Reference, ReferenceError_, array_bytes, make_reference, to_values

EXIT_OK, EXIT_WRONG_OUTPUT, EXIT_OTHER = 0, 3, 4


class BuildFailed(Exception):
    """The compiled kernel module is missing or is not an extension module from DIR."""


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


def steal_seconds():
    """CPU time the hypervisor took from this VM so far, averaged over its CPUs (/proc/stat; 0 where
    absent)."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK") / (os.cpu_count() or 1)
    except (OSError, ValueError, IndexError):
        return 0.0


def cpu_pressure_seconds():
    """Seconds so far in which some runnable task of this machine waited for a CPU (Linux PSI,
    /proc/pressure/cpu "some total"); None where the kernel has no PSI. A thread waiting for a lock or the GIL
    is asleep, not runnable, so this counts competition for CPUs, not a program's own serial parts."""
    try:
        with open("/proc/pressure/cpu") as f:
            return int(f.readline().split("total=")[1]) / 1e6
    except (OSError, ValueError, IndexError):
        return None


class InterferenceMeter:
    """What else happened while the calls ran: CPU time got vs wall time, context switches, steal, CPU
    pressure."""

    def __enter__(self):
        self.usage, self.cpu, self.steal = (resource.getrusage(resource.RUSAGE_SELF), time.process_time(),
                                            steal_seconds())
        self.pressure = cpu_pressure_seconds()
        self.wall = time.perf_counter()
        return self

    def __exit__(self, *exc):
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self.result = Seen(
            wall_seconds=time.perf_counter() - self.wall, cpu_seconds=time.process_time() - self.cpu,
            involuntary_switches=usage.ru_nivcsw - self.usage.ru_nivcsw,
            voluntary_switches=usage.ru_nvcsw - self.usage.ru_nvcsw,
            steal_seconds=max(0.0, steal_seconds() - self.steal),
            cpu_pressure_seconds=_delta(self.pressure, cpu_pressure_seconds()),
        )
        return False


def _delta(before, after):
    return None if before is None or after is None else max(0.0, after - before)


def _rusage_peak_bytes():
    """The process's lifetime resident-set peak (ru_maxrss: kilobytes on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _status_bytes(status, key):
    """The value of `key` (b"VmRSS:") in a /proc/<pid>/status text, in bytes; None when absent."""
    start = status.find(key)
    if start < 0:
        return None
    words = status[start + len(key):status.find(b"\n", start)].split()
    return int(words[0]) * 1024 if words and words[0].isdigit() else None


class PeakMemory:
    """The resident-set high-water mark of the timed calls. Linux: writing "5" to /proc/self/clear_refs sets
    VmHWM back to the present VmRSS, so it is reset right before each call and read right after it, and
    the verification between calls (a list of every output value, on the first call) is not counted. Where
    clear_refs cannot be written (no /proc, a kernel or sandbox that refuses it) the peak is ru_maxrss, the
    process's lifetime peak, set-up included: `method` says which. Both files stay open, so a call's reading
    makes a few small objects and no garbage worth a collection inside the next call."""

    VMHWM, RUSAGE = "vmhwm", "ru_maxrss"

    def __init__(self):
        self.status = self.clear = None
        try:
            self.status = os.open("/proc/self/status", os.O_RDONLY)
            self.clear = os.open("/proc/self/clear_refs", os.O_WRONLY)
            os.write(self.clear, b"5")
        except OSError:
            self.clear = None
        self.method = self.VMHWM if self.clear is not None else self.RUSAGE
        self.peak = 0

    def resident(self):
        """The resident set now (VmRSS), in bytes; None without /proc."""
        return None if self.status is None else _status_bytes(os.pread(self.status, 8192, 0), b"VmRSS:")

    def reset(self):
        if self.clear is not None:
            os.write(self.clear, b"5")

    def note(self):
        """After a call: keep the largest peak seen."""
        if self.clear is not None:
            found = _status_bytes(os.pread(self.status, 8192, 0), b"VmHWM:")
        else:
            found = _rusage_peak_bytes()
        self.peak = max(self.peak, found or 0)

    def close(self):
        for fd in (self.status, self.clear):
            if fd is not None:
                os.close(fd)


def check_extension(variant_module, variant, build_dir):
    """Raise BuildFailed unless the kernel module is a compiled extension from build_dir."""
    name = variant.extension_module
    kernel = getattr(variant_module, "KERNEL_MODULE", None) or sys.modules.get(name)
    if kernel is None:
        raise BuildFailed(f"compiled kernel module {name!r} was not imported")
    path = getattr(kernel, "__file__", None) or ""
    if not any(path.endswith(s) for s in importlib.machinery.EXTENSION_SUFFIXES):
        raise BuildFailed(f"kernel module {name!r} is not a compiled extension: __file__={path or None!r} "
                          f"(expected one of {importlib.machinery.EXTENSION_SUFFIXES})")
    if build_dir:
        real_dir = os.path.realpath(build_dir)
        if os.path.dirname(os.path.realpath(path)) != real_dir:
            raise BuildFailed(f"kernel module {name!r} comes from {path}, not from the build dir {real_dir}")
    return path


def interpreter_start_seconds(launched_at):
    """Seconds from the orchestrator's launch (its time.monotonic(), the system-wide CLOCK_MONOTONIC on
    Linux, which a bubblewrap sandbox shares) to the harness's first line; None when not launched so."""
    if launched_at is None or _HARNESS_START_MONOTONIC < launched_at:
        return None
    return _HARNESS_START_MONOTONIC - launched_at


def new_record(args):
    """The record of this process before anything ran (the orchestrator names its interpreter and size)."""
    return Record(run_id=args.run_id, workload=args.workload, variant=args.variant,
                  interpreter=Interpreter(**interpreter_info()), params=args.params, threads=args.threads,
                  process_index=args.process_index, calls=args.calls, calls_verified=0, pid=os.getpid(),
                  cpu_affinity=cpu_affinity(),
                  interpreter_start_seconds=interpreter_start_seconds(args.launched_at))


def pad_jit_code(count):
    """On PyPy, compile `count` small distinct loops before the variant is imported, and return how many (None
    elsewhere). The speed of a JIT-compiled kernel depends on where its machine code lands, i.e. on what was
    compiled before it: a few unrelated loops compiled first move a pure-Python kernel's steady calls by
    several per cent, the same in every process of one program (docs/jit-code-placement.md). The orchestrator
    draws `count` per process, so a cell's median is taken over placements and its CI includes their spread,
    instead of every process carrying one arbitrary placement's bias. The plain programs do the same
    (plain.py)."""
    if not count or sys.implementation.name != "pypy":
        return None
    for k in range(count):
        space = {}
        source = f"def pad(n):\n    s = 0\n    for i in range(n):\n        s += i ^ {k}\n    return s\n"
        exec(source, space)  # noqa: S102 - our own text: distinct loops need distinct code objects
        space["pad"](3000)  # past PyPy's loop threshold (1039 iterations): compiled
    return count


def import_variant(workload, variant, build_dir):
    if build_dir:
        sys.path.insert(0, os.path.abspath(build_dir))
    try:
        return importlib.import_module(workload.module(variant))
    except ImportError as exc:
        missing = getattr(exc, "name", None)
        if variant.compiled and missing == variant.extension_module:
            where = (" in " + build_dir) if build_dir else " (no --build-dir given)"
            raise BuildFailed(f"compiled kernel module {missing!r} not found{where}: {exc}") from exc
        raise


def stop_reason(times, args):
    """Why no further call is made (None: call again): never past --calls; past --min-calls, once
    --max-seconds went into the calls ("seconds"). How many calls a JIT cell needs is the orchestrator's to
    decide: it learns each cell's warm-up from the cell's first, longest process (shootout/sampling.py)."""
    if len(times) >= args.calls:
        return "calls"
    if len(times) < min(args.min_calls or args.calls, args.calls):
        return None
    if args.max_seconds and sum(times) >= args.max_seconds:
        return "seconds"
    return None


def judge_call(module, output, reference, first, conversions):
    """The verdict on one call's output, making as little garbage as its form allows: whatever the worker
    allocates between calls is collected inside the next ones, on PyPy as major collections (a list copy, an
    array and its bytes after every call made the harness's later calls slower than the plain program's).

    A plain list (no to_list() of its own) is compared with the reference as it is. The output conversion
    to_list() is timed on the first call (output_seconds); later calls of an array output without a to_list()
    are verified from its bytes (on PyPy, numpy's tolist() of a million values costs half a second through
    cpyext, every call, for nothing). A module's own to_list() runs every call: it may manage the output's
    memory."""
    own = hasattr(module, "to_list")
    if type(output) is list and not own:
        if first:
            conversions.append(0.0)  # nothing to convert
        return reference.judge_list(output)
    data = None if first or own else array_bytes(output, reference)
    if data is not None:
        return reference.judge_bytes(data)
    t0 = time.perf_counter()
    values = to_values(module, output)
    conversions.append(time.perf_counter() - t0)
    return reference.judge(values)


class CallgrindRequests:
    """Callgrind's client requests (macros of inline asm in valgrind/callgrind.h) through a tiny compiled
    library: ctypes is the one door that is the same on CPython, PyPy and free-threaded builds."""

    DUMP_PREFIX = "pyshootout call "  # the dump's trigger names the call (shootout/run/counting.py reads it)

    def __init__(self, library, uncounted):
        import ctypes  # only when counting: a wall-clock worker imports nothing it does not need

        self.lib = ctypes.CDLL(library)
        self.lib.pyshootout_dump.argtypes = [ctypes.c_char_p]
        if not self.lib.pyshootout_running_on_valgrind():
            raise RuntimeError("--count-instructions: this process is not running under valgrind")
        self.uncounted = uncounted

    def before(self, index):
        """Before call `index` (0-based): instrumentation on at the first counted call, counters zeroed."""
        if index == self.uncounted:
            self.lib.pyshootout_start()  # flushes the translations once; every later call runs instrumented
        if index >= self.uncounted:
            self.lib.pyshootout_zero()

    def after(self, index):
        if index >= self.uncounted:
            self.lib.pyshootout_dump(f"{self.DUMP_PREFIX}{index}".encode())


def timed_calls(module, prepared, args, reference, record, counter=None, memory=None):
    """Calls until stop_reason() says why not; every call verified (judge_call); returns the first failing
    Verdict or the last good one. `counter` (CallgrindRequests) frames each call when counting; `memory` (a
    PeakMemory) is reset before and read after each call, outside its timed (and counted) region."""
    times = record.times_seconds
    verdict = None
    while record.stop_reason is None:
        if memory is not None:
            memory.reset()
        if counter is not None:
            counter.before(len(times))
        t0 = time.perf_counter()
        output = module.calculate(prepared, args.params, args.threads)
        t1 = time.perf_counter()
        if counter is not None:
            counter.after(len(times))
        times.append(t1 - t0)
        if memory is not None:
            memory.note()
        verdict = judge_call(module, output, reference, len(times) == 1, record.output_seconds)
        if not verdict.ok:
            verdict.call_index = len(times) - 1
            return verdict
        record.calls_verified += 1
        record.stop_reason = stop_reason(times, args)
    return verdict


def fill_verdict(record, verdict, workload, params):
    record.checksum, record.output_sha256, record.points = verdict.checksum, verdict.sha256, verdict.points
    record.values_differing, record.max_abs_difference = verdict.differing, verdict.max_abs_difference
    record.verification = verdict.how
    if verdict.ok:
        record.verified, record.status, record.work_units = True, "ok", verdict.work_units
        return EXIT_OK
    record.status = "wrong_output"
    record.error = f"call {verdict.call_index + 1} differs from the reference: {verdict.explain()}"
    return EXIT_WRONG_OUTPUT


def run(args):
    """Fill and return (record, exit_code). Never raises for a variant's own failures."""
    record = new_record(args)
    stage = "setup"
    try:
        workload = load_workload(args.workload)
        variant = workload.variant(args.variant)
        record.technology = variant.technology
        reason = variant.unsupported_on(platform_keys())
        if reason:
            record.status, record.error = "unsupported", reason
            return record, EXIT_OTHER
        stage = "reference"  # first: a bad reference is the caller's error, not the variant's
        reference = Reference.load(args.reference, workload, args.params).load_output()
        record.expected_checksum, record.expected_sha256 = reference.checksum, reference.sha256
        record.reference_source = os.path.abspath(args.reference)
        counter = (CallgrindRequests(args.count_instructions, args.uncounted_calls)
                   if args.count_instructions else None)
        stage = "inputs"
        inputs = inputs_cache.load(workload, args.params, args.inputs_cache)
        stage = "import"
        record.layout_padding = pad_jit_code(args.layout_padding)
        t0 = time.perf_counter()
        module = import_variant(workload, variant, args.build_dir)
        record.import_seconds = time.perf_counter() - t0
        if variant.compiled:
            record.kernel_module_file = check_extension(module, variant, args.build_dir)
        stage = "prepare"
        t0 = time.perf_counter()
        prepared = module.prepare(inputs, args.params)
        record.prepare_seconds = time.perf_counter() - t0
        del inputs  # what prepare() did not keep is garbage now, not during a call
        gc.collect()  # the set-up's young objects are promoted now (PyPy: tens of MB), not inside some call
        stage = "calculate"
        if counter is None:
            memory = PeakMemory()
            record.memory_before_bytes, record.memory_peak_method = memory.resident(), memory.method
            try:
                with InterferenceMeter() as seen:
                    verdict = timed_calls(module, prepared, args, reference, record, memory=memory)
            finally:
                record.memory_peak_bytes = memory.peak or None
                memory.close()
            record.interference = seen.result
        else:
            # No interference or memory readings under valgrind: they describe valgrind, and the text they
            # read from /proc changes with the time of day, and with it the heap a counted call starts from
            verdict = timed_calls(module, prepared, args, reference, record, counter=counter)
        record.gil_enabled_after = gil_enabled()  # an extension may have switched it back on
        record.first_call_seconds = record.times_seconds[0]
        stage = "verify"
        return record, fill_verdict(record, reference.seal(verdict), workload, args.params)
    except BuildFailed:
        record.status, record.error = "build_failed", traceback.format_exc()
        return record, EXIT_OTHER
    except ReferenceError_ as exc:
        record.status, record.error = "crashed", f"bad reference: {exc}"
        return record, EXIT_OTHER
    except BaseException:  # noqa: BLE001 - SystemExit/KeyboardInterrupt from a variant too
        record.status, record.error = "crashed", f"during {stage}:\n{traceback.format_exc()}"
        return record, EXIT_OTHER


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Run one workload variant and write a JSON record.")
    p.add_argument("--workload", required=True)
    p.add_argument("--variant", help="variant name (see workloads/<workload>/spec.py)")
    p.add_argument("--params", required=True, help="the parameter set as a JSON object")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--calls", type=int, default=1, help="timed calls in this process (at most)")
    p.add_argument("--min-calls", type=int, default=None, help="calls always made (default: --calls)")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="after --min-calls, stop calling once this much time went into calls")
    p.add_argument("--build-dir", default=None, help="where the compiled modules are")
    p.add_argument("--reference", default=None, help="REF.json written by --make-reference")
    p.add_argument("--inputs-cache", default=None,
                   help="a directory for the marshalled inputs (untimed set-up)")
    p.add_argument("--out", required=True, help="record (or, with --make-reference, REF.json)")
    p.add_argument("--run-id", default=None)
    p.add_argument("--process-index", type=int, default=0)
    p.add_argument("--layout-padding", type=int, default=0,
                   help="PyPy: compile this many small loops before the variant (moves its machine code)")
    p.add_argument("--count-instructions", metavar="LIB", default=None,
                   help="the callgrind client-request library: frame each counted call (run under valgrind)")
    p.add_argument("--uncounted-calls", type=int, default=0,
                   help="with --count-instructions: calls made before counting starts (a JIT's warm-up)")
    p.add_argument("--launched-at", type=float, default=None,
                   help="time.monotonic() of the launching process right before it started this one")
    p.add_argument("--make-reference", action="store_true",
                   help="run the reference variant once and write --out and its output file")
    args = p.parse_args(argv)
    try:
        args.params = json.loads(args.params)
    except ValueError:
        p.error("--params must be a JSON object")
    if not isinstance(args.params, dict):
        p.error("--params must be a JSON object")
    if not args.make_reference and not (args.variant and args.reference):
        p.error("--variant and --reference are required (unless --make-reference)")
    if args.calls < 1 or args.threads < 1:
        p.error("--calls and --threads must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.make_reference:
        ref = make_reference(load_workload(args.workload), args.params, args.out)
        print(f"reference {args.workload} {args.params}: checksum {ref['checksum']} "
              f"sha256 {ref['output_sha256'][:16]} ({ref['seconds']:.2f} s)", file=sys.stderr)
        return 0
    # Must be set before the variant (and libgomp / numba) is imported.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ["NUMBA_NUM_THREADS"] = str(args.threads)
    record, code = run(args)
    record.process_seconds = time.perf_counter() - _HARNESS_START
    write_json_atomic(args.out, record.to_json())
    times = record.times_seconds
    timing = f" first {times[0]:.4f} s, min {min(times):.4f} s over {len(times)} calls" if times else ""
    interp = record.interpreter
    print(f"{args.workload}/{args.variant} on {interp.implementation} {interp.version}: "
          f"{record.status}{timing}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
