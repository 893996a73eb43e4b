"""Identical C, different interpreter: why did cffi_simd take longer on PyPy than on CPython? (docs/method.md)

    python benchmarks/cffi_identical_c.py [--variants cffi_simd,cffi_c] [--size 1000x300] [--reps 3]
        [--rounds 6] [--calls 3] [--envs .nox/shootout/envs] [--build-root DIR] [--reuse]

Builds the cffi extensions with the project's builder (workloads/build.py) in each target environment under
--envs (cpython*/ and pypy*/), then compares what the two builds and the two interpreters do with them:

1. the builds: the compile lines each build actually ran (sysconfig CFLAGS + the project's flags, which -O
   level won, whether -march=native reached it), SIMD_DESCRIPTION, and objdump of the kernel in both .so files
   (instruction sequences compared after address normalisation; where the hot loop sits relative to 64 bytes);
2. the timings, in fresh processes alternating CPython / PyPy (--reps each), every mode interleaved call by
   call inside each process (--rounds, order rotated, first round discarded as warm-up), each call verified:
     harness, old adapter  calculate() with a fresh ffi.new output per call (none recycled), timed like the
                           harness, followed by the harness's verification (its garbage matters on PyPy)
     harness, adapter      the current adapter's calculate() (+ to_list() and the same verification, untimed)
     C, fresh output       the kernel timed in C (clock_gettime around the call, in a separate timer library,
                           so the shipped kernel is untouched), output from ffi.new() each call
     C, warm output        the kernel timed in C, writing one recycled 64-byte aligned output (the pure
                           kernel)
     C, output +16         as above with the output at 16 mod 64 (PyPy's ffi.new alignment)
     C, inputs +16         as C, warm output with the four input arrays at 16 mod 64 (as ffi.new gives them)
     C, PyPy's .so         (CPython only) the PyPy build's kernel, dlopen()ed: the very same bytes PyPy runs
   Each mode records wall time, thread CPU time (robust to the machine's load) and the minor page faults taken
   during the timed region; the table gives medians over all calls and the PyPy/CPython ratio.

Orchestrator side: stdlib only. Worker side (this file with --worker, run by each env interpreter): stdlib +
cffi, Python 3.9 syntax. Exit status 0, or 1 if a build, a worker or a verification failed.
"""
import argparse
import glob
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

KERNELS = {  # variant -> (serial C entry point, the function holding the hot loop in the .so)
    "cffi_simd": ("julia_simd_calculate_z_serial", "julia_block_at"),
    "cffi_c": ("julia_calculate_z_serial", "julia_calculate_z_serial"),
}

CTIMER_C = r"""
#define _GNU_SOURCE
#include <time.h>
#include <sys/resource.h>
#include <immintrin.h>

typedef void (*kernel_t)(int, const double *, const double *, const double *, const double *, int *, long);

/* One kernel call timed in C: out[0] wall ns, out[1] thread CPU ns, out[2] minor page faults. */
void ctimer_run(void *fn, int maxiter, const double *zr, const double *zi, const double *cr,
                const double *ci, int *output, long n, long long *out)
{
    struct timespec w0, w1, c0, c1;
    struct rusage r0, r1;
    getrusage(RUSAGE_THREAD, &r0);
    clock_gettime(CLOCK_MONOTONIC, &w0);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    ((kernel_t)fn)(maxiter, zr, zi, cr, ci, output, n);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    clock_gettime(CLOCK_MONOTONIC, &w1);
    getrusage(RUSAGE_THREAD, &r1);
    out[0] = (w1.tv_sec - w0.tv_sec) * 1000000000LL + (w1.tv_nsec - w0.tv_nsec);
    out[1] = (c1.tv_sec - c0.tv_sec) * 1000000000LL + (c1.tv_nsec - c0.tv_nsec);
    out[2] = r1.ru_minflt - r0.ru_minflt;
}

unsigned int ctimer_mxcsr(void) { return _mm_getcsr(); }
"""

