"""The tutorial's profilers, for any workload, run inside a profiling env (never a timing env).
Each writes JSON/HTML.

    python workloads/profiler.py --tool TOOL --workload W --params JSON --out DIR

What is profiled comes from the workload's contract (workloads/<W>/spec.py), never from names in this file:

    the driver      the baseline variant (roles.baseline), driven the way the tutorial drives its kernel:
                    make_inputs(params) -> prepare(inputs, params) -> calculate(prepared, params, 1)
                    -> to_list
    cprofile        cProfile of the driver: the top functions by own time, and the most-called function with
                    its calls per work unit (a builtin called once per unit of work is the interpreter's
                    overhead)
    line            line_profiler of every function *defined in* the baseline variant's module (its
                    __module__ is that module: helpers it imports from elsewhere are not), over prepare +
                    calculate + to_list; functions that never ran are listed by name only
    memory          RSS of a child process running the driver, sampled with psutil, with the phases
                    "start", "inputs built", "kernel done"
    vmprof          vmprof's sampling profile of the driver (on PyPy)
    cython-annotate `cython -a` of the .pyx of every build="cython" variant (with the builder's directives)
    numba-inspect   every Numba dispatcher in every numba variant's module, after one call at these params:
                    inspect_types() and a summary of each signature's LLVM IR (instruction counts)

The driver needs a baseline with build="none" that runs on this interpreter (else the tool fails, saying so).
Python 3.9 syntax (runs on PyPy too); imports the profiling tool of the env (line_profiler, psutil, vmprof,
Cython, numba) only when asked; never imports shootout/.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import re
import subprocess
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    sys.path[0] = REPO_ROOT          # import workloads.* as a package, not as top-level modules
elif REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from workloads._runtime import load_workload, workload_dir, write_json_atomic
from workloads.build import CYTHON_DIRECTIVES  # annotate with exactly the directives every build uses
from workloads.verify import to_values

CPROFILE_ROWS = 25
VMPROF_ROWS = 15
SAMPLE_SECONDS = 0.005  # PyPy runs a small input in ~0.1 s: 10 ms sampling gives too few points to plot


class ProfileError(Exception):
    """This workload cannot be profiled this way (the message says why)."""


def short(path):
    """A file name as the report shows it: repository-relative when inside the repository."""
    path = os.path.abspath(path) if path and not path.startswith(("<", "~")) else path
    if path and path.startswith(REPO_ROOT + os.sep):
        return os.path.relpath(path, REPO_ROOT)
    return path


class Subject:
    """The workload, its parameters and its baseline variant: what the driver runs."""

    def __init__(self, workload_name, params):
        self.workload = load_workload(workload_name)
        self.params = params
        self.variant = self.workload.variant(self.workload.roles.baseline)
        self.label = self.workload.format_label(params)

    def header(self):
        return {"workload": self.workload.name, "variant": self.variant.name, "params": self.params,
                "label": self.label, "implementation": sys.implementation.name,
                "work_unit": self.workload.work_unit}

    def module(self):
        """The baseline variant's module; ProfileError when it cannot run here without a build."""
        variant = self.variant
        reason = variant.unsupported.get(sys.implementation.name)
        if reason:
            raise ProfileError(f"the baseline variant {variant.name} does not run on "
                               f"{sys.implementation.name}: {reason}")
        if variant.build != "none":
            raise ProfileError(f"the baseline variant {variant.name} needs a {variant.build} build: the "
                               f"profilers drive build-free baselines only")
        return importlib.import_module(self.workload.module(variant))

    def drive(self, module, mark=None):
        """make_inputs -> prepare -> calculate -> to_list (the tutorial's driver); the output values."""
        mark = mark or (lambda name: None)
        mark("start")
        inputs = self.workload.make_inputs(self.params)
        mark("inputs built")
        prepared = module.prepare(inputs, self.params)
        output = module.calculate(prepared, self.params, 1)
        mark("kernel done")
        return to_values(module, output)


def write_json(path, data):
    write_json_atomic(path, data)


