"""The compare pipeline as named steps over one run state (nox's workflow shape):

    plan → resume → environments → references → builds → workers → counts → archive

Each step reads and extends the RunState; between steps (and between the items of a step) the run checks the
stop request, so a Ctrl-C or SIGTERM ends the set-up or the runs at the next boundary and what finished is
archived with status "incomplete" (`--resume` runs the rest).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..results import archive, pyperf_export, summaries, warmup
from ..results.records import NOT_RUN, Environment, PlainRecord, Record, Status
from ..results.runspec import Manifest
from . import catalog, counting, environments, instruments, metadata
from .builds import BuildRequest, BuildResult, build_variant
from .catalog import HARNESS, ROOT
from .console import say
from .interpreters import TargetInterpreter
from .interrupts import StopRequest
from .locking import exclusive
from .logged import run_logged
from .matrix import Cell, Method, ParamSet, PlannedCell, plan
from .runner import Job, PlainJob, run_job, run_plain_job, synthetic_record
from .sampling import PlainTarget, Sampler

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130


@dataclass
class WorkloadSelection:
    """One workload of a run: its contract, the variants and the parameter sets to run."""

    workload: object  # workloads.contract.Workload
    variant_names: list[str]
    sizes: list[ParamSet]


@dataclass
class CompareOptions:
    selections: list[WorkloadSelection]
    interpreters: list[TargetInterpreter]
    threads: list[int]
    method: Method
    results_dir: Path
    work_dir: Path
    timeout: float
    build_timeout: float
    seed: int
    command_line: list[str]
    recreate_envs: bool = False
    build_cache: bool = True
    locks: dict[str, str] = field(default_factory=dict)  # interpreter name -> exact pins (reproduce)
    # speedups over the baseline variant there (None: first GIL CPython)
    baseline_interpreter: str | None = None
    run_id: str | None = None  # --resume: the interrupted run's id (a new run reserves its own)
    resume: Path | None = None
    extra_metadata: dict = field(default_factory=dict)
    instruments: tuple[str, ...] = ()  # beside the wall clock: "instructions" (counting.py)
    count_at: str = "quick"  # the counting size: each workload's quick parameters, or the run's own ("run")


@dataclass
class RunState:
    """Everything a compare run has found out so far; each step adds its part."""

    options: CompareOptions
    stop: StopRequest
    run_id: str
    run_dir: Path  # work_dir/runs/<run-id>: the staged archive and the builds, removed once published
    started_at: str
    wall_start: float
    planned: list[PlannedCell] = field(default_factory=list)
    previous: dict[str, list[Record]] = field(default_factory=dict)
    envs: dict[str, environments.TargetEnv] = field(default_factory=dict)
    env_failures: dict[str, str] = field(default_factory=dict)
    references: dict[tuple[str, ParamSet], Path] = field(default_factory=dict)  # (workload, size)
    # (interpreter, workload, variant)
    builds: dict[tuple[str, str, str], BuildResult] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)
    plain_records: list[PlainRecord] = field(default_factory=list)  # plain-program processes (overhead check)
    sampling: dict[str, str] = field(default_factory=dict)  # cell key -> why it stopped getting processes
    count_records: list[Record] = field(default_factory=list)  # counting processes (counts/, never records/)
    counting: dict | None = None  # metadata.json "instructions": the counter, sizes and calls, or why none

    def contract(self, workload: str):
        return next(sel.workload for sel in self.options.selections if sel.workload.name == workload)

    @property
    def staging(self) -> Path:
        return self.run_dir / "archive"

    @property
    def logs_dir(self) -> Path:
        return self.staging / "logs"

    @property
    def records_dir(self) -> Path:
        return self.staging / "records"

    @property
    def counts_dir(self) -> Path:
        return self.run_dir / "counts"

    @property
    def builds_dir(self) -> Path:
        return self.run_dir / "builds"


@dataclass
class Outcome:
    path: Path
    exit_code: int
    interrupted: bool


def new_run_id() -> str:
    now = dt.datetime.now(dt.timezone.utc)
    return archive.safe_run_id(f"{now:%Y%m%d-%H%M%S}-{socket.gethostname()}")


def start(options: CompareOptions, stop: StopRequest) -> RunState:
    """Reserve a run id nobody else has and the staging tree for it."""
    runs_dir = options.work_dir / "runs"
    if options.resume:
        run_id, run_dir = options.run_id, runs_dir / f"{options.run_id}-resume-{os.getpid()}"
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(parents=True)
    else:
        run_id, run_dir = archive.reserve(runs_dir, options.results_dir, new_run_id())
    state = RunState(options, stop, run_id, run_dir,
                     dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), time.perf_counter())
    for d in (state.logs_dir, state.records_dir, state.staging / "locks", state.staging / "references"):
        d.mkdir(parents=True, exist_ok=True)
    return state


# ---------------------------------------------------------------- the steps


def plan_cells(state: RunState) -> None:
    o = state.options
    state.planned = [cell for sel in o.selections
                     for cell in plan(sel.workload, sel.variant_names, o.interpreters, o.threads, sel.sizes)]


def resume_previous(state: RunState) -> None:
    """A resumed archive's finished cells are kept as they are: no rebuild, no rerun; its logs are kept."""
    if not state.options.resume:
        return
    state.previous, state.sampling, state.plain_records = _previous_records(state.options.resume)
    for sub in ("logs", "locks"):
        if (state.options.resume / sub).is_dir():
            shutil.copytree(state.options.resume / sub, state.staging / sub, dirs_exist_ok=True)
    for p in state.planned:
        if p.cell.key in state.previous:
            p.status = "resumed"