CTIMER_CDEF = """
void ctimer_run(void *fn, int maxiter, const double *zr, const double *zi, const double *cr,
                const double *ci, int *output, long n, long long *out);
unsigned int ctimer_mxcsr(void);
void julia_simd_calculate_z_serial(int, const double *, const double *, const double *, const double *,
                                   int *, long);
void julia_calculate_z_serial(int, const double *, const double *, const double *, const double *, int *,
                              long);
"""

# One allocation pattern per process: the harness runs one variant per process, and what the other modes
# allocate changes which memory the next call gets. The C-timed modes of the last group share a process.
GROUPS = (("harness, old adapter",), ("harness, adapter",), ("C, fresh output",),
          ("C, warm output", "C, output +16", "C, inputs +16", "C, PyPy's .so"))
MODES = ("harness, old adapter", "harness, adapter", "C, fresh output", "C, warm output", "C, output +16",
         "C, inputs +16", "C, PyPy's .so")


# ----------------------------------------------------------------------------------------------- worker side
def worker(cfg):
    """Runs inside one target interpreter; prints one JSON object."""
    import importlib
    import resource
    import types

    import cffi

    sys.path.insert(0, REPO_ROOT)
    sys.path.insert(0, cfg["build_dir"])
    from workloads.harness import timed_calls
    from workloads.julia import spec
    from workloads.julia.spec import WORKLOAD
    from workloads.verify import Reference

    params = {"width": cfg["width"], "max_iterations": cfg["max_iterations"]}
    maxiter = params["max_iterations"]
    adapter = importlib.import_module("workloads.julia." + cfg["variant"])
    entry = KERNELS[cfg["variant"]][0]
    mffi, mlib = adapter.ffi, adapter.lib
    tffi = cffi.FFI()
    tffi.cdef(CTIMER_CDEF)
    timer = tffi.dlopen(cfg["ctimer"])
    counters = tffi.new("long long[3]")

    def address(cdata, ffi=mffi):
        return int(ffi.cast("uintptr_t", cdata))

    def pointer(addr, ctype="int *"):
        return tffi.cast(ctype, addr)

    kernels = {"own": pointer(address(mffi.addressof(mlib, entry)), "void *")}
    if cfg.get("foreign_so"):
        foreign = tffi.dlopen(cfg["foreign_so"], tffi.RTLD_NOW | tffi.RTLD_LOCAL)
        kernels["foreign"] = pointer(address(tffi.addressof(foreign, entry), tffi), "void *")

    prepared = adapter.prepare(spec.make_inputs(params), params)
    zr, zi, cr, ci, n, _owners = prepared
    inputs64 = [pointer(address(p), "double *") for p in (zr, zi, cr, ci)]
    shifted_owners, inputs16, warm64 = [], [], None
    # not in a harness-mode process: its heap stays the harness's
    if any(m.startswith("C,") for m in cfg["modes"]):
        for p in (zr, zi, cr, ci):  # the same values at 16 mod 64, as PyPy's ffi.new gives them
            owner = tffi.new("double[]", n + 16)
            start = (address(owner, tffi) + 63) // 64 * 64 + 16
            tffi.memmove(pointer(start, "double *"), p, 8 * n)
            shifted_owners.append(owner)
            inputs16.append(pointer(start, "double *"))
        warm_owner = tffi.new("int[]", n + 32)
        warm64 = (address(warm_owner, tffi) + 63) // 64 * 64

    def minflt():
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

    reference = Reference.load(cfg["reference"], WORKLOAD, params)
    state = {"keep": None}
    calls = {m: [] for m in cfg["modes"]}

    def note(mode, py, c, cpu, faults, out_addr, index):
        calls[mode].append({"round": index // cfg["calls"], "py": py, "c": c, "cpu": cpu, "faults": faults,
                            "out_mod64": out_addr % 64})

    def judge(mode, values):
        verdict = reference.judge(values)  # exactly the harness's verification, and its garbage
        if not verdict.ok:
            raise SystemExit(f"{mode}: wrong output ({verdict.explain()})")
        calls[mode][-1].update(identical=verdict.identical, checksum=verdict.checksum)

    def old_calculate(args, params, threads=1):  # a bare ffi.new output per call, never recycled
        zr, zi, cr, ci, n, _owners = args
        output = mffi.new("int[]", n)
        getattr(mlib, entry)(params["max_iterations"], zr, zi, cr, ci, output, n)
        return output

    def harness_mode(mode):
        """The harness's own timed loop (workloads/harness.py timed_calls) over this mode's calculate()."""
        calculate = old_calculate if mode == "harness, old adapter" else adapter.calculate

        def timed(args, params, threads=1):
            f0, c0, t0 = minflt(), time.thread_time(), time.perf_counter()
            output = calculate(args, params, threads)
            t1, c1, f1 = time.perf_counter(), time.thread_time(), minflt()
            out = output if mode == "harness, old adapter" else output.pointer
            note(mode, t1 - t0, None, c1 - c0, f1 - f0, address(out), len(calls[mode]))
            return output

        def to_list(output):
            values = mffi.unpack(output, n) if mode == "harness, old adapter" else adapter.to_list(output)
            judge(mode, values)  # checked here too, so every call's verdict is recorded
            return values
        shim = types.SimpleNamespace(calculate=timed, to_list=to_list)
        hargs = types.SimpleNamespace(calls=cfg["rounds"] * cfg["calls"], min_calls=None, max_seconds=None,
                                      params=params, threads=1)
        record = {"times_seconds": [], "output_seconds": [], "calls_verified": 0, "stop_reason": None}
        verdict = timed_calls(shim, prepared, hargs, reference, record)
        if not (verdict.ok and record["calls_verified"] == hargs.calls):
            raise SystemExit(f"{mode}: the harness loop stopped: {verdict.explain()}")

    def c_mode(mode):
        kernel, ins, out_addr = "own", inputs64, warm64
        if mode == "C, fresh output":  # a fresh output per call, kept until the next call like the harness
            state["keep"] = output = mffi.new("int[]", n)
            out_addr = address(output)
        elif mode == "C, output +16":
            out_addr = warm64 + 16
        elif mode == "C, inputs +16":
            ins = inputs16
        elif mode == "C, PyPy's .so":
            kernel = "foreign"
        t0 = time.perf_counter()
        timer.ctimer_run(kernels[kernel], maxiter, ins[0], ins[1], ins[2], ins[3], pointer(out_addr), n,
                         counters)
        t1 = time.perf_counter()
        note(mode, t1 - t0, counters[0] * 1e-9, counters[1] * 1e-9, counters[2], out_addr, len(calls[mode]))
        judge(mode, tffi.unpack(pointer(out_addr), n))

    harness_modes = [m for m in cfg["modes"] if m.startswith("harness")]
    for mode in harness_modes:
        harness_mode(mode)
    modes = [m for m in cfg["modes"] if m not in harness_modes]
    for r in range(cfg["rounds"]):
        order = modes[r % len(modes):] + modes[:r % len(modes)] if modes else []
        for mode in order:
            for _ in range(cfg["calls"]):
                c_mode(mode)
    print(json.dumps({
        "implementation": sys.implementation.name, "version": sys.version.split()[0],
        "simd_description": getattr(adapter, "SIMD_DESCRIPTION", None),
        "kernel_file": adapter.KERNEL_MODULE.__file__,
        "mxcsr": f"0x{timer.ctimer_mxcsr():04x}",
        "inputs_mod64": [address(p) % 64 for p in (zr, zi, cr, ci)],
        "inputs16_mod64": [address(p, tffi) % 64 for p in inputs16], "calls": calls,
    }))
    return 0