# ---------------------------------------------------------------- cProfile


def tool_cprofile(subject, out):
    import cProfile
    import pstats

    module = subject.module()
    profiler = cProfile.Profile()
    profiler.enable()
    values = subject.drive(module)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, name), (primitive, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        if os.path.abspath(filename) == os.path.abspath(__file__) or "_lsprof.Profiler" in name:
            continue  # the driver and the profiler themselves
        rows.append({"function": name, "file": short(filename), "line": line, "ncalls": ncalls,
                     "primitive_calls": primitive, "tottime": tottime, "cumtime": cumtime})
    work = subject.workload.count_work(subject.params, values)
    most = max(rows, key=lambda r: (r["ncalls"], r["tottime"])) if rows else None
    if most is not None:
        most = dict(most, per_work_unit=(most["ncalls"] / work) if work else None)
    rows.sort(key=lambda r: -r["tottime"])
    write_json(os.path.join(out, "cprofile.json"), dict(
        subject.header(), checksum=sum(values), points=len(values), work_units=work,
        kernel=f"{subject.workload.module(subject.variant)}.calculate",
        total_calls=stats.total_calls, total_seconds=stats.total_tt, most_called=most,
        functions=rows[:CPROFILE_ROWS]))


# ---------------------------------------------------------------- line_profiler


def module_functions(module):
    """Every plain Python function defined in `module` (not imported into it), in source order."""
    found = [obj for obj in vars(module).values()
             if inspect.isfunction(obj) and getattr(obj, "__module__", None) == module.__name__]
    return sorted(found, key=lambda f: f.__code__.co_firstlineno)


def tool_line(subject, out):
    from line_profiler import LineProfiler

    module = subject.module()
    functions = module_functions(module)
    if not functions:
        raise ProfileError(f"{module.__name__} defines no Python function to profile line by line")
    profiler = LineProfiler(*functions)
    inputs = subject.workload.make_inputs(subject.params)

    def kernel():
        output = module.calculate(module.prepare(inputs, subject.params), subject.params, 1)
        return to_values(module, output)

    profiler.runcall(kernel)
    stats = profiler.get_stats()
    timings = {}  # (file, first line of the function) -> {line: (hits, time)}
    for (filename, first, _name), entries in stats.timings.items():
        timings[(os.path.abspath(filename), first)] = {lineno: (hits, total)
                                                       for lineno, hits, total in entries}
    profiled, not_called = [], []
    for function in functions:
        source, first = inspect.getsourcelines(function)
        filename = os.path.abspath(function.__code__.co_filename)
        per_line = timings.get((filename, function.__code__.co_firstlineno), {})
        if not any(hits for hits, _t in per_line.values()):
            not_called.append(function.__name__)
            continue
        total = sum(t for _h, t in per_line.values()) or 1
        lines = []
        for offset, text in enumerate(source):
            lineno = first + offset
            hits, t = per_line.get(lineno, (0, 0))
            lines.append({"lineno": lineno, "source": text.rstrip("\n"), "hits": hits,
                          "seconds": t * stats.unit,
                          "per_hit_us": (t * stats.unit / hits * 1e6) if hits else None,
                          "percent": 100.0 * t / total})
        profiled.append({"function": function.__name__, "file": short(filename), "first_line": first,
                         "total_seconds": total * stats.unit, "lines": lines})
    write_json(os.path.join(out, "line_profile.json"), dict(
        subject.header(), module=module.__name__, file=short(module.__file__), unit=stats.unit,
        rule="every function defined in the baseline variant's module, over prepare + calculate + to_list",
        functions=profiled, not_called=not_called))


# ---------------------------------------------------------------- memory over time


def tool_memory(subject, out):
    """Sample the RSS of a child running the driver (psutil), with the phases it reports."""
    import psutil

    phases_file = os.path.join(out, "memory-phases.tmp.json")
    child = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--tool", "memory-child", "--workload",
         subject.workload.name,
         "--params", json.dumps(subject.params, sort_keys=True), "--out", phases_file],
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
        if rss:  # an exiting (zombie) process reports 0
            samples.append([round(time.time() - start, 4), round(rss / 2**20, 3)])
        time.sleep(SAMPLE_SECONDS)
    child.wait()
    if child.returncode != 0 or not os.path.exists(phases_file):
        raise ProfileError(f"the driver's child process exited {child.returncode} (its traceback is above)")
    with open(phases_file) as fh:
        phases = json.load(fh)
    os.unlink(phases_file)
    impl = sys.implementation.name
    write_json(os.path.join(out, f"memory-{impl}.json"), dict(
        subject.header(), tool=f"psutil {psutil.__version__} RSS sampling every {SAMPLE_SECONDS * 1000:g} ms",
        exit_code=child.returncode, samples=samples, peak_mb=max((s[1] for s in samples), default=None),
        phases=[[name, round(t - start, 4)] for name, t in phases]))