def create_environments(state: RunState) -> None:
    for interp in state.options.interpreters:
        if state.stop.requested:
            return
        if not interp.available:
            say(f"skipping {interp.name}: {interp.reason} (install: {interp.install_hint})")
            continue
        if not any(p.cell.interpreter == interp.name and p.status == "pending" for p in state.planned):
            continue
        say(f"environment {interp.name}: {interp.executable}")
        lock = state.options.locks.get(interp.name)
        envs_dir, pinned = (environments.pinned_requirements(state.options.work_dir, lock) if lock
                            else (state.options.work_dir / "envs", None))
        try:
            state.envs[interp.name] = environments.ensure(
                interp, envs_dir, state.logs_dir / f"env-{interp.name}.log",
                recreate=state.options.recreate_envs, stop=state.stop, requirements=pinned,
            )
        except environments.EnvironmentError_ as exc:
            if state.stop.requested:
                return
            state.env_failures[interp.name] = str(exc).replace(str(state.logs_dir), "logs")
            say(f"environment {interp.name} failed: {exc}")


class ReferenceFailed(Exception):
    """The reference output for a parameter set could not be computed: its cells cannot be verified."""


def reference_name(workload, size: ParamSet) -> str:
    """<workload>-<label>-<hash>: the hash covers the parameters, spec.py (inputs, verification) and the
    reference variant's sources, so editing any of them computes a new reference instead of judging against a
    stale one."""
    reference = workload.variant(workload.roles.reference)
    basis = {"params": size.params, "spec": catalog.spec_hash(workload),
             "sources": catalog.source_hashes(workload, reference)}
    digest = hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:12]
    return archive.safe_run_id(f"{workload.name}-{size.label}-{digest}")


def ensure_reference(
    workload, size: ParamSet, references_dir: Path, log: Path, stop: StopRequest
) -> Path | None:
    """The reference variant's output for this parameter set on the orchestrator's CPython, computed once and
    cached (under a lock, so concurrent runs compute it once); None when a stop interrupted it."""
    path = references_dir / f"{reference_name(workload, size)}.json"
    with exclusive(references_dir / f".{path.stem}.lock", f"reference {path.stem}"):
        if path.exists():
            return path
        say(f"computing the reference output for {workload.name} {size.label} (cached afterwards)")
        cmd = [
            sys.executable, str(HARNESS), "--workload", workload.name, "--make-reference",
            "--params", json.dumps(size.params, sort_keys=True), "--out", str(path),
        ]
        returncode = run_logged(cmd, log, mode="a", cwd=ROOT, stop=stop)
    if stop.requested:
        return None
    if returncode != 0 or not path.exists():
        raise ReferenceFailed(f"the reference variant failed on the orchestrator's CPython "
                              f"(exit {returncode}); see logs/{log.name}")
    return path


