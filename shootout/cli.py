"""`python -m shootout <command>` (what the nox sessions call): the one place that wires the part that runs
things (shootout/run/), the results library (shootout/results/) and the report (report/) together; the help a
user reads is COMMANDS and EXIT_CODES below, in the README's words.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import textwrap
from pathlib import Path
from typing import NamedTuple

from report.comparison import render_comparison
from report.render import render_archive

from .results import archive, count_diff, counts, diff, diff_table, summaries
from .run import compare, profile, provision, reproduce
from .run.catalog import DEFAULT_WORKLOAD, ROOT
from .run.interrupts import EXIT_INTERRUPTED, StopRequest, handling
from .run.options import (
    DEFAULT_TIMEOUT,
    command_line,
    compare_options,
    interpreters_of,
    load_workload,
    parameter_sets_of,
    resume_options,
    set_workloads_path,
)
from .run.usage import EXIT_USAGE, OneLineParser, UsageError

EXIT_OK, EXIT_FAILED, EXIT_UNWRITTEN = 0, 1, 3
DEBUG_ENV = "PYSHOOTOUT_DEBUG"  # set to 1 to get the traceback behind an "internal error" line
WORK_DIR = ROOT / ".nox" / "shootout"


class Command(NamedTuple):
    does: str  # the README's words for it
    example: str


# The README's table of sessions and its table of exit codes, in the same words (tests/test_cli_help.py holds
# them together).
COMMANDS = {
    "compare": Command(
        does="build every variant, run it in fresh processes, verify every output, then archive and report",
        example="nox -s compare -- --quick"),
    "report": Command(
        does="re-render report.html from the archive alone (byte-identical)",
        example="nox -s report -- results/<run-id>"),
    "reproduce": Command(
        does="run an archive again as it was recorded (same workload, variants, parameters, threads, "
             "method, interpreters, packages pinned from its locks); it first lists every source file that "
             "changed since, and the new archive's report opens with the comparison against the original",
        example="nox -s reproduce -- results/<run-id>"),
    "diff": Command(
        does="archives side by side, A the baseline: per cell the ratio B/A with a 95% CI and a verdict, in "
             "three views (drift-cancelled, normalised by each archive's baseline cell, absolute), under "
             "\"what differs\" between the archives; a terminal table, an HTML comparison, Markdown for a "
             "pull request. `--fail-on-slowdown X%` exits 1 when a cell got slower beyond what the whole "
             "machine did; `--metric instructions` compares instruction counts instead (archives made with "
             "`compare --instruments instructions`), a cell failing when its B/A is above 1 + X",
        example="nox -s diff -- results/<run-A> results/<run-B> --fail-on-slowdown 2%"),
    "interpreters": Command(
        does="provision interpreters into `.nox/shootout/pythons/` so that `compare --interpreter "
             "3.13t,pypy3.11` finds them: CPython builds from source (or uv), PyPy 3.11 and CPython "
             "3.13/3.14 from Debian root file systems",
        example="nox -s interpreters -- 3.13 3.13t pypy3.11 3.14"),
    "profile": Command(
        does="the tutorial's profilers in their own environments: cProfile and line_profiler (CPython), "
             "memory over time (both), vmprof (PyPy), `cython -a`, Numba inspection; into a new archive, or "
             "with `--into` an existing one",
        example="nox -s profile -- --into results/<run-id>"),
}
EXIT_CODES = {
    EXIT_OK: "every requested cell ran and verified",
    EXIT_FAILED: (
        "some cells failed (build_failed, crashed, timeout, wrong_output — listed at the end, and in the "
        "report) or crashed under valgrind (a build valgrind cannot decode is listed, not failed), "
        "`diff --fail-on-slowdown` found a slowdown, a "
        "provisioning build failed, or pyshootout itself failed (one \"internal error\" line)"),
    EXIT_USAGE: (
        "usage or input error: one line naming the bad value (or what is wrong with an archive, e.g. "
        "`diff --metric instructions` on one without counts); nothing written"),
    EXIT_UNWRITTEN: (
        "the archive (or report) could not be written to `-o` (disk full, read-only): one line; a "
        "compare's archive is kept whole in `.nox/shootout/runs/<run-id>/archive`, named in that line"),
    EXIT_INTERRUPTED: (
        "interrupted (Ctrl-C, SIGTERM): the running worker is killed, what finished is archived with "
        "status `incomplete`; `--resume results/<run-id>` runs the rest. A second Ctrl-C while archiving "
        "only warns; a third abandons (nothing written)"),
}
HELP_WIDTH = 79  # the help's own paragraphs and exit-code table fit an 80-column terminal


def plain(text: str) -> str:
    """README text for a terminal: no Markdown code marks."""
    return text.replace("`", "")


def _fill(text: str, indent: str = "", hanging: str = "") -> str:
    return textwrap.fill(plain(text), HELP_WIDTH, initial_indent=indent, subsequent_indent=hanging or indent,
                         break_on_hyphens=False)


def _top_help() -> tuple[str, str]:
    """The top-level description and epilog: what pyshootout is, an example of each command, the exit
    codes."""
    description = _fill(
        "How fast is a Python kernel on CPython and PyPy, and what do Cython, Pythran, Numba, numpy or "
        "CFFI buy you? Each command runs as `nox -s <command> -- [options]` or as "
        "`python -m shootout <command> [options]`; `<command> --help` lists its options.")
    examples = "\n".join(f"  {command.example}" for command in COMMANDS.values())
    codes = "\n".join(_fill(meaning, f"  {code:<5}", " " * 7) for code, meaning in EXIT_CODES.items())
    return description, f"examples:\n{examples}\n\nexit codes (the same through nox -s <command>):\n{codes}"


def _command(sub, name: str, **kwargs) -> argparse.ArgumentParser:
    command = COMMANDS[name]
    return sub.add_parser(name, help=plain(command.does).replace("%", "%%"), description=_fill(command.does),
                          epilog=f"example:\n  {command.example}",
                          formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)


def _workload_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workload", default=DEFAULT_WORKLOAD,
                        help=f"folder(s) of workloads/, comma-separated (default {DEFAULT_WORKLOAD})")
    parser.add_argument("--param", action="append", metavar="NAME=V[,V...]",
                        help="a workload parameter (repeat per parameter; several values sweep it)")
    parser.add_argument("--sizes", action="append",
                        help="the workload's shorthand parameters joined by x, comma-separated "
                             "(e.g. 500x300)")
    parser.add_argument("--workloads-path", default=None,
                        help=f"extra folders holding workload folders ({os.pathsep}-separated)")


def _compare_parser(sub) -> None:
    c = _command(sub, "compare")
    _workload_options(c)
    c.add_argument("--variant", action="append", help="variant name(s), comma-separated or repeated")
    c.add_argument("--interpreter", action="append", help="names or paths (default: this CPython + pypy3)")
    c.add_argument("--suite", help="take every named column from this Debian suite's root file system (sid, "
                                   "trixie): one compiler and C library on both sides of every ratio")
    c.add_argument("--threads", action="append",
                   help="thread counts for parallel variants (default: 1..cores)")
    c.add_argument("--baseline-interpreter",
                   help="speedups over the baseline variant on this column (default: the "
                        "first CPython with a GIL, by name)")
    preset = c.add_mutually_exclusive_group()
    preset.add_argument("--quick", action="store_true", help="the workload's quick parameters, few processes")
    preset.add_argument("--rigorous", action="store_true", help="more processes and calls")
    c.add_argument("--precision", help="stop sampling a cell once its speedup CI is within this, or its own "
                   "median CI within half of it (default 2%%)")
    c.add_argument("--processes", help="fresh worker processes per cell: a fixed design (with --precision: "
                                       "the minimum)")
    c.add_argument("--budget", help="minutes of sampling after which no process past a cell's minimum starts "
                                    "(default 9; 0: none; every cell still gets its minimum)")
    c.add_argument("--calls", help="timed calls per process for AOT cells (overrides the preset)")
    c.add_argument("--jit-calls", help="calls per process for PyPy/Numba cells (overrides the preset)")
    c.add_argument("-o", "--output", default=str(ROOT / "results"), help="results directory")
    c.add_argument("--work-dir", default=str(WORK_DIR), help="envs, builds, references")
    c.add_argument("--timeout", default=f"{DEFAULT_TIMEOUT:g}",
                   help="seconds per worker process before it is killed")
    c.add_argument("--build-timeout", default=f"{DEFAULT_TIMEOUT:g}", help="seconds per build")
    c.add_argument("--seed", default=None, help="shuffle seed (default: random, recorded)")
    c.add_argument("--recreate-envs", action="store_true",
                   help="create the target environments again from scratch (they are otherwise reused while "
                        "the interpreter and the pinned requirements are the same): for an environment "
                        "damaged by hand")
    c.add_argument("--no-build-cache", action="store_true",
                   help="rebuild every variant (the cache is left as is)")
    c.add_argument("--resume", help="results/<run-id> of an interrupted run: run only its missing cells")
    c.add_argument("--instruments", metavar="NAME[,NAME]",
                   help="beside the wall clock: instructions (every cell's calls counted under valgrind's "
                        "Callgrind at the workload's quick size, after the timed processes)")
    c.add_argument("--count-at", choices=("quick", "run"), default="quick",
                   help="the size instructions are counted at: each workload's quick parameters (default) or "
                        "the run's own parameter sets (then every time has its count at the same size)")
    # the tests' fixture variants (crashes, hangs, wrong outputs): not for users
    c.add_argument("--include-test-variants", action="store_true", help=argparse.SUPPRESS)


def _other_parsers(sub) -> None:
    r = _command(sub, "report")
    r.add_argument("archives", nargs="+", metavar="ARCHIVE",
                   help="results/<run-id> (several: each re-rendered)")
    r.add_argument("-o", "--output", help="output file (one archive only; default ARCHIVE/report.html)")

    rp = _command(sub, "reproduce")
    rp.add_argument("archive", metavar="ARCHIVE", help="results/<run-id>")
    rp.add_argument("-o", "--output", help="results directory (default: the archive's own)")
    rp.add_argument("--work-dir", default=str(WORK_DIR), help="envs, builds, references")
    rp.add_argument("--workloads-path", default=None, help="where the archive's workload folders are now "
                                                           "(default: where they were)")
    d = _command(sub, "diff")
    d.add_argument("archives", nargs="+", metavar="ARCHIVE", help="A (the baseline), then B, C, ...")
    d.add_argument("--markdown", action="store_true",
                   help="print Markdown (for a pull request) instead of a table")
    d.add_argument("--html", help="write the HTML comparison here (default: next to B, diff-<A>.html)")
    d.add_argument("--fail-on-slowdown", metavar="PERCENT",
                   help="exit 1 when any cell is slower by more than this beyond the machine's drift "
                        "(its 95%% CI above 1 + PERCENT in the drift-cancelled view, after Holm's "
                        "correction across cells); also the verdicts' threshold (default 1%%)")
    d.add_argument("--metric", choices=("seconds", "instructions"), default="seconds",
                   help="seconds (wall clock, the default) or instructions (counts from compare "
                        "--instruments instructions: B/A per cell against 1 + PERCENT, no CI; no HTML)")
    # handed over before argparse (main): listed here for the help, its own options are `interpreters --help`
    _command(sub, "interpreters", add_help=False).add_argument("provision_args", nargs=argparse.REMAINDER)

    pr = _command(sub, "profile")
    _workload_options(pr)
    pr.add_argument("--interpreter", action="append", help="names or paths (default: this CPython + pypy3)")
    pr.add_argument("--into", metavar="ARCHIVE", help="add profiles/ to this archive instead of a new one")
    pr.add_argument("-o", "--output", default=str(ROOT / "results"), help="results directory")
    pr.add_argument("--work-dir", default=str(WORK_DIR),
                    help="its own environments, apart from the timing ones")


def build_parser() -> argparse.ArgumentParser:
    description, epilog = _top_help()
    parser = OneLineParser(prog="pyshootout", description=description, epilog=epilog,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser, title="commands",
                                metavar="<command>")
    _compare_parser(sub)
    _other_parsers(sub)
    return parser


def check_compiler(options) -> None:
    """Compiled variants need a C and a C++ compiler: say so up front rather than as a dozen build
    failures."""
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
    uncounted = [c for c in counts.cell_counts(data.counts).values() if c.error]
    if uncounted:
        print("\nnot counted (failed under valgrind):")
        for cell in uncounted:
            print(f"  {cell.label}: {valgrind_line(cell.error)}")


def valgrind_line(error: str | None) -> str:
    """What valgrind said when it ended a counting process ("Illegal opcode at ..."), else error_line."""
    said = [line.split("==", 2)[-1].strip() for line in (error or "").splitlines() if line.startswith("==")]
    said = [line for line in said if line and not line.startswith(("at ", "by "))]
    return "; ".join(said[:2]) if said else error_line(error)


def error_line(error: str | None) -> str:
    """The line that says what went wrong: a traceback's last line, else the first."""
    lines = [line for line in (error or "").strip().splitlines() if line.strip()]
    if not lines:
        return ""
    return lines[-1].strip() if any(line.startswith("Traceback") for line in lines) else lines[0]


