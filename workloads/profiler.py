"""The tutorial's profilers, run inside a profiling env (never a timing env); each writes JSON or HTML.

    python workloads/profiler.py --tool TOOL --width W --max-iterations M --out DIR

TOOL: cprofile | line | memory | vmprof | cython-annotate | numba-inspect.  Python 3.9 syntax: runs on PyPy
too.  Imports the profiling tool of the env (line_profiler, psutil, vmprof, Cython, numba) only when asked.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from workloads.julia import pure_python, spec


def calc_pure_python(width, max_iterations, phases=None):
    """The tutorial's driver: build the grid as lists, run the kernel, return the output."""
    mark = phases.append if phases is not None else (lambda item: None)
    mark(("start", time.time()))
    zs, cs = spec.build_grid(width)
    mark(("grid built", time.time()))
    output = pure_python.calculate_z_serial_purepython(max_iterations, zs, cs)
    mark(("kernel done", time.time()))
    return output


def write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
    os.replace(tmp, path)


def tool_cprofile(args):
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    output = calc_pure_python(args.width, args.max_iterations)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, name), (primitive, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        rows.append({
            "function": name, "file": os.path.relpath(filename, REPO_ROOT) if filename.startswith(REPO_ROOT)
            else filename, "line": line, "ncalls": ncalls, "primitive_calls": primitive,
            "tottime": tottime, "cumtime": cumtime,
        })
    rows.sort(key=lambda r: -r["tottime"])
    abs_calls = sum(r["ncalls"] for r in rows if r["function"] == "<built-in method builtins.abs>")
    write_json(os.path.join(args.out, "cprofile.json"), {
        "width": args.width, "max_iterations": args.max_iterations, "checksum": sum(output), "points": len(output),
        "total_calls": stats.total_calls, "total_seconds": stats.total_tt, "abs_calls": abs_calls,
        "functions": rows[:25],
    })


def tool_line(args):
    import inspect

    from line_profiler import LineProfiler

    kernel = pure_python.calculate_z_serial_purepython
    profiler = LineProfiler(kernel)
    zs, cs = spec.build_grid(args.width)
    profiler.runcall(kernel, args.max_iterations, zs, cs)
    stats = profiler.get_stats()
    source, first = inspect.getsourcelines(kernel)
    timings = {}
    for entries in stats.timings.values():
        for lineno, hits, total in entries:
            timings[lineno] = (hits, total)
    total_time = sum(t for _h, t in timings.values()) or 1
    lines = []
    for offset, text in enumerate(source):
        lineno = first + offset
        hits, t = timings.get(lineno, (0, 0))
        lines.append({
            "lineno": lineno, "source": text.rstrip("\n"), "hits": hits, "seconds": t * stats.unit,
            "per_hit_us": (t * stats.unit / hits * 1e6) if hits else None,
            "percent": 100.0 * t / total_time,
        })
    write_json(os.path.join(args.out, "line_profile.json"), {
        "function": kernel.__name__, "file": "workloads/julia/pure_python.py", "width": args.width,
        "max_iterations": args.max_iterations, "unit": stats.unit, "total_seconds": total_time * stats.unit,
        "lines": lines,
    })


SAMPLE_SECONDS = 0.005  # PyPy runs a small grid in ~0.1 s: 10 ms sampling gives too few points to plot


def tool_memory(args):
    """Sample the RSS of a child running the tutorial's driver (psutil), with phase marks."""
    import psutil

    phases_file = os.path.join(args.out, "memory-phases.tmp.json")
    child = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--tool", "memory-child", "--width", str(args.width),
         "--max-iterations", str(args.max_iterations), "--out", phases_file],
        stdin=subprocess.DEVNULL,
    )
    proc = psutil.Process(child.pid)
    start = time.time()
    samples = []
    while child.poll() is None:
        try:
            rss = proc.memory_info().rss
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            break
        samples.append([round(time.time() - start, 4), round(rss / 2**20, 3)])
        time.sleep(SAMPLE_SECONDS)
    child.wait()
    with open(phases_file) as fh:
        phases = json.load(fh)
    os.unlink(phases_file)
    impl = sys.implementation.name
    write_json(os.path.join(args.out, f"memory-{impl}.json"), {
        "implementation": impl, "tool": f"psutil {psutil.__version__} RSS sampling every {SAMPLE_SECONDS * 1000:g} ms",
        "width": args.width, "max_iterations": args.max_iterations, "exit_code": child.returncode,
        "samples": samples, "peak_mb": max((s[1] for s in samples), default=None),
        "phases": [[name, round(t - start, 4)] for name, t in phases],
    })