def prepare_references(state: RunState) -> None:
    """One reference per parameter set, copied into the archive (figures are drawn from its output)."""
    for workload, size in [(sel.workload, size) for sel in state.options.selections for size in sel.sizes]:
        name = workload.name
        try:
            if add_reference(state, workload, size) is None:
                return
        except ReferenceFailed as exc:
            say(f"reference for {name} {size.label} failed: {exc}")
            for p in state.planned:
                if (p.cell.workload, p.cell.size) == (name, size) and p.status == "pending":
                    p.status, p.reason = "crashed", str(exc)


def add_reference(state: RunState, workload, size: ParamSet) -> Path | None:
    """The reference of one parameter set (ensure_reference), kept in the run state and the archive."""
    if (workload.name, size) in state.references:
        return state.references[(workload.name, size)]
    ref = ensure_reference(workload, size, state.options.work_dir / "references",
                           state.logs_dir / "references.log", state.stop)
    if ref is None:
        return None
    state.references[(workload.name, size)] = ref
    shutil.copy(ref, state.staging / "references" / ref.name)
    output_file = json.loads(ref.read_text()).get("output_file")
    if output_file:
        shutil.copy(ref.parent / output_file, state.staging / "references" / output_file)
    return ref


def build_variants(state: RunState) -> None:
    """Each (env, variant) once, whatever the sizes and thread counts; cells whose build failed say why."""
    for p in state.planned:
        if p.status != "pending" or state.stop.requested:
            continue
        key = (p.cell.interpreter, p.cell.workload, p.cell.variant)
        if p.cell.interpreter in state.env_failures:
            p.status, p.reason = "build_failed", f"environment: {state.env_failures[p.cell.interpreter]}"
            continue
        if key not in state.builds:
            say(f"build {p.cell.variant} in {p.cell.interpreter}")
            result = build_variant(BuildRequest(
                state.envs[p.cell.interpreter], state.contract(p.cell.workload), p.cell.variant,
                state.builds_dir, state.logs_dir, state.options.build_timeout,
                state.options.work_dir / "build-cache" if state.options.build_cache else None,
            ), stop=state.stop)
            if state.stop.requested:
                return  # an interrupted build is not a failed one: the cell stays missing
            state.builds[key] = result
            if not result.usable:
                say(f"  {result.status}: {(result.error or '').splitlines()[0] if result.error else ''}")
        result = state.builds[key]
        if result.status == "unsupported":
            p.status, p.reason = "unsupported", result.error
        elif not result.usable:
            p.status, p.reason = "build_failed", result.error or "build failed"


def baseline_weights(state: RunState) -> dict[str, int]:
    """Cell key -> how many speedups divide by it: the baseline cell of each workload and size, on the column
    summaries.baseline_cells will take if that cell verifies (summaries.baseline_columns: one rule for
    both)."""
    o = state.options
    ranked = summaries.baseline_columns(((i.name, i.implementation, i.free_threaded) for i in o.interpreters),
                                    o.baseline_interpreter)
    column = ranked[0] if ranked else None
    pending = [p.cell for p in state.planned if p.status == "pending"]
    weights = {}
    for c in pending:
        if (c.variant, c.threads, c.interpreter) == (state.contract(c.workload).roles.baseline, 1, column):
            weights[c.key] = sum(
                1 for other in pending if (other.workload, other.size) == (c.workload, c.size)) - 1
    return weights