def tool_memory_child(subject, out):
    module = subject.module()
    phases = []
    subject.drive(module, lambda name: phases.append((name, time.time())))
    write_json(out, phases)


# ---------------------------------------------------------------- vmprof (PyPy)


def tool_vmprof(subject, out):
    """Sampling profile of the driver; vmprof's tree flattened to self samples per function."""
    result = subject.header()
    try:
        import vmprof

        module = subject.module()
        prof_path = os.path.join(out, "vmprof.prof.tmp")
        with open(prof_path, "w+b") as fh:
            vmprof.enable(fh.fileno(), period=0.001)
            subject.drive(module)
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
                ({"function": name.replace(REPO_ROOT + "/", ""), "self_samples": n,
                  "percent": 100.0 * n / total}
                 for name, n in counts.items() if n),
                key=lambda r: -r["self_samples"])[:VMPROF_ROWS],
        })
    except Exception as exc:  # noqa: BLE001 - say why instead of failing the whole profile session
        result["error"] = f"vmprof could not run: {exc.__class__.__name__}: {exc}"
    write_json(os.path.join(out, f"vmprof-{sys.implementation.name}.json"), result)


# ---------------------------------------------------------------- cython -a


def cython_sources(workload):
    """(variant, .pyx path) of every build="cython" variant (test fixtures excluded), each .pyx once."""
    found, seen = [], set()
    folder = workload_dir(workload.name)
    for variant in workload.variants:
        if variant.build != "cython":
            continue
        for source in variant.sources:
            path = os.path.normpath(os.path.join(folder, source))
            if source.endswith(".pyx") and path not in seen:
                seen.add(path)
                found.append((variant.name, path))
    return found


def tool_cython_annotate(subject, out):
    """`cython -a` of every Cython variant: the lines that call into the Python C API, as self-contained
    HTML."""
    target = os.path.join(out, "cython")
    os.makedirs(target, exist_ok=True)
    directives = [arg for name, value in CYTHON_DIRECTIVES.items() for arg in ("-X", f"{name}={value}")]
    index = []
    for variant, pyx in cython_sources(subject.workload):
        name = os.path.splitext(os.path.basename(pyx))[0]
        c_file = os.path.join(target, name + ".c")
        subprocess.run([sys.executable, "-m", "cython", "-a", "-3", *directives, "-o", c_file, pyx],
                       check=True, stdin=subprocess.DEVNULL)
        os.unlink(c_file)  # keep the HTML only
        index.append({"variant": variant, "source": short(pyx), "html": name + ".html"})
    write_json(os.path.join(target, "index.json"), dict(subject.header(), annotated=index))


# ---------------------------------------------------------------- Numba


