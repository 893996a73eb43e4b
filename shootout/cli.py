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
import shutil
import sys
from pathlib import Path

from .results import archive
from .run.catalog import DEFAULT_WORKLOAD, ROOT
from .run.interrupts import EXIT_INTERRUPTED, StopRequest, handling
from .run.options import compare_options, resume_options
from .run.usage import EXIT_USAGE, OneLineParser, UsageError

EXIT_OK, EXIT_FAILED, EXIT_UNWRITTEN = 0, 1, 3
DEBUG_ENV = "PYSHOOTOUT_DEBUG"  # set to 1 to get the traceback behind an "internal error" line


def _workload_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workload", default=DEFAULT_WORKLOAD,
                        help=f"folder(s) of workloads/, comma-separated (default {DEFAULT_WORKLOAD})")
    parser.add_argument("--param", action="append", metavar="NAME=V[,V...]",
                        help="a workload parameter (repeat per parameter; several values sweep it)")
    parser.add_argument("--sizes", action="append",
                        help="the workload's shorthand parameters joined by x, comma-separated (e.g. 500x300)")
    parser.add_argument("--workloads-path", default=None,
                        help=f"extra folders holding workload folders ({os.pathsep}-separated)")


def _compare_parser(sub) -> None:
    c = sub.add_parser("compare", help="build, run, verify, archive and report")
    _workload_options(c)
    c.add_argument("--variant", action="append", help="variant name(s), comma-separated or repeated")
    c.add_argument("--interpreter", action="append", help="names or paths (default: this CPython + pypy3)")
    c.add_argument("--threads", action="append", help="thread counts for parallel variants (default: 1..cores)")
    c.add_argument("--baseline-interpreter", help="speedups over the baseline variant on this column (default: the "
                                                  "first CPython with a GIL, by name)")
    preset = c.add_mutually_exclusive_group()
    preset.add_argument("--quick", action="store_true", help="the workload's quick parameters, few processes")
    preset.add_argument("--rigorous", action="store_true", help="more processes and calls")
    c.add_argument("--precision", help="stop sampling a cell once its speedup CI is within this, or its own median CI "
                   "within half of it (default 2%%)")
    c.add_argument("--processes", help="fresh worker processes per cell: a fixed design (with --precision: the "
                                       "minimum)")
    c.add_argument("--budget", help="minutes of sampling after which no process past a cell's minimum starts "
                                    "(default 9; 0: none; every cell still gets its minimum)")
    c.add_argument("--calls", help="timed calls per process for AOT cells (overrides the preset)")
    c.add_argument("--jit-calls", help="calls per process for PyPy/Numba cells (overrides the preset)")
    c.add_argument("-o", "--output", default=str(ROOT / "results"), help="results directory")
    c.add_argument("--work-dir", default=str(ROOT / ".nox" / "shootout"), help="envs, builds, references")
    c.add_argument("--timeout", default="900", help="seconds per worker process before it is killed")
    c.add_argument("--build-timeout", default="900", help="seconds per build")
    c.add_argument("--seed", default=None, help="shuffle seed (default: random, recorded)")
    c.add_argument("--recreate-envs", action="store_true")
    c.add_argument("--no-build-cache", action="store_true", help="rebuild every variant (the cache is left as is)")
    c.add_argument("--resume", help="results/<run-id> of an interrupted run: run only its missing cells")
    c.add_argument("--include-test-variants", action="store_true", help=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="pyshootout", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    _compare_parser(sub)

    pr = sub.add_parser("profile", help="cProfile, line_profiler, memory, vmprof, cython -a, numba inspection")
    _workload_options(pr)
    pr.add_argument("--interpreter", action="append", help="names or paths (default: this CPython + pypy3)")
    pr.add_argument("--into", help="add profiles/ to this archive (results/<run-id>) instead of a new one")
    pr.add_argument("-o", "--output", default=str(ROOT / "results"), help="results directory")
    pr.add_argument("--work-dir", default=str(ROOT / ".nox" / "shootout"))

    rp = sub.add_parser("reproduce", help="run an archive again as it was recorded, then compare the two")
    rp.add_argument("archive")
    rp.add_argument("-o", "--output", help="results directory (default: the archive's own)")
    rp.add_argument("--work-dir", default=str(ROOT / ".nox" / "shootout"))
    rp.add_argument("--workloads-path", default=None)

    d = sub.add_parser("diff", help="compare archives: A (the baseline) with B, C, ...")
    d.add_argument("archives", nargs="+", metavar="ARCHIVE")
    d.add_argument("--markdown", action="store_true", help="print Markdown (for a pull request) instead of a table")
    d.add_argument("--html", help="write the HTML comparison here (default: next to B, diff-<A>.html)")
    d.add_argument("--fail-on-slowdown", metavar="PERCENT",
                   help="exit 1 when any cell is slower by more than this beyond the machine's drift (its 95%% CI "
                        "above 1 + PERCENT in the drift-cancelled view, after Holm's correction across cells); "
                        "also the verdicts' threshold (default 1%%)")

    ip = sub.add_parser("interpreters", add_help=False,
                        help="provision CPython builds (3.13, 3.13t, ...) into .nox/shootout/pythons/; "
                             "'interpreters --help' for its options")
    ip.add_argument("provision_args", nargs=argparse.REMAINDER)

    r = sub.add_parser("report", help="re-render report.html from archive(s) alone")
    r.add_argument("archives", nargs="+")
    r.add_argument("-o", "--output", help="output file (one archive only; default ARCHIVE/report.html)")
    return parser


def check_compiler(options) -> None:
    """Compiled variants need a C and a C++ compiler: say so up front rather than as a dozen build failures."""
    needs = {sel.workload.table(include_fixtures=True)[name].build
             for sel in options.selections for name in sel.variant_names} - {"none"}
    if not needs:
        return
    for var, default in (("CC", "cc"), ("CXX", "c++")):
        compiler = os.environ.get(var, default).split()[0]
        if not shutil.which(compiler):
            raise UsageError(
                f"compiler {compiler!r} ({var}) not found, needed by {', '.join(sorted(needs))} variants "
                "(install: apt-get install build-essential, or pick only variants that need no build)"
            )


def cmd_compare(args: argparse.Namespace) -> int:
    from report.render import render_archive

    from .run import compare

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
    from .results import summaries

    data = archive.read(path)
    summary = summaries.summarise(data.records, data.roles)
    print(f"\narchive: {path}\nreport:  {path / archive.REPORT}\n")
    if summary.empty:
        print("no cell has a record yet")
        return
    columns = ["variant", "interpreter", "threads", "size", "status", "median_seconds", "speedup", "verified"]
    print(summary[columns].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    failed = summary[~summary["status"].isin(["ok", "unsupported", "skipped"])]
    if len(failed):
        print("\nfailed cells:")
        for _, row in failed.iterrows():
            print(f"  {row['variant']} on {row['interpreter']}: {row['status']}: {error_line(row['error'])}")


def error_line(error: str | None) -> str:
    """The line that says what went wrong: a traceback's last line, else the first."""
    lines = [line for line in (error or "").strip().splitlines() if line.strip()]
    if not lines:
        return ""
    return lines[-1].strip() if any(line.startswith("Traceback") for line in lines) else lines[0]


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


def cmd_reproduce(args: argparse.Namespace) -> int:
    from report.render import render_archive

    from .results import diff_table
    from .run import compare, reproduce

    stop = StopRequest()
    with handling(stop):
        original, options = reproduce.reproduce_options(
            Path(args.archive), Path(args.output) if args.output else None, Path(args.work_dir), args.workloads_path)
        changes = reproduce.changed_sources(original)
        print(f"sources changed since {original.path.name}: {len(changes) or 'none'}", file=sys.stderr)
        for change in changes:
            print(f"  {change.line()}", file=sys.stderr)
        check_compiler(options)
        try:
            outcome = compare.run(options, stop, render_archive)
        except archive.ArchiveWriteError as exc:
            print(f"pyshootout: error: {exc}", file=sys.stderr)
            return EXIT_UNWRITTEN
        comparison = reproduce.attach_comparison(original, outcome.path, options.work_dir, render_archive)
    print(diff_table.table(comparison))
    print(diff_table.differences(comparison))
    print(f"reproduction: {outcome.path}\nreport:       {outcome.path / archive.REPORT}")
    return outcome.exit_code


def cmd_diff(args: argparse.Namespace) -> int:
    from report.comparison import render_comparison

    from .results import diff, diff_table

    if len(args.archives) < 2:
        raise UsageError("diff needs at least two archives: A (the baseline) and B")
    try:
        gate = diff.threshold_of(args.fail_on_slowdown) if args.fail_on_slowdown is not None else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    archives = [archive.read(Path(p)) for p in args.archives]
    comparisons = [diff.compare(archives[0], other, diff.THRESHOLD if gate is None else gate)
                   for other in archives[1:]]
    for comparison in comparisons:
        print(diff_table.markdown(comparison) if args.markdown else diff_table.table(comparison))
        if not args.markdown:
            print(diff_table.differences(comparison))
    target = Path(args.html) if args.html else archives[1].path / f"diff-{archives[0].path.name}.html"
    try:
        archive.write_file_atomic(target, render_comparison(archives, comparisons))
    except OSError as exc:
        print(f"pyshootout: error: could not write {target}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_UNWRITTEN
    print(f"comparison: {target}")
    slower = [comparison.gate_message(c) for comparison in comparisons for c in comparison.slowdowns()] \
        if gate is not None else []
    spared = [comparison.gate_message(c) for comparison in comparisons for c in comparison.disturbed_slowdowns()] \
        if gate is not None else []
    warnings = [comparison.unjudged_warning() for comparison in comparisons] if gate is not None else []
    for message in [*slower, *spared, *filter(None, warnings)]:
        print(message, file=sys.stderr)
    return EXIT_FAILED if slower else EXIT_OK


def cmd_profile(args: argparse.Namespace) -> int:
    from report.render import render_archive

    from .run import profile
    from .run.options import interpreters_of, load_workload, parameter_sets_of, set_workloads_path

    set_workloads_path(args.workloads_path)
    workload = load_workload(args.workload)
    args.quick = False
    sizes = parameter_sets_of(args, workload)
    if len(sizes) != 1:
        raise UsageError("profile takes one parameter set (one value per --param, one --sizes)")
    into = Path(args.into) if args.into else None
    if into is not None:
        archive.read(into)
    options = profile.ProfileOptions(
        workload=workload, size=sizes[0], interpreters=interpreters_of(args),
        results_dir=into.parent if into else Path(args.output), work_dir=Path(args.work_dir), into=into,
        command_line=["nox", "-s", "profile", "--", *sys.argv[2:]],
    )
    path, code = profile.run(options, render_archive)
    print(f"profiles: {path / 'profiles'}\nreport:   {path / archive.REPORT}")
    return code


def cmd_interpreters(provision_args: list[str]) -> int:
    """Provisioning has its own options and exit codes (0 ok, 1 a build failed, 2 usage): shootout/run/provision.py.
    Handed over before argparse, which cannot pass options such as --list through a subcommand untouched."""
    from .run import provision

    return provision.main(provision_args)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["interpreters"]:
        return cmd_interpreters(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {"compare": cmd_compare, "profile": cmd_profile, "report": cmd_report, "diff": cmd_diff,
                "reproduce": cmd_reproduce}
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
