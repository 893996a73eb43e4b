"""The compare pipeline: interpreters → envs → references → builds → interleaved runs → archive → report."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import archive, environments, metadata, pyperf_export, stats
from .build import BuildResult, build_variant
from .interpreters import Interpreter
from .logged import run_logged
from .matrix import Cell, Method, plan
from .runner import Interrupted, Job, run_all, run_job, schedule, synthetic_record
from .workloads import HARNESS, ROOT, variants


@dataclass
class CompareOptions:
    workload: str
    variant_names: list[str]
    interpreters: list[Interpreter]
    threads: list[int]
    sizes: list[tuple[int, int]]
    method: Method
    results_dir: Path
    work_dir: Path
    timeout: float
    build_timeout: float
    seed: int
    command_line: list[str]
    include_test_only: bool = False
    recreate_envs: bool = False
    run_id: str | None = None
    resume: Path | None = None
    progress: bool = True
    extra_metadata: dict = field(default_factory=dict)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _raise_interrupted(signum, frame):
    raise Interrupted()


def new_run_id() -> str:
    now = dt.datetime.now(dt.timezone.utc)
    return archive.safe_run_id(f"{now:%Y%m%d-%H%M%S}-{socket.gethostname()}")


def ensure_reference(workload: str, width: int, max_iterations: int, references_dir: Path, log: Path) -> Path:
    """Pure-Python output of this size on the orchestrator's CPython, computed once and cached."""
    references_dir.mkdir(parents=True, exist_ok=True)
    path = references_dir / f"{workload}-{width}x{max_iterations}.json"
    if path.exists():
        return path
    say(f"computing the pure-Python reference for {workload} {width}x{max_iterations} (cached afterwards)")
    cmd = [
        sys.executable, str(HARNESS), "--workload", workload, "--make-reference", "--width", str(width),
        "--max-iterations", str(max_iterations), "--out", str(path),
    ]
    returncode = run_logged(cmd, log, mode="a", cwd=ROOT)
    if returncode != 0 or not path.exists():
        raise RuntimeError(f"reference computation failed (exit {returncode}); see {log}")
    return path


