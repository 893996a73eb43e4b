"""Command-line values → typed options; every bad value is a UsageError naming it and what is accepted."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

from ..results import archive
from ..results.runspec import Manifest, RunSpec
from . import catalog, rootfs
from .compare import CompareOptions, WorkloadSelection
from .interpreters import InterpreterError, discover, resolve
from .matrix import METHODS, Method, ParamSet, parameter_sets
from .usage import UsageError

DEFAULT_TIMEOUT = 900.0  # seconds a worker process or a build may take (--timeout, --build-timeout)


def csv(values: list[str] | None) -> list[str]:
    return [item.strip() for value in values or [] for item in value.split(",") if item.strip()]


def positive_int(text: str, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"{what} {text!r} is not a whole number (accepted: integers >= 1)") from None
    if value < 1:
        raise UsageError(f"{what} {text!r} must be >= 1")
    return value


def set_workloads_path(workloads_path: str | None) -> None:
    if workloads_path:
        os.environ[catalog.WORKLOADS_PATH_ENV] = os.pathsep.join(
            [os.path.abspath(d) for d in workloads_path.split(os.pathsep) if d])


def load_workload(name: str):
    known = catalog.available()
    if name not in known:
        raise UsageError(f"--workload {name!r} is unknown (accepted: {', '.join(known)})")
    try:
        return catalog.load(name)
    except (catalog.WorkloadError, ValueError) as exc:  # ValueError: the contract's own check (one line)
        raise UsageError(str(exc)) from None


def _parameter(workload, name: str, text: str, option: str):
    declared = {p.name: p for p in workload.parameters}
    if name not in declared:
        raise UsageError(f"{option}: {name!r} is not a parameter of {workload.name} "
                         f"(accepted: {', '.join(declared)})")
    try:
        return declared[name].parse(text)
    except ValueError as exc:
        raise UsageError(f"{option} {exc}") from None


def shorthand_sets(workload, texts: list[str]) -> list[dict]:
    """--sizes 500x300: the workload's shorthand parameters, in order, separated by 'x'."""
    names = list(workload.shorthand)
    if not names:
        raise UsageError(f"--sizes: {workload.name} declares no shorthand; use --param NAME=VALUE")
    sets = []
    for text in texts:
        parts = text.lower().split("x")
        if len(parts) != len(names):
            raise UsageError(f"--sizes {text!r} is not {'x'.join(n.upper() for n in names)} "
                             f"(e.g. {workload.format_label(workload.defaults())})")
        sets.append({n: _parameter(workload, n, part, f"--sizes {text!r}:") for n, part in zip(names, parts)})
    return sets


def swept_parameters(workload, texts: list[str]) -> dict[str, list]:
    """--param name=v1,v2 (repeat --param for each parameter): the values to sweep per parameter."""
    swept: dict[str, list] = {}
    for text in texts:
        name, sep, values = text.partition("=")
        if not sep or not values:
            raise UsageError(f"--param {text!r} is not NAME=VALUE[,VALUE...]")
        swept[name.strip()] = [_parameter(workload, name.strip(), v.strip(), "--param")
                               for v in values.split(",") if v.strip()]
    return swept


def parameter_sets_of(args: argparse.Namespace, workload, several: bool = False) -> list[ParamSet]:
    """This workload's parameter sets. With several workloads, --param applies to those declaring the name and
    the --sizes shorthand is refused (it would mean different things)."""
    if several and args.sizes:
        raise UsageError("--sizes is a single workload's shorthand; with several workloads use "
                         "--param NAME=VALUE")
    explicit = shorthand_sets(workload, csv(args.sizes)) if args.sizes else []
    declared = {p.name for p in workload.parameters}
    mine = [t for t in args.param or [] if not several or t.partition("=")[0].strip() in declared]
    swept = swept_parameters(workload, mine)
    clash = set(swept) & {n for s in explicit for n in s}
    if clash:
        raise UsageError(f"--param {min(clash)} and --sizes both set it; give it once")
    try:
        return parameter_sets(workload, explicit, swept, quick=args.quick)
    except ValueError as exc:
        raise UsageError(f"--param: {exc}") from None


def check_parameters_used(args: argparse.Namespace, workloads: list) -> None:
    declared = {p.name for w in workloads for p in w.parameters}
    for text in args.param or []:
        name = text.partition("=")[0].strip()
        if name not in declared:
            raise UsageError(f"--param: {name!r} is not a parameter of "
                             f"{', '.join(w.name for w in workloads)} "
                             f"(accepted: {', '.join(sorted(declared))})")