def run_workers(state: RunState) -> None:
    """Every worker process of every runnable cell, interleaved in the seed's random order."""
    o = state.options
    def run_one(job: Job) -> Record | None:
        cell = job.planned.cell
        env = state.envs[cell.interpreter]
        record = run_job(
            job, env, state.builds[(cell.interpreter, cell.workload, cell.variant)],
            state.references[(cell.workload, cell.size)], state.records_dir, state.run_id, o.timeout,
            stop=state.stop,
        )
        if record is not None:
            record.environment = Environment(name=env.name, seconds=env.created_seconds, reused=env.reused)
        return record

    def run_plain(target: PlainTarget, index: int, round_index: int, padding: int) -> PlainRecord | None:
        cell = target.beside.cell
        contract = state.contract(cell.workload)
        reference = json.loads(state.references[(cell.workload, cell.size)].read_text())
        rule = warmup.rule_for(target.beside.implementation, target.beside.technology)
        index += sum(1 for r in state.plain_records if r.beside == cell.key)  # a resumed archive's come first
        job = PlainJob(target.beside, catalog.folder(cell.workload) / contract.plain_program, index,
                       o.method.calls_for(rule).least, round_index, reference["checksum"], padding)
        return run_plain_job(job, state.envs[cell.interpreter], o.timeout, stop=state.stop)

    sampler = Sampler(state.planned, o.method, o.seed, run_one, state.stop, baselines=baseline_weights(state),
                      plain=plain_targets(state), run_plain=run_plain)
    say(f"running {len(sampler.cells)} cells ({o.method.name} method: {describe(o.method)}; seed {o.seed})")
    state.records = sampler.run()
    state.plain_records += sampler.plain_records
    state.sampling.update(sampler.stop_reasons())


def plain_targets(state: RunState) -> list[PlainTarget]:
    """The harness-overhead check: beside each pending baseline-variant cell at 1 thread whose workload has a
    plain program, on every interpreter column."""
    if not state.options.method.plain_check:
        return []
    return [PlainTarget(p) for p in state.planned
            if p.status == "pending" and p.cell.threads == 1 and state.contract(p.cell.workload).plain_program
            and p.cell.variant == state.contract(p.cell.workload).roles.baseline]


def count_instructions(state: RunState) -> None:
    """`--instruments instructions`: every runnable cell counted under Callgrind at its workload's quick size
    (instruments.py), after every timed process; no valgrind: one line, and the timed run stands."""
    o = state.options
    if counting.INSTRUMENT not in o.instruments:
        return
    try:
        counter = counting.find_counter(o.work_dir)
    except counting.CountingUnavailable as exc:
        say(str(exc))
        state.counting = {"unavailable": str(exc)}
        return
    sizes: dict[str, list[ParamSet]] = {}
    for sel in o.selections:
        quick = ParamSet.of(sel.workload, sel.workload.defaults(quick=True))
        wanted = sel.sizes if o.count_at == "run" else [quick]
        try:
            if any(add_reference(state, sel.workload, size) is None for size in wanted):
                return
        except ReferenceFailed as exc:
            say(f"not counting {sel.workload.name}: {exc}")
            continue
        sizes[sel.workload.name] = wanted
    targets = instruments.count_targets(state.planned, sizes, {sel.workload.name: sel.workload.roles.baseline
                                                               for sel in o.selections})
    labels = {w: [s.label for s in sized] for w, sized in sizes.items()}
    at = "; ".join(f"{w} {', '.join(sized)}" for w, sized in labels.items())
    say(f"counting instructions of {len(targets)} cells under {counter.version} (at {at})")
    state.counts_dir.mkdir(parents=True, exist_ok=True)

    def run_one(job: Job) -> Record | None:
        cell = job.planned.cell
        return run_job(job, state.envs[cell.interpreter],
                       state.builds[(cell.interpreter, cell.workload, cell.variant)],
                       state.references[(cell.workload, cell.size)], state.counts_dir, state.run_id,
                       o.timeout, stop=state.stop)

    state.count_records = instruments.count_all(targets, counter, run_one, lambda: state.stop.requested, say,
                                                parallel=len(os.sched_getaffinity(0)))
    state.counting = {**counter.to_json(), "sizes": labels,
                      "uncounted_calls": {"aot": instruments.AOT_UNCOUNTED, "jit": instruments.JIT_UNCOUNTED},
                      "counted_calls": instruments.COUNTED_CALLS}