def run(options: CompareOptions) -> tuple[Path, int, bool]:
    """Returns (archive path, exit code, interrupted): exit 0 when all verified, 1 when some cells failed."""
    started_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    wall_start = time.perf_counter()
    run_id = options.run_id or new_run_id()
    options.results_dir.mkdir(parents=True, exist_ok=True)
    staging = options.results_dir / f".{run_id}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    logs_dir = staging / "logs"
    records_dir = staging / "records"
    for d in (logs_dir, records_dir, staging / "locks", staging / "references"):
        d.mkdir(parents=True, exist_ok=True)

    table = variants(options.workload, include_test_only=options.include_test_only)
    selected = {name: table[name] for name in options.variant_names}
    planned = plan(options.workload, selected, options.interpreters, options.threads, options.sizes)
    previous = _previous_records(options.resume, options.method.processes) if options.resume else {}
    if options.resume:  # keep the earlier sitting's logs and builds.json entries
        for sub in ("logs", "locks"):
            if (options.resume / sub).is_dir():
                shutil.copytree(options.resume / sub, staging / sub, dirs_exist_ok=True)
    # A resumed archive's finished cells are kept as they are: no rebuild, no rerun
    for p in planned:
        if p.cell.key in previous:
            p.status = "resumed"

    # Per-run build tree: two runs sharing a work dir (a test and a compare) never overwrite each other's builds.
    builds_dir = options.work_dir / "builds" / run_id
    shutil.rmtree(builds_dir, ignore_errors=True)
    envs: dict[str, environments.TargetEnv] = {}
    env_failures: dict[str, str] = {}
    references: dict[tuple[int, int], Path] = {}
    builds: dict[tuple[str, str], BuildResult] = {}
    setup_interrupted = False
    previous_term = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        # Environments
        for interp in options.interpreters:
            if not interp.available:
                say(f"skipping {interp.name}: {interp.reason} (install: {interp.install_hint})")
                continue
            if not any(p.cell.interpreter == interp.name and p.status == "pending" for p in planned):
                continue
            say(f"environment {interp.name}: {interp.executable}")
            log = logs_dir / f"env-{interp.name}.log"
            try:
                envs[interp.name] = environments.ensure(
                    interp, options.work_dir / "envs", log, recreate=options.recreate_envs
                )
            except environments.EnvironmentError_ as exc:
                env_failures[interp.name] = str(exc).replace(str(logs_dir), "logs")
                say(f"environment {interp.name} failed: {exc}")

        # References (one per size)
        for width, max_iterations in options.sizes:
            ref = ensure_reference(
                options.workload, width, max_iterations, options.work_dir / "references", logs_dir / "references.log"
            )
            references[(width, max_iterations)] = ref
            shutil.copy(ref, staging / "references" / ref.name)
            output_file = json.loads(ref.read_text()).get("output_file")
            if output_file:  # the verified output itself: the report draws the Julia set from it
                shutil.copy(ref.parent / output_file, staging / "references" / output_file)

        # Builds: each (env, variant) once, whatever the sizes and thread counts
        for p in planned:
            if p.status != "pending":
                continue
            key = (p.cell.interpreter, p.cell.variant)
            if p.cell.interpreter in env_failures:
                p.status, p.reason = "build_failed", f"environment: {env_failures[p.cell.interpreter]}"
                continue
            if key not in builds:
                say(f"build {p.cell.variant} in {p.cell.interpreter}")
                builds[key] = build_variant(
                    envs[p.cell.interpreter], options.workload, p.cell.variant, builds_dir,
                    logs_dir, options.build_timeout,
                )
                result = builds[key]
                if not result.usable:
                    say(f"  {result.status}: {(result.error or '').splitlines()[0] if result.error else ''}")
            result = builds[key]
            if result.status == "unsupported":
                p.status, p.reason = "unsupported", result.error
            elif not result.usable:
                p.status, p.reason = "build_failed", result.error or "build failed"

    except (KeyboardInterrupt, Interrupted):
        setup_interrupted = True
        say("interrupted during set-up; archiving what there is")
    finally:
        signal.signal(signal.SIGTERM, previous_term)

    jobs = [] if setup_interrupted else schedule(planned, options.method, options.seed)

    def runner(job: Job) -> dict:
        cell = job.planned.cell
        record = run_job(
            job, envs[cell.interpreter], builds[(cell.interpreter, cell.variant)],
            references[(cell.width, cell.max_iterations)], records_dir, run_id, options.timeout,
        )
        env = envs[cell.interpreter]
        record["environment"] = {"name": env.name, "seconds": env.created_seconds, "reused": env.reused}
        return record

    say(f"running {len(jobs)} worker processes ({options.method.name} method, seed {options.seed})")
    records, interrupted = run_all(jobs, runner)
    interrupted = interrupted or setup_interrupted
    for p in planned:
        if p.status in ("unsupported", "skipped", "build_failed"):
            build = builds.get((p.cell.interpreter, p.cell.variant))
            records.append(
                synthetic_record(
                    p, run_id, p.status, p.reason,
                    build=build.record_field() if build else None,
                    build_log=build.log_file if build else None,
                )
            )
    for key, old in previous.items():
        records.extend(old)
    records.sort(key=lambda r: _record_name(r))

    processes_done: dict[str, int] = {}
    for r in records:
        processes_done[_cell_key(r)] = processes_done.get(_cell_key(r), 0) + 1
    missing = sorted(
        p.cell.key for p in planned
        if p.status in ("pending", "resumed") and processes_done.get(p.cell.key, 0) < options.method.processes
    )
    complete = not interrupted and not missing

    # Archive
    for stale in records_dir.glob("*.json"):
        stale.unlink()
    files: dict[str, bytes] = {}
    for record in records:
        files[f"records/{_record_name(record)}.json"] = archive.dumps(record)
    for env in envs.values():
        files[f"locks/{env.name}.txt"] = env.lock.encode()
    files["locks/orchestrator.txt"] = environments.orchestrator_lock().encode()
    build_entries = {_build_key(b.to_json()): b.to_json() for b in builds.values()}
    if options.resume:
        for old_build in json.loads((options.resume / "builds.json").read_text()):
            build_entries.setdefault(_build_key(old_build), old_build)
    files["builds.json"] = archive.dumps([build_entries[k] for k in sorted(build_entries)])
    calls = stats.tidy(records)
    files["timings.csv.gz"] = archive.gzip_bytes(calls.to_csv(index=False).encode())
    files["processes.csv"] = stats.record_rows(records).to_csv(index=False).encode()
    for name, data in pyperf_export.export(records).items():
        files[f"pyperf/{name}.json"] = data
    finished_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    git = metadata.git_info()
    files["metadata.json"] = archive.dumps(
        {
            "run_id": run_id,
            "workload": options.workload,
            "variants": options.variant_names,
            "sizes": [list(s) for s in options.sizes],
            "threads": options.threads,
            "method": options.method.to_json(),
            "seed": options.seed,
            "timeout_seconds": options.timeout,
            "machine": metadata.machine(),
            "interpreters": [i.to_json() for i in options.interpreters],
            "environments": {name: env.to_json() for name, env in envs.items()},
            "environment_failures": env_failures,
            "planned_cells": [
                {**p.cell.to_json(), "status": p.status, "reason": p.reason} for p in planned
            ],
            "git": git,
            "command_line": options.command_line,
            "started_at": started_at,
            "finished_at": finished_at,
            "wall_seconds": round(time.perf_counter() - wall_start, 1),
            **options.extra_metadata,
        }
    )
    archive.write_tree(staging, files)
    from report.render import render_archive  # the report is drawn from the archive files alone

    final = archive.publish(
        staging,
        options.results_dir / run_id,
        {
            "run_id": run_id,
            "status": "complete" if complete else "incomplete",
            "missing_cells": missing,
            "command_line": options.command_line,
            "git": git,
            "started_at": started_at,
            "finished_at": finished_at,
        },
        render_archive,
    )
    shutil.rmtree(builds_dir, ignore_errors=True)  # the archive keeps each extension's sha256, flags and log
    failed = [r for r in records if r["status"] != "ok" and r["status"] not in ("unsupported", "skipped")]
    return final, (1 if failed or not complete else 0), interrupted


def _cell_key(record: dict) -> str:
    return Cell.of_record(record).key


def _record_name(record: dict) -> str:
    return f"{_cell_key(record)}-p{record.get('process_index', 0):02d}"


def _build_key(build: dict) -> tuple:
    return (build["env"], build["workload"], build["variant"])


def _previous_records(path: Path, processes: int) -> dict[str, list[dict]]:
    """Records of an earlier (interrupted) archive, by cell, for --resume.

    A cell counts as done when all its worker processes finished; a half-run cell is run again whole, so a
    cell's processes always come from one sitting.
    """
    old = archive.read(path)
    by_cell: dict[str, list[dict]] = {}
    for record in old.records:
        by_cell.setdefault(_cell_key(record), []).append(record)
    return {
        key: records
        for key, records in by_cell.items()
        if len({r.get("process_index") for r in records}) >= processes
        or any(r.get("status") in ("unsupported", "skipped") for r in records)
    }