def precision_of(text: str) -> float:
    """--precision 1% or 0.01: a relative CI half-width in (0, 50%]."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise UsageError(f"--precision {text!r} is not a percentage (e.g. 1% or 0.01)") from None
    if not 0 < value <= 0.5:
        raise UsageError(f"--precision {text!r} must be above 0 and at most 50%")
    return value


def method_of(args: argparse.Namespace) -> Method:
    """The preset, with --processes (a fixed design unless --precision is given too: then the minimum),
    --calls, --jit-calls and --precision overriding it."""
    base = METHODS["quick" if args.quick else "rigorous" if args.rigorous else "default"]
    overrides = {"processes": args.processes, "calls": args.calls, "jit_calls": args.jit_calls}
    values = {key: positive_int(value, f"--{key.replace('_', '-')}") if value else getattr(base, key)
              for key, value in overrides.items()}
    precision = base.precision
    if args.precision:
        precision = precision_of(args.precision)
    elif args.processes:
        precision = None
    run_seconds = base.run_seconds
    budget = args.budget
    if budget:
        run_seconds = budget_of(budget) or None
    changed = any(overrides.values()) or args.precision or budget
    return replace(base, name="custom" if changed else base.name, precision=precision,
                   run_seconds=run_seconds, **values)


def budget_of(text: str) -> float:
    """--budget 9 (minutes), 9min or 540s: seconds; 0 for no budget."""
    number, scale = text.strip(), 60.0
    for suffix, factor in (("min", 60.0), ("m", 60.0), ("s", 1.0)):
        if number.endswith(suffix):
            number, scale = number[: -len(suffix)], factor
            break
    try:
        value = float(number) * scale
    except ValueError:
        raise UsageError(f"--budget {text!r} is not a number of minutes (e.g. 9, 9min or 540s)") from None
    if not 0 <= value < float("inf"):
        raise UsageError(f"--budget {text!r} must be 0 (none) or a positive time")
    return value


def seconds(text: str, option: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{option} must be a number of seconds, got {text!r}") from None
    if value <= 0:
        raise UsageError(f"{option} must be > 0 seconds")
    return value


def variant_names(args: argparse.Namespace, workloads: list) -> dict[str, list[str]]:
    """Per workload: the --variant names it has (all of its own when none is given); a name no selected
    workload has is a usage error."""
    wanted = csv(args.variant)
    chosen = {}
    for workload in workloads:
        table = workload.table(include_fixtures=args.include_test_variants)
        chosen[workload.name] = [n for n in wanted if n in table] if wanted else list(workload.table())
    for name in wanted:
        if not any(name in names for names in chosen.values()):
            accepted = ", ".join(dict.fromkeys(n for w in workloads for n in w.table()))
            where = ", ".join(w.name for w in workloads)
            raise UsageError(f"--variant {name!r} is not a variant of {where} (accepted: {accepted})")
    return chosen


def interpreters_of(args: argparse.Namespace):
    """The run's columns; with --suite, every column a name (not a path) asks for comes from that Debian
    suite's root file system (pypy3.11 is pypy3.11-<suite>), so that every ratio is taken in one toolchain."""
    names = csv(args.interpreter)
    suite = getattr(args, "suite", None)
    if suite:
        if not names:
            raise UsageError("--suite needs --interpreter with the columns to take from it "
                             "(e.g. pypy3.11,3.14)")
        if suite not in rootfs.SUITES:
            raise UsageError(f"--suite {suite!r}: one of {', '.join(rootfs.SUITES)}")
        names = [n if "/" in n or n.endswith(f"-{suite}") else f"{n}-{suite}" for n in names]
    try:
        return discover(names or None)
    except InterpreterError as exc:
        hint = f" (nox -s interpreters -- {' '.join(names)})" if suite else ""
        raise UsageError(f"{exc}{hint}") from None


def command_line(session: str) -> list[str]:
    if os.environ.get("NOX_CURRENT_SESSION"):
        return ["nox", "-s", session, "--", *sys.argv[2:]]
    return [Path(sys.executable).name, "-m", "shootout", *sys.argv[1:]]


def selections_of(args: argparse.Namespace) -> list[WorkloadSelection]:
    set_workloads_path(args.workloads_path)
    workloads = [load_workload(name) for name in dict.fromkeys(csv([args.workload]))]
    if not workloads:
        raise UsageError("--workload needs a name")
    check_parameters_used(args, workloads)
    names = variant_names(args, workloads)
    several = len(workloads) > 1
    return [WorkloadSelection(w, names[w.name], parameter_sets_of(args, w, several))
            for w in workloads if names[w.name]]