def tool_memory_child(args):
    phases = []
    calc_pure_python(args.width, args.max_iterations, phases)
    write_json(args.out, phases)


def tool_vmprof(args):
    """Sampling profile of pure_python on PyPy; vmprof's tree flattened to self samples per function."""
    result = {"implementation": sys.implementation.name, "width": args.width, "max_iterations": args.max_iterations}
    try:
        import vmprof

        prof_path = os.path.join(args.out, "vmprof.prof.tmp")
        with open(prof_path, "w+b") as fh:
            vmprof.enable(fh.fileno(), period=0.001)
            calc_pure_python(args.width, args.max_iterations)
            vmprof.disable()
        stats = vmprof.read_profile(prof_path)
        os.unlink(prof_path)
        counts = {}

        def walk(node):
            own = node.count - sum(child.count for child in node.children.values())
            counts[node.name] = counts.get(node.name, 0) + own
            for child in node.children.values():
                walk(child)

        tree = stats.get_tree()
        walk(tree)
        total = tree.count or 1
        result.update({
            "tool": "vmprof {}".format(getattr(vmprof, "__version__", "?")), "samples": tree.count,
            "functions": sorted(
                ({"function": name.replace(REPO_ROOT + "/", ""), "self_samples": n, "percent": 100.0 * n / total}
                 for name, n in counts.items() if n),
                key=lambda r: -r["self_samples"])[:15],
        })
    except Exception as exc:  # noqa: BLE001 - say why instead of failing the whole profile session
        result["error"] = f"vmprof could not run: {exc.__class__.__name__}: {exc}"
    write_json(os.path.join(args.out, f"vmprof-{sys.implementation.name}.json"), result)


def tool_cython_annotate(args):
    """`cython -a` of every Cython variant: the yellow lines, as self-contained HTML."""
    target = os.path.join(args.out, "cython")
    os.makedirs(target, exist_ok=True)
    sources = sorted(glob.glob(os.path.join(REPO_ROOT, "workloads", "julia", "julia_cython_*.pyx")))
    for pyx in sources:
        name = os.path.splitext(os.path.basename(pyx))[0]
        c_file = os.path.join(target, name + ".c")
        subprocess.run(
            [sys.executable, "-m", "cython", "-a", "-3", "-o", c_file, pyx], check=True, stdin=subprocess.DEVNULL)
        os.unlink(c_file)  # keep the HTML only
    write_json(os.path.join(target, "index.json"), sorted(
        os.path.splitext(os.path.basename(p))[0] + ".html" for p in sources))


def tool_numba_inspect(args):
    import numba

    from workloads.julia import numba_njit

    module_args = numba_njit.prepare(*spec.build_grid(args.width))
    numba_njit.calculate(args.max_iterations, module_args, 1)
    dispatcher = next(obj for obj in vars(numba_njit).values() if isinstance(obj, numba.core.dispatcher.Dispatcher))
    target = os.path.join(args.out, "numba")
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, "numba_njit-types.txt"), "w") as fh:
        dispatcher.inspect_types(file=fh)
    summary = []
    for signature, ir in dispatcher.inspect_llvm().items():
        lines = ir.splitlines()
        summary.append({
            "signature": str(signature), "llvm_lines": len(lines),
            "fmul": sum(" fmul " in l for l in lines), "fadd": sum(" fadd " in l for l in lines),
            "fcmp": sum(" fcmp " in l for l in lines), "vector_ops": sum("<2 x double>" in l or "<4 x double>" in l
                                                                          or "<8 x double>" in l for l in lines),
            "calls": sum(" call " in l for l in lines),
        })
    write_json(os.path.join(target, "numba_njit-llvm-summary.json"),
               {"numba": numba.__version__, "function": dispatcher.py_func.__name__, "signatures": summary})


TOOLS = {
    "cprofile": tool_cprofile, "line": tool_line, "memory": tool_memory, "memory-child": tool_memory_child,
    "vmprof": tool_vmprof, "cython-annotate": tool_cython_annotate, "numba-inspect": tool_numba_inspect,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool", choices=sorted(TOOLS), required=True)
    parser.add_argument("--width", type=int, required=True)
    parser.add_argument("--max-iterations", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if args.tool != "memory-child":
        os.makedirs(args.out, exist_ok=True)
    TOOLS[args.tool](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