# ----------------------------------------------------------------------------------------- orchestrator side
def find_envs(envs_dir):
    found = {}
    for kind in ("cpython", "pypy"):
        for d in sorted(glob.glob(os.path.join(envs_dir, kind + "*"))):
            python = os.path.join(d, "bin", "python")
            if os.path.exists(python):
                found[kind] = (os.path.basename(d), python)
                break
    return found


def build(python, variant, build_dir, reuse):
    record = os.path.join(build_dir, f"{variant}.build.json")
    log = os.path.join(build_dir, f"{variant}.build.log")
    if reuse and os.path.exists(record) and os.path.exists(log):
        with open(record) as f:
            rec = json.load(f)
        if rec.get("status") == "ok" and os.path.exists(rec.get("extension_path") or ""):
            return rec, log
    os.makedirs(build_dir, exist_ok=True)
    with open(log, "w") as out:
        subprocess.run([python, os.path.join(REPO_ROOT, "workloads", "build.py"), "--workload", "julia",
                        "--variant", variant, "--build-dir", build_dir, "--record", record],
                       stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT, check=False)
    with open(record) as f:
        return json.load(f), log


def compile_lines(log, source):
    """The compiler command lines of the build log that compiled `source` (the kernel's .c file)."""
    with open(log) as f:
        return [line.strip() for line in f if " -c " in line and line.split()[-1:] != [] and
                re.search(r"[ /]" + re.escape(source) + r" ", line)]