LLVM_OPCODES = frozenset((
    "ret", "br", "switch", "indirectbr", "invoke", "resume", "unreachable", "fneg", "add", "fadd", "sub",
    "fsub",
    "mul", "fmul", "udiv", "sdiv", "fdiv", "urem", "srem", "frem", "shl", "lshr", "ashr", "and", "or", "xor",
    "extractelement", "insertelement", "shufflevector", "extractvalue", "insertvalue", "alloca", "load",
    "store",
    "fence", "cmpxchg", "atomicrmw", "getelementptr", "trunc", "zext", "sext", "fptrunc", "fpext", "fptoui",
    "fptosi", "uitofp", "sitofp", "ptrtoint", "inttoptr", "bitcast", "addrspacecast", "icmp", "fcmp", "phi",
    "select", "freeze", "call", "va_arg", "landingpad",
))
INSTRUCTION = re.compile(r"^\s+(?:%\S+\s*=\s*)?(?:(?:tail|musttail|notail)\s+)?([a-z][a-z0-9]*)\b")
VECTOR_TYPE = re.compile(r"<\d+ x ")


def llvm_summary(ir):
    """Instruction counts of one signature's LLVM IR (what the report tabulates)."""
    lines = ir.splitlines()
    opcodes = {}
    vector_ops = 0
    for line in lines:
        match = INSTRUCTION.match(line)
        if match and match.group(1) in LLVM_OPCODES:
            opcodes[match.group(1)] = opcodes.get(match.group(1), 0) + 1
            vector_ops += bool(VECTOR_TYPE.search(line))
    return {"llvm_lines": len(lines), "opcodes": dict(sorted(opcodes.items())), "vector_ops": vector_ops,
            "calls": opcodes.get("call", 0), "fmul": opcodes.get("fmul", 0), "fadd": opcodes.get("fadd", 0),
            "fcmp": opcodes.get("fcmp", 0)}


def tool_numba_inspect(subject, out):
    """Every Numba dispatcher of every numba variant, compiled by one call at these params."""
    import numba
    from numba.core.dispatcher import Dispatcher

    workload, params = subject.workload, subject.params
    target = os.path.join(out, "numba")
    os.makedirs(target, exist_ok=True)
    for variant in workload.variants:
        if variant.technology != "numba" or variant.unsupported.get(sys.implementation.name):
            continue
        module = importlib.import_module(workload.module(variant))
        module.calculate(module.prepare(workload.make_inputs(params), params), params, 1)
        dispatchers = sorted(((name, obj) for name, obj in vars(module).items() if isinstance(obj, Dispatcher)
                              and obj.signatures), key=lambda item: item[0])
        if not dispatchers:
            raise ProfileError(f"{module.__name__} holds no compiled Numba dispatcher after a call")
        signatures = []
        with open(os.path.join(target, f"{variant.name}-types.txt"), "w") as fh:
            for name, dispatcher in dispatchers:
                dispatcher.inspect_types(file=fh)
                for signature, ir in dispatcher.inspect_llvm().items():
                    signatures.append(dict(function=dispatcher.py_func.__name__, signature=str(signature),
                                           **llvm_summary(ir)))
        names = [d.py_func.__name__ for _n, d in dispatchers]
        write_json(os.path.join(target, f"{variant.name}-llvm-summary.json"), dict(
            subject.header(), variant=variant.name, numba=numba.__version__, functions=names,
            function=", ".join(names), signatures=signatures))


TOOLS = {
    "cprofile": tool_cprofile, "line": tool_line, "memory": tool_memory, "memory-child": tool_memory_child,
    "vmprof": tool_vmprof, "cython-annotate": tool_cython_annotate, "numba-inspect": tool_numba_inspect,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool", choices=sorted(TOOLS), required=True)
    parser.add_argument("--workload", required=True,
                        help="a workload folder (workloads/ or PYSHOOTOUT_WORKLOADS_PATH)")
    parser.add_argument("--params", required=True, help="the parameter set as a JSON object")
    parser.add_argument("--out", required=True, help="the output folder (memory-child: the phases file)")
    args = parser.parse_args(argv)
    try:
        params = json.loads(args.params)
    except ValueError:
        params = None
    if not isinstance(params, dict):
        parser.error("--params must be a JSON object")
    if args.tool != "memory-child":
        os.makedirs(args.out, exist_ok=True)
    try:
        TOOLS[args.tool](Subject(args.workload, params), args.out)
    except ProfileError as exc:
        print(f"profiler {args.tool}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