STEPS: list[Callable[[RunState], None]] = [
    plan_cells, resume_previous, create_environments, prepare_references, build_variants, run_workers,
    count_instructions,
]


# ---------------------------------------------------------------- the archive


def collect_records(state: RunState) -> list[Record]:
    """Worker records + one record per cell that could not run + the resumed archive's finished cells."""
    collected = list(state.records)
    for p in state.planned:
        if p.status in ("unsupported", "skipped", "build_failed", "crashed"):
            build = state.builds.get((p.cell.interpreter, p.cell.workload, p.cell.variant))
            collected.append(
                synthetic_record(
                    p, state.run_id, p.status, p.reason,
                    build=build.record_field() if build else None,
                    build_log=build.log_file if build else None,
                )
            )
    for old in state.previous.values():
        collected.extend(old)
    return sorted(collected, key=_record_name)


def missing_cells(state: RunState) -> list[str]:
    """Cells that should have run but did not finish sampling (a signal stopped the run first)."""
    return sorted(p.cell.key for p in state.planned
                  if p.status == "pending" and p.cell.key not in state.sampling)


def describe(method: Method) -> str:
    if method.precision is None:
        return f"{method.processes} processes per cell"
    budget = (f", no extra process past {method.run_seconds / 60:g} min"
              if method.run_seconds is not None else "")
    return (f"{method.processes} processes per cell, then more until each speedup's CI is within "
            f"±{method.precision:.1%} or the cell's own median's within ±{method.precision / 2:.1%} "
            f"(at most {method.max_processes} and {method.cell_seconds:g} s per cell, √k times both for a "
            f"baseline k speedups divide by{budget})")


def _build_entries(state: RunState) -> list[dict]:
    entries = {_build_key(b.to_json()): b.to_json() for b in state.builds.values()}
    if state.options.resume:
        for old_build in json.loads((state.options.resume / "builds.json").read_text()):
            entries.setdefault(_build_key(old_build), old_build)
    return [entries[k] for k in sorted(entries)]


def run_metadata(state: RunState, finished_at: str, git: dict) -> dict:
    o = state.options
    return {
        "run_id": state.run_id,
        "workloads": [sel.workload.name for sel in o.selections],
        "workloads_path": os.environ.get(catalog.WORKLOADS_PATH_ENV) or None,
        "baseline_interpreter": o.baseline_interpreter,
        "contracts": {sel.workload.name: catalog.snapshot(sel.workload, sel.variant_names)
                      for sel in o.selections},
        "variants": {sel.workload.name: sel.variant_names for sel in o.selections},
        "sizes": {sel.workload.name: [{"label": s.label, "params": s.params} for s in sel.sizes]
                  for sel in o.selections},
        "threads": o.threads,
        "method": o.method.to_json(),
        "seed": o.seed,
        "timeout_seconds": o.timeout,
        "machine": metadata.machine(),
        "interpreters": [i.to_json() for i in o.interpreters],
        "environments": {name: env.to_json() for name, env in state.envs.items()},
        "environment_failures": state.env_failures,
        "planned_cells": [{**p.cell.to_json(), "status": p.status, "reason": p.reason,
                           "sampling": state.sampling.get(p.cell.key)} for p in state.planned],
        "git": git,
        "command_line": o.command_line,
        "started_at": state.started_at,
        "finished_at": finished_at,
        "wall_seconds": round(time.perf_counter() - state.wall_start, 1),
        **({"instructions": state.counting} if state.counting is not None else {}),
        **o.extra_metadata,
    }