def without_idle_control(selections: list[WorkloadSelection], interpreters,
                         named: bool) -> list[WorkloadSelection]:
    """The selections without each workload's threads control (the GIL study's) unless a free-threaded
    column runs, where its scaling is the interpreter's limit to read a threaded variant against; with a GIL
    it shows only the lock, as every threaded pure-Python variant does. Variants named with --variant stay."""
    if named or any(i.available and i.free_threaded for i in interpreters):
        return selections
    kept = []
    for sel in selections:
        control = sel.workload.roles.threads_control
        names = [n for n in sel.variant_names if n != control]
        if names:
            kept.append(replace(sel, variant_names=names))
    return kept


def compare_options(args: argparse.Namespace) -> CompareOptions:
    # parallel variants run at 1..N threads (N = cores) by default: the thread-scaling table needs the 1
    threads = ([positive_int(t, "--threads") for t in csv(args.threads)]
               or list(range(1, (os.cpu_count() or 1) + 1)))
    method = method_of(args)
    timeout, build_timeout = (
        seconds(args.timeout, "--timeout"), seconds(args.build_timeout, "--build-timeout"))
    interpreters = interpreters_of(args)
    selections = without_idle_control(selections_of(args), interpreters, bool(csv(args.variant)))
    names = [i.name for i in interpreters if i.available]
    if args.baseline_interpreter and args.baseline_interpreter not in names:
        raise UsageError(f"--baseline-interpreter {args.baseline_interpreter!r} is not one of this run's "
                         f"interpreters (accepted: {', '.join(names)})")
    seed = positive_int(args.seed, "--seed") if args.seed else int.from_bytes(os.urandom(4), "little") or 1
    return CompareOptions(
        selections=selections, interpreters=interpreters, threads=sorted(set(threads)), method=method,
        results_dir=Path(args.output), work_dir=Path(args.work_dir), timeout=timeout,
        build_timeout=build_timeout,
        seed=seed, command_line=command_line("compare"),
        recreate_envs=args.recreate_envs, build_cache=not args.no_build_cache,
        baseline_interpreter=args.baseline_interpreter, instruments=instruments_of(args.instruments),
        count_at=args.count_at,
    )


INSTRUMENTS = ("instructions",)


def instruments_of(text: str | None) -> tuple[str, ...]:
    """--instruments: names from INSTRUMENTS, comma-separated."""
    names = tuple(dict.fromkeys(csv([text] if text else [])))
    unknown = [n for n in names if n not in INSTRUMENTS]
    if unknown:
        raise UsageError(f"--instruments {unknown[0]!r}: one of {', '.join(INSTRUMENTS)}")
    return names


def recorded_options(spec: RunSpec, workloads_path: str | None, **run) -> CompareOptions:
    """The cells an archive describes, to run the way it recorded them (workloads, variants, parameter sets,
    threads, method, seed, worker timeout, baseline column); `run` gives the rest of the CompareOptions."""
    set_workloads_path(workloads_path or spec.workloads_path)
    selections = [WorkloadSelection(load_workload(w.name), w.variants,
                                    [ParamSet(s.label, tuple(sorted(s.params.items()))) for s in w.sizes])
                  for w in spec.workloads]
    return CompareOptions(selections=selections, threads=spec.threads, method=Method.from_json(spec.method),
                          seed=spec.seed, timeout=spec.timeout_seconds or DEFAULT_TIMEOUT,
                          baseline_interpreter=spec.baseline_interpreter, **run)


def resume_options(args: argparse.Namespace) -> CompareOptions:
    """Same cells, method, seed and interpreters as the interrupted run; its archive is completed in place."""
    path = Path(args.resume)
    data = archive.read(path)
    spec = RunSpec.of(data)
    interpreters = [resolve(old.executable or old.requested) for old in spec.interpreters]
    for interp, old in zip(interpreters, spec.interpreters):
        if old.available and not interp.available:
            raise UsageError(f"--resume: interpreter {old.executable} of that run is gone ({interp.reason})")
    return recorded_options(
        spec, args.workloads_path, interpreters=interpreters, results_dir=path.parent,
        work_dir=Path(args.work_dir), build_timeout=seconds(args.build_timeout, "--build-timeout"),
        command_line=spec.command_line, run_id=Manifest.from_json(data.manifest).run_id, resume=path,
        recreate_envs=args.recreate_envs, build_cache=not args.no_build_cache,
        extra_metadata={"resumed_by": command_line("compare")},
    )