def cmd_report(args: argparse.Namespace) -> int:
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
    stop = StopRequest()
    with handling(stop):
        original, options = reproduce.reproduce_options(
            Path(args.archive), Path(args.output) if args.output else None, Path(args.work_dir),
            args.workloads_path)
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
    if len(args.archives) < 2:
        raise UsageError("diff needs at least two archives: A (the baseline) and B")
    try:
        gate = diff.threshold_of(args.fail_on_slowdown) if args.fail_on_slowdown is not None else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    archives = [archive.read(Path(p)) for p in args.archives]
    if args.metric == "instructions":
        return diff_instructions(archives, diff.THRESHOLD if gate is None else gate, gate is not None,
                                 args.markdown)
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
    spared = [comparison.gate_message(c) for comparison in comparisons
              for c in comparison.disturbed_slowdowns()] \
        if gate is not None else []
    warnings = [comparison.unjudged_warning() for comparison in comparisons] if gate is not None else []
    for message in [*slower, *spared, *filter(None, warnings)]:
        print(message, file=sys.stderr)
    return EXIT_FAILED if slower else EXIT_OK


def diff_instructions(archives: list[archive.Archive], threshold: float, gate: bool, markdown: bool) -> int:
    """diff --metric instructions: one table per B; exit 1 when a gate is set and a cell's count grew past
    it."""
    comparisons = [count_diff.compare_counts(archives[0], other, threshold) for other in archives[1:]]
    for comparison in comparisons:
        print(count_diff.table(comparison, markdown))
    slower = [comparison.gate_message(c) for comparison in comparisons for c in comparison.slowdowns()]
    for message in slower if gate else []:
        print(message, file=sys.stderr)
    return EXIT_FAILED if gate and slower else EXIT_OK


def cmd_profile(args: argparse.Namespace) -> int:
    set_workloads_path(args.workloads_path)
    workload = load_workload(args.workload)
    args.quick = False
    sizes = parameter_sets_of(args, workload)
    if len(sizes) != 1:
        raise UsageError("profile takes one parameter set (one value per --param, one --sizes)")
    into = Path(args.into) if args.into else None  # profile.run refuses one that does not verify
    options = profile.ProfileOptions(
        workload=workload, size=sizes[0], interpreters=interpreters_of(args),
        results_dir=into.parent if into else Path(args.output), work_dir=Path(args.work_dir), into=into,
        command_line=command_line("profile"),
    )
    path, code = profile.run(options, render_archive)
    print(f"profiles: {path / 'profiles'}\nreport:   {path / archive.REPORT}")
    return code


def cmd_interpreters(provision_args: list[str]) -> int:
    """Provisioning has its own options and exit codes (0 ok, 1 a build failed, 2 usage):
    shootout/run/provision.py. Handed over before argparse, which cannot pass options such as --list
    through a subcommand untouched."""
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