def archive_files(state: RunState, collected: list[Record], finished_at: str, git: dict) -> dict[str, bytes]:
    """Every file of the archive but the manifest and the report, as bytes."""
    files = archive.record_files(collected, _record_name)
    files.update({f"plain/{r.beside}-p{r.process_index:02d}.json": archive.dumps(r.to_json())
                  for r in state.plain_records})
    if state.count_records:
        files.update(archive.count_files(state.count_records, _record_name))
    for env in state.envs.values():
        files[f"locks/{env.name}.txt"] = env.lock.encode()
    files["locks/orchestrator.txt"] = environments.orchestrator_lock().encode()
    files["builds.json"] = archive.dumps(_build_entries(state))
    for name, data in pyperf_export.export(collected).items():
        files[f"pyperf/{name}.json"] = data
    files["metadata.json"] = archive.dumps(run_metadata(state, finished_at, git))
    return files


def write_archive(state: RunState, render: Callable[[Path], bytes]) -> Outcome:
    """Stage every file, then publish; signals now only warn (a second one abandons, publishing nothing)."""
    collected = collect_records(state)
    missing = missing_cells(state)
    complete = not state.stop.requested and not missing
    finished_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    git = metadata.git_info()
    with state.stop.archiving_phase(state.run_dir):
        say(f"archiving {len(collected)} records")
        for stale in state.records_dir.glob("*.json"):
            stale.unlink()
        archive.write_tree(state.staging, archive_files(state, collected, finished_at, git))
        status = "complete" if complete else "incomplete"
        manifest = Manifest(state.run_id, status, state.options.command_line, git, missing, state.started_at,
                            finished_at)
        final = archive.publish(state.staging, state.options.results_dir / state.run_id, manifest.to_json(),
                                render)
    failed = [r for r in [*collected, *state.count_records]
              if r.status != Status.OK and r.status not in NOT_RUN]
    code = EXIT_INTERRUPTED if state.stop.requested else EXIT_FAILED if failed or not complete else EXIT_OK
    return Outcome(final, code, state.stop.requested)


def run(options: CompareOptions, stop: StopRequest, render: Callable[[Path], bytes]) -> Outcome:
    """Run the steps, then archive whatever they produced; raises archive.ArchiveWriteError when the results
    directory cannot take the archive (it is then left complete in the work dir)."""
    state = start(options, stop)
    try:
        for step in STEPS:
            if stop.requested:
                say(f"interrupted before {step.__name__.replace('_', ' ')}; archiving what there is")
                break
            step(state)
        outcome = write_archive(state, render)
    finally:
        for env in state.envs.values():
            env.release()
        # the archive keeps each build's sha256, flags, log
        shutil.rmtree(state.builds_dir, ignore_errors=True)
    shutil.rmtree(state.run_dir, ignore_errors=True)  # published: the staged copy is no longer needed
    return outcome


# ---------------------------------------------------------------- helpers


def _cell_key(record: Record) -> str:
    return Cell.of_record(record).key


def _record_name(record: Record) -> str:
    return f"{_cell_key(record)}-p{record.process_index:02d}"


def _build_key(build: dict) -> tuple:
    return (build["env"], build["workload"], build["variant"])


def _previous_records(path: Path) -> tuple[dict[str, list[Record]], dict[str, str], list[PlainRecord]]:
    """Records of an earlier (interrupted) archive, by cell, for --resume, their sampling stop reasons, and
    its plain-program records (kept: the overhead check compares them with the kept cells).

    A cell counts as done when its sampling finished (it has a stop reason) or it could not run at all; a
    half-sampled cell is run again whole, so a cell's processes always come from one sitting.
    """
    old = archive.read(path)
    reasons: dict[str, str] = {}
    for planned in old.metadata.get("planned_cells") or []:
        if isinstance(planned, dict) and planned.get("sampling"):
            key = Cell(planned["workload"], planned["variant"], planned["interpreter"], planned["threads"],
                       ParamSet(planned["size"], tuple(sorted(planned["params"].items())))).key
            reasons[key] = planned["sampling"]
    by_cell: dict[str, list[Record]] = {}
    for record in old.records:
        by_cell.setdefault(_cell_key(record), []).append(record)
    done = {key: records for key, records in by_cell.items()
            if key in reasons or any(r.status in NOT_RUN for r in records)}
    return done, {key: reasons[key] for key in done if key in reasons}, old.plain
