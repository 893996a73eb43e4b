"""Command line: `python -m shootout compare|report|profile ...` (what the nox sessions call).

The one place that wires the orchestrator (shootout/) to the report (report/): shootout never imports report.

Exit codes (the README's table; `nox -s ...` returns the same ones):
  0    every requested cell ran and verified
  1    some cells failed (listed at the end, and in the report), or pyshootout itself failed ("internal error")
  2    usage or input error: one line naming the bad value; nothing written to results/
  3    the archive could not be written to -o (disk full, read-only): one line; it is kept whole in the work dir
  130  interrupted (SIGINT/SIGTERM): what finished is archived with status incomplete; --resume runs the rest
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import archive
from .interpreters import InterpreterError, discover
from .interrupts import EXIT_INTERRUPTED, StopRequest, handling
from .matrix import METHODS, QUICK_SIZE, Method
from .workloads import ROOT, available_workloads, default_size, variants

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNWRITTEN = 0, 1, 2, 3
DEBUG_ENV = "PYSHOOTOUT_DEBUG"  # set to 1 to get the traceback behind an "internal error" line


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse prints usage + message otherwise)
        print(f"pyshootout: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _csv(values: list[str] | None) -> list[str]:
    return [item.strip() for value in values or [] for item in value.split(",") if item.strip()]


def positive_int(text: str, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"{what} {text!r} is not a whole number (accepted: integers >= 1)") from None
    if value < 1:
        raise UsageError(f"{what} {text!r} must be >= 1")
    return value


def parse_size(text: str) -> tuple[int, int]:
    width, sep, iterations = text.lower().partition("x")
    if not sep:
        raise UsageError(f"--sizes {text!r} is not WIDTHxMAX_ITERATIONS (e.g. 1000x300)")
    return (
        positive_int(width, f"--sizes width in {text!r}:"),
        positive_int(iterations, f"--sizes iterations in {text!r}:"),
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pyshootout", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    c = sub.add_parser("compare", help="build, run, verify, archive and report")
    c.add_argument("--workload", default="julia")
    c.add_argument("--variant", action="append", help="variant name(s), comma-separated or repeated")
    c.add_argument("--interpreter", action="append", help="names or paths (default: this CPython + pypy3)")
    c.add_argument("--threads", action="append", help="thread counts for parallel variants (default: 1..cores)")
    c.add_argument("--sizes", action="append", help="WIDTHxMAX_ITERATIONS, comma-separated (default 1000x300)")
    preset = c.add_mutually_exclusive_group()
    preset.add_argument("--quick", action="store_true", help=f"{QUICK_SIZE[0]}x{QUICK_SIZE[1]}, few processes")
    preset.add_argument("--rigorous", action="store_true", help="more processes and calls")
    c.add_argument("--processes", help="fresh worker processes per cell (overrides the preset)")
    c.add_argument("--calls", help="timed calls per process for AOT cells (overrides the preset)")
    c.add_argument("--jit-calls", help="calls per process for PyPy/Numba cells (overrides the preset)")
    c.add_argument("-o", "--output", default=str(ROOT / "results"), help="results directory")
    c.add_argument("--work-dir", default=str(ROOT / ".nox" / "shootout"), help="envs, builds, references")
    c.add_argument("--timeout", default="900", help="seconds per worker process before it is killed")
    c.add_argument("--build-timeout", default="900", help="seconds per build")
    c.add_argument("--seed", default=None, help="shuffle seed (default: random, recorded)")
    c.add_argument("--recreate-envs", action="store_true")
    c.add_argument("--resume", help="results/<run-id> of an interrupted run: run only its missing cells")
    c.add_argument("--run-id", default=None, help=argparse.SUPPRESS)
    c.add_argument("--include-test-variants", action="store_true", help=argparse.SUPPRESS)

    pr = sub.add_parser("profile", help="cProfile, line_profiler, memory, vmprof, cython -a, numba inspection")
    pr.add_argument("--size", default="500x300", help="WIDTHxMAX_ITERATIONS (default 500x300, about a minute)")
    pr.add_argument("--interpreter", action="append", help="names or paths (default: this CPython + pypy3)")
    pr.add_argument("--into", help="add profiles/ to this archive (results/<run-id>) instead of a new one")
    pr.add_argument("-o", "--output", default=str(ROOT / "results"), help="results directory")
    pr.add_argument("--work-dir", default=str(ROOT / ".nox" / "shootout"))

    r = sub.add_parser("report", help="re-render report.html from archive(s) alone")
    r.add_argument("archives", nargs="+")
    r.add_argument("-o", "--output", help="output file (one archive only; default ARCHIVE/report.html)")
    return parser


def compare_options(args: argparse.Namespace):
    from .compare import CompareOptions

    workloads = available_workloads()
    if args.workload not in workloads:
        raise UsageError(f"--workload {args.workload!r} is unknown (accepted: {', '.join(workloads)})")
    table = variants(args.workload, include_test_only=args.include_test_variants)
    names = _csv(args.variant) or [n for n, v in table.items() if not v.test_only]
    for name in names:
        if name not in table:
            accepted = ", ".join(n for n, v in table.items() if not v.test_only)
            raise UsageError(f"--variant {name!r} is not a variant of {args.workload} (accepted: {accepted})")
    # parallel variants run at 1..N threads (N = cores) by default: the thread-scaling table needs the 1
    threads = [positive_int(t, "--threads") for t in _csv(args.threads)] or list(range(1, (os.cpu_count() or 1) + 1))
    if args.sizes:
        sizes = [parse_size(s) for s in _csv(args.sizes)]
    else:
        sizes = [QUICK_SIZE] if args.quick else [default_size(args.workload)]
    method = METHODS["quick" if args.quick else "rigorous" if args.rigorous else "default"]
    overrides = {
        "processes": args.processes, "calls": args.calls, "jit_calls": args.jit_calls,
    }
    method = Method(
        method.name if not any(overrides.values()) else "custom",
        jit_seconds=method.jit_seconds,
        **{
            key: positive_int(value, f"--{key.replace('_', '-')}") if value else getattr(method, key)
            for key, value in {**overrides, "warmups": None}.items()
        },
    )
    try:
        timeout = float(args.timeout)
        build_timeout = float(args.build_timeout)
    except ValueError:
        raise UsageError(f"--timeout/--build-timeout must be numbers of seconds, got {args.timeout!r}") from None
    if timeout <= 0 or build_timeout <= 0:
        raise UsageError("--timeout and --build-timeout must be > 0 seconds")
    try:
        interpreters = discover(_csv(args.interpreter) or None)
    except InterpreterError as exc:
        raise UsageError(str(exc)) from None
    seed = positive_int(args.seed, "--seed") if args.seed else int.from_bytes(os.urandom(4), "little") or 1
    return CompareOptions(
        workload=args.workload,
        variant_names=names,
        interpreters=interpreters,
        threads=sorted(set(threads)),
        sizes=sizes,
        method=method,
        results_dir=Path(args.output),
        work_dir=Path(args.work_dir),
        timeout=timeout,
        build_timeout=build_timeout,
        seed=seed,
        command_line=["nox", "-s", "compare", "--", *sys.argv[2:]] if os.environ.get("NOX_CURRENT_SESSION")
        else [Path(sys.executable).name, "-m", "shootout", *sys.argv[1:]],
        include_test_only=args.include_test_variants,
        recreate_envs=args.recreate_envs,
        run_id=args.run_id,
    )


def resume_options(args: argparse.Namespace):
    """Same cells, method, seed and interpreters as the interrupted run; its archive is completed in place."""
    from .compare import CompareOptions
    from .interpreters import resolve

    path = Path(args.resume)
    data = archive.read(path)
    meta = data.metadata
    interpreters = [resolve(i["executable"] or i["requested"]) for i in meta["interpreters"]]
    for interp, old in zip(interpreters, meta["interpreters"]):
        if old["available"] and not interp.available:
            raise UsageError(f"--resume: interpreter {old['executable']} of that run is gone ({interp.reason})")
    return CompareOptions(
        workload=meta["workload"],
        variant_names=meta["variants"],
        interpreters=interpreters,
        threads=meta["threads"],
        sizes=[tuple(s) for s in meta["sizes"]],
        method=Method(**meta["method"]),
        results_dir=path.parent,
        work_dir=Path(args.work_dir),
        timeout=float(meta["timeout_seconds"]),
        build_timeout=float(args.build_timeout),
        seed=int(meta["seed"]),
        command_line=meta["command_line"],
        include_test_only=True,
        run_id=data.manifest["run_id"],
        resume=path,
        extra_metadata={"resumed_by": [Path(sys.executable).name, "-m", "shootout", *sys.argv[1:]]},
    )


def check_compiler(options) -> None:
    """Compiled variants need a C and a C++ compiler: say so up front rather than as a dozen build failures."""
    import shutil

    table = variants(options.workload, include_test_only=True)
    needs = {table[name].build for name in options.variant_names} - {"none"}
    if not needs:
        return
    for var, default in (("CC", "cc"), ("CXX", "c++")):
        compiler = os.environ.get(var, default).split()[0]
        if not shutil.which(compiler):
            raise UsageError(
                f"compiler {compiler!r} ({var}) not found, needed by {', '.join(sorted(needs))} variants "
                "(install: apt-get install build-essential, or pick --variant pure_python,numpy_vectorised,...)"
            )


def cmd_compare(args: argparse.Namespace) -> int:
    from report.render import render_archive

    from . import compare

    stop = StopRequest()
    with handling(stop):
        options = resume_options(args) if args.resume else compare_options(args)
        check_compiler(options)
        if stop.requested:
            return EXIT_INTERRUPTED
        try:
            outcome = compare.run(options, stop, render_archive)
        except archive.ArchiveWriteError as exc:
            print(f"pyshootout: error: {exc}", file=sys.stderr)
            return EXIT_UNWRITTEN
    print_summary(outcome.path)
    if outcome.interrupted:
        print(f"interrupted: partial archive in {outcome.path}; complete it with: "
              f"nox -s compare -- --resume {outcome.path}", file=sys.stderr)
    return outcome.exit_code


def print_summary(path: Path) -> None:
    from . import stats

    data = archive.read(path)
    summary = stats.summarise(data.records)
    print(f"\narchive: {path}\nreport:  {path / archive.REPORT}\n")
    if summary.empty:
        print("no cell has a record yet")
        return
    columns = ["variant", "interpreter", "threads", "width", "status", "median_seconds", "speedup", "verified"]
    print(summary[columns].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    failed = summary[~summary["status"].isin(["ok", "unsupported", "skipped"])]
    if len(failed):
        print("\nfailed cells:")
        for _, row in failed.iterrows():
            first = (row["error"] or "").strip().splitlines()[:1]
            print(f"  {row['variant']} on {row['interpreter']}: {row['status']}: {first[0] if first else ''}")


def cmd_report(args: argparse.Namespace) -> int:
    from report.render import render_archive

    if args.output and len(args.archives) > 1:
        raise UsageError("-o/--output takes one archive only")
    for item in args.archives:
        path = Path(item)
        html = render_archive(path)
        target = Path(args.output) if args.output else path / archive.REPORT
        try:
            archive.write_file_atomic(target, html)
        except OSError as exc:
            print(f"pyshootout: error: could not write {target}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_UNWRITTEN
        print(f"report: {target}")
    return EXIT_OK


def cmd_profile(args: argparse.Namespace) -> int:
    from . import profile

    width, max_iterations = parse_size(args.size)
    try:
        interpreters = discover(_csv(args.interpreter) or None)
    except InterpreterError as exc:
        raise UsageError(str(exc)) from None
    into = Path(args.into) if args.into else None
    if into is not None:
        archive.read(into)
    options = profile.ProfileOptions(
        interpreters=interpreters, width=width, max_iterations=max_iterations,
        results_dir=into.parent if into else Path(args.output), work_dir=Path(args.work_dir), into=into,
        command_line=["nox", "-s", "profile", "--", *sys.argv[2:]],
    )
    from report.render import render_archive

    path, code = profile.run(options, render_archive)
    print(f"profiles: {path / 'profiles'}\nreport:   {path / archive.REPORT}")
    return code


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {"compare": cmd_compare, "profile": cmd_profile, "report": cmd_report}
    try:
        return commands[args.command](args)
    except (UsageError, archive.ArchiveError) as exc:
        print(f"pyshootout: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("pyshootout: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if os.environ.get(DEBUG_ENV):
            raise
        print(f"pyshootout: internal error: {exc.__class__.__name__}: {str(exc)[:200]} "
              f"(a bug, or an archive this version cannot read; {DEBUG_ENV}=1 shows the traceback)",
              file=sys.stderr)
        return EXIT_FAILED