def flag_summary(line):
    words = line.split()
    opt = [w for w in words if re.fullmatch(r"-O[0-3sgz]?|-Ofast", w)]
    return {"-O levels in order": " ".join(opt), "wins": opt[-1] if opt else None,
            "-march=native": "-march=native" in words,
            "other code-generation flags": " ".join(w for w in words
                                                    if w in ("-g", "-fwrapv", "-pthread", "-fPIC",
                                                             "-ffp-contract=off", "-fopenmp"))}


def disassemble(so, function):
    """[(address, normalised instruction)] of one function, or None (no objdump / no such function)."""
    try:
        text = subprocess.run(["objdump", "-d", "--no-show-raw-insn", so], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    match = re.search(r"^[0-9a-f]+ <" + re.escape(function) + r">:\n(.*?)(?:\n\n|\Z)", text,
                      re.DOTALL | re.MULTILINE)
    if not match:
        return None
    code = []
    for line in match.group(1).splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s*(.*)", line)
        if m:
            ins = re.sub(r"\s+", " ", m.group(2).split("#")[0]).strip()
            ins = re.sub(r"\b[0-9a-f]+ <[^>]*>", "<target>", ins)        # branch/call targets
            ins = re.sub(r"-?0x[0-9a-f]+\(%rip\)", "<rip>", ins)          # rip-relative constants
            code.append((int(m.group(1), 16), ins))
    return code


def loops_from_objdump(so, function):
    """[(start, end, instructions)] of the backward branches in `function` whose body multiplies doubles."""
    text = subprocess.run(["objdump", "-d", "--no-show-raw-insn", so], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True, check=False).stdout
    match = re.search(r"^[0-9a-f]+ <" + re.escape(function) + r">:\n(.*?)(?:\n\n|\Z)", text,
                      re.DOTALL | re.MULTILINE)
    if not match:
        return []
    rows = []
    for line in match.group(1).splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s*(\S+)\s*([0-9a-f]+)?", line)
        if m:
            rows.append((int(m.group(1), 16), m.group(2), int(m.group(3), 16) if m.group(3) else None, line))
    loops = []
    for addr, op, target, _ in rows:
        if op.startswith("j") and target is not None and target < addr:
            body = [r for r in rows if target <= r[0] <= addr]
            if sum(("mulpd" in r[3] or "mulsd" in r[3]) for r in body) >= 3:
                loops.append((target, addr, len(body)))
    return sorted(set(loops), key=lambda loop: loop[1] - loop[0])  # innermost (shortest) first


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--variants", default="cffi_simd,cffi_c", help="cffi_simd and/or cffi_c (default: both)")
    p.add_argument("--size", default="1000x300", help="WIDTHxMAX_ITERATIONS (default 1000x300)")
    p.add_argument("--reps", type=int, default=3, help="processes per interpreter, alternating (default 3)")
    p.add_argument("--rounds", type=int, default=6,
                   help="rounds per process; the first is warm-up (default 6)")
    p.add_argument("--calls", type=int, default=3, help="calls per mode per round (default 3)")
    p.add_argument("--envs", default=os.path.join(REPO_ROOT, ".nox", "shootout", "envs"),
                   help="folder with the cpython*/ and pypy*/ environments (default .nox/shootout/envs)")
    p.add_argument("--build-root", default=os.path.join(tempfile.gettempdir(), "pyshootout-cffi-identical-c"))
    p.add_argument("--reuse", action="store_true", help="reuse the builds in --build-root if present")
    p.add_argument("--json", help="also write every figure here")
    args = p.parse_args(argv)
    if args.worker:
        return worker(json.loads(args.worker))

    width, _, iters = args.size.partition("x")
    width, iters = int(width), int(iters)
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    for v in variants:
        if v not in KERNELS:
            p.error(f"--variants: {v!r} is not one of {', '.join(KERNELS)}")
    envs = find_envs(args.envs)
    if set(envs) != {"cpython", "pypy"}:
        p.error(f"need a cpython* and a pypy* environment with bin/python under {args.envs} "
                f"(found {envs or 'none'})")
    if args.rounds < 2:
        p.error("--rounds must be >= 2 (the first round is warm-up)")

    failed = False
    os.makedirs(args.build_root, exist_ok=True)
    ctimer = os.path.join(args.build_root, "libctimer.so")
    with open(os.path.join(args.build_root, "ctimer.c"), "w") as f:
        f.write(CTIMER_C)
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", os.path.join(args.build_root, "ctimer.c"), "-o",
                    ctimer], check=True)
    report = {"size": args.size, "builds": {}, "variants": {}}
    # the harness's reference (pure_python's output; made with PyPy, which is quick, and checked against the
    # published checksum where there is one): every call of every mode is judged against it
    reference = os.path.join(args.build_root, f"julia-{width}x{iters}.json")
    if not os.path.exists(reference):
        subprocess.run([envs["pypy"][1], os.path.join(REPO_ROOT, "workloads", "harness.py"), "--workload",
                        "julia", "--make-reference",
                        "--params", json.dumps({"width": width, "max_iterations": iters}),
                        "--out", reference], check=True, cwd=REPO_ROOT)

    for variant in variants:
        function = KERNELS[variant][1]
        source = "julia_simd.c" if variant == "cffi_simd" else "julia.c"
        print(f"\n==================== {variant}, {args.size} ====================")
        builds = {}
        for kind, (name, python) in envs.items():
            rec, log = build(python, variant, os.path.join(args.build_root, name), args.reuse)
            if rec.get("status") != "ok":
                print(f"{name}: build {rec.get('status')}: see {log}")
                failed = True
                continue
            lines = compile_lines(log, source)
            builds[kind] = {"name": name, "python": python, "so": rec["extension_path"], "log": log,
                            "compiler": rec.get("compiler_version"),
                            "compile_line": lines[0] if lines else None,
                            "flags": flag_summary(lines[0]) if lines else None}
        if len(builds) != 2:
            continue
        print("-- builds (workloads/build.py in each environment; the compile line of the kernel source, "
              "from the log)")
        for kind, b in builds.items():
            print(f"{b['name']}: {b['compiler']}\n  {b['compile_line']}\n  -> {b['flags']}")
        code = {kind: disassemble(b["so"], function) for kind, b in builds.items()}
        if all(code.values()):
            same = [ins for _, ins in code["cpython"]] == [ins for _, ins in code["pypy"]]
            print(f"-- objdump <{function}>: {len(code['cpython'])} vs {len(code['pypy'])} instructions; "
                  f"identical after address normalisation: {'yes' if same else 'NO'}")
            for kind, b in builds.items():
                for start, end, count in loops_from_objdump(b["so"], function)[:2]:
                    print(f"   {b['name']}: inner loop 0x{start:x}..0x{end:x} ({count} instructions, "
                          f"{end - start} bytes; starts at {start % 64} mod 64, spans "
                          f"{end // 64 - start // 64 + 1} 64-byte lines)")
            builds["objdump_identical"] = same
        else:
            print("-- objdump not available (or the function is inlined away): no disassembly comparison")

        # -------------------------------------------------------------- timings, interpreters alternating
        results = {"cpython": [], "pypy": []}
        for rep in range(args.reps):
            for g, group in enumerate(GROUPS):
                order = ("cpython", "pypy") if (rep + g) % 2 == 0 else ("pypy", "cpython")
                for kind in order:
                    b = builds[kind]
                    modes = [m for m in group if m != "C, PyPy's .so" or kind == "cpython"]
                    cfg = {"variant": variant, "width": width, "max_iterations": iters, "rounds": args.rounds,
                           "calls": args.calls, "ctimer": ctimer, "build_dir": os.path.dirname(b["so"]),
                           "reference": reference, "modes": modes,
                           "foreign_so": builds["pypy"]["so"] if kind == "cpython" else None}
                    proc = subprocess.run(
                        [b["python"], os.path.abspath(__file__), "--worker", json.dumps(cfg)],
                        capture_output=True, text=True, cwd=REPO_ROOT, check=False)
                    if proc.returncode != 0:
                        print(f"{b['name']} worker ({', '.join(modes)}) failed:\n{proc.stderr[-3000:]}")
                        failed = True
                        continue
                    results[kind].append(json.loads(proc.stdout))
            print(f"   repetition {rep + 1}/{args.reps} done ({len(GROUPS)} processes per interpreter)",
                  flush=True)
        if not results["cpython"] or not results["pypy"]:
            continue

        # -------------------------------------------------------------- verification: bit-exact everywhere
        from_spec = None
        try:
            sys.path.insert(0, REPO_ROOT)
            from workloads.julia.spec import WORKLOAD
            from_spec = WORKLOAD.known_checksum({"width": width, "max_iterations": iters})
        except Exception as exc:  # noqa: BLE001 - the check below still compares every call with every other
            print(f"no known checksum from the spec ({exc}); comparing the calls with each other only")
        digests = {(c["identical"], c["checksum"]) for kind in results for r in results[kind]
                   for calls in r["calls"].values() for c in calls}
        sums = {s for _, s in digests}
        exact = len(digests) == 1 and (from_spec is None or sums == {from_spec})
        ncalls = sum(len(c) for kind in results for r in results[kind] for c in r["calls"].values())
        print(f"-- verification: {ncalls} calls, {len(digests)} distinct output(s), checksum {sorted(sums)}"
              f"{'' if from_spec is None else f' (published {from_spec})'}: "
              f"{'ok, bit-exact' if exact else 'FAILED'}")
        failed |= not exact
        for kind in ("cpython", "pypy"):
            r = results[kind][0]
            out64 = sorted({c["out_mod64"] for x in results[kind]
                            for c in x["calls"].get("harness, old adapter", [])})
            new64 = sorted({c["out_mod64"] for x in results[kind]
                            for c in x["calls"].get("harness, adapter", [])})
            print(f"   {builds[kind]['name']}: {r['simd_description'] or 'scalar C'}; MXCSR control bits "
                  f"{int(r['mxcsr'], 16) & 0xffc0:#06x} (FTZ/DAZ/rounding); inputs mod 64 "
                  f"{r['inputs_mod64']}; output mod 64: old adapter {out64}, adapter {new64}")

        # -------------------------------------------------------------- the table
        print(f"-- medians over calls (first round of each process dropped), {args.reps} processes per "
              f"interpreter; cpu = thread CPU time (load-robust); ratio = PyPy / CPython (per-process ratios "
              f"in brackets)")
        print(f"   {'mode':22} {'CPython wall':>12} {'cpu':>7} {'PyPy wall':>10} {'cpu':>7} {'ratio cpu':>9} "
              f"{'(per process)':>22} {'page faults/call C':>18} {'P':>5}  {'calls faulting C':>16} {'P':>4}")
        # a quarter of the output's 4 KiB pages: a call given fresh memory
        faulting = max(8, width * width // 4096)
        table = {}
        for mode in MODES:
            row = {}
            for kind in ("cpython", "pypy"):
                calls = [c for r in results[kind] for c in r["calls"].get(mode, []) if c["round"] > 0]
                per_process = [median(c["cpu"] for c in r["calls"][mode] if c["round"] > 0)
                               for r in results[kind] if mode in r["calls"]]
                row[kind] = {"wall": median(c["c"] if c["c"] is not None else c["py"] for c in calls),
                             "cpu": median(c["cpu"] for c in calls),
                             "faults": statistics.mean(c["faults"] for c in calls) if calls else float("nan"),
                             "faulting": sum(c["faults"] >= faulting for c in calls),
                             "per_process_cpu": per_process, "calls": len(calls)}
            table[mode] = row
            cp, pp = row["cpython"], row["pypy"]
            if not cp["calls"] and not pp["calls"]:
                continue
            ratio = pp["cpu"] / cp["cpu"] if pp["calls"] and cp["calls"] else float("nan")
            per = [a / b for a, b in zip(pp["per_process_cpu"], cp["per_process_cpu"])] if pp["calls"] else []
            spread = f"[{min(per):.3f}..{max(per):.3f}]" if per else ""

            def ms(x):
                return f"{1e3 * x:.2f}" if not math.isnan(x) else "-"
            print(f"   {mode:22} {ms(cp['wall']):>12} {ms(cp['cpu']):>7} {ms(pp['wall']):>10} "
                  f"{ms(pp['cpu']):>7} "
                  f"{ratio:9.3f} {spread:>22} {cp['faults']:18.0f} {pp['faults']:5.0f}  "
                  f"{cp['faulting']:>9}/{cp['calls']:<6} {pp['faulting']:>4}/{pp['calls']}")
        for mode in ("harness, old adapter", "C, fresh output"):
            calls = [c for r in results["pypy"] for c in r["calls"].get(mode, []) if c["round"] > 0]
            hit = [c for c in calls if c["faults"] >= faulting]
            miss = [c for c in calls if c["faults"] < faulting]
            if hit and miss:
                extra = median(c["cpu"] for c in hit) - median(c["cpu"] for c in miss)
                per = extra / statistics.mean(c["faults"] for c in hit)
                print(f"   PyPy, {mode}: the {len(hit)} calls with page faults (mean "
                      f"{statistics.mean(c['faults'] for c in hit):.0f}) take {1e3 * extra:+.2f} ms cpu "
                      f"over the "
                      f"{len(miss)} without ({1e6 * per:.2f} us per fault)")
        own, foreign = table["C, warm output"]["cpython"]["cpu"], table["C, PyPy's .so"]["cpython"]["cpu"]
        same_bytes = table["C, warm output"]["pypy"]["cpu"] / foreign
        print(f"   same kernel bytes (PyPy's build) on both, warm output, C-timed cpu: PyPy/CPython "
              f"{same_bytes:.3f}; CPython's build vs PyPy's build, both in CPython: {own / foreign:.3f}")
        report["builds"][variant] = {k: v for k, v in builds.items()}
        report["variants"][variant] = {"table": table, "verified_bit_exact": exact,
                                       "workers": results}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1, default=str)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
