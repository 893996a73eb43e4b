"""Run cells in fresh worker processes, interleaved in random order, each with a timeout; one JSON record each.

A worker that dies, hangs, or writes no record or a malformed one still yields a record (crashed/timeout with
the reason): nothing is dropped. A worker killed because the user stopped the run yields none (it is re-run by
--resume). Single-threaded workers are pinned to one CPU; the orchestrator prints progress, workers print nothing.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import records
from .build import BuildResult
from .environments import TargetEnv
from .interrupts import NO_STOP, StopRequest, kill_group
from .matrix import Cell, Method, PlannedCell
from .records import Status
from .workloads import HARNESS, ROOT


@dataclass
class Job:
    planned: PlannedCell
    process_index: int
    calls: int
    min_calls: int | None = None  # JIT cells: calls always made before the time budget applies
    max_seconds: float | None = None


def synthetic_record(
    planned: PlannedCell, run_id: str, status: Status | str, error: str | None, process_index: int = 0, **extra
) -> dict:
    """A record for a cell/process that produced none of its own (unsupported, build_failed, crashed...)."""
    cell = planned.cell
    return records.synthetic(
        run_id=run_id, workload=cell.workload, variant=cell.variant, technology=planned.technology,
        interpreter=cell.interpreter, implementation=planned.implementation,
        params={"width": cell.width, "max_iterations": cell.max_iterations}, threads=cell.threads,
        status=Status(status), error=error, process_index=process_index, **extra,
    )


def schedule(planned: list[PlannedCell], method: Method, seed: int) -> list[Job]:
    """All worker processes of all runnable cells, shuffled so drift and heat spread over every cell."""
    jobs = []
    for p in planned:
        if p.status != "pending":
            continue
        jit = method.is_jit(p.implementation or "", p.technology)
        for index in range(method.processes):
            jobs.append(
                Job(
                    p, index, method.calls_for(p.implementation or "", p.technology),
                    min_calls=method.warmups + method.calls if jit else None,
                    max_seconds=method.jit_seconds if jit else None,
                )
            )
    random.Random(seed).shuffle(jobs)
    return jobs


def _pinned_cpu() -> int | None:
    try:
        return max(os.sched_getaffinity(0))
    except (AttributeError, ValueError):
        return None


def _worker_command(job: Job, env: TargetEnv, build: BuildResult, reference: Path, out: Path, run_id: str) -> list:
    cell: Cell = job.planned.cell
    cmd = [
        str(env.python), str(HARNESS), "--workload", cell.workload, "--variant", cell.variant,
        "--width", str(cell.width), "--max-iterations", str(cell.max_iterations),
        "--threads", str(cell.threads), "--calls", str(job.calls), "--build-dir", build.build_dir,
        "--reference", str(reference), "--out", str(out), "--run-id", run_id,
        "--process-index", str(job.process_index),
    ]
    if job.max_seconds:
        cmd += ["--min-calls", str(job.min_calls), "--max-seconds", str(job.max_seconds)]
    return cmd


def _signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def _read_record(out: Path, job: Job) -> tuple[dict | None, str | None]:
    """The worker's record if it is whole and for this job; else (None, why not)."""
    try:
        record = json.loads(out.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"no readable record ({exc.__class__.__name__}: {str(exc)[:120]})"
    if isinstance(record, dict) and isinstance(record.get("interpreter"), dict):
        record["interpreter"]["name"] = job.planned.cell.interpreter  # the column name is ours, not the worker's
    wrong = records.problem(record)
    if wrong is None:
        cell = job.planned.cell
        wrong = records.mismatch(record, {
            "workload": cell.workload, "variant": cell.variant, "threads": cell.threads,
            "process_index": job.process_index,
            "params": {"width": cell.width, "max_iterations": cell.max_iterations},
        })
    return (None, f"a malformed record ({wrong})") if wrong else (record, None)


def run_job(
    job: Job,
    env: TargetEnv,
    build: BuildResult,
    reference: Path,
    records_dir: Path,
    run_id: str,
    timeout: float,
    stop: StopRequest = NO_STOP,
) -> dict | None:
    """Run one worker process; its record, a crashed/timeout record, or None when a stop signal killed it."""
    cell: Cell = job.planned.cell
    out = records_dir / f"{cell.key}-p{job.process_index:02d}.json"
    out.unlink(missing_ok=True)
    worker_env = dict(
        os.environ,
        OMP_NUM_THREADS=str(cell.threads),
        NUMBA_NUM_THREADS=str(cell.threads),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONHASHSEED="0",
    )
    cpu = None if job.planned.parallel else _pinned_cpu()

    def pin() -> None:
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})

    def failed(status: Status, error: str, **extra) -> dict:
        return synthetic_record(job.planned, run_id, status, error, job.process_index,
                                build=build.record_field(), **extra)

    started = time.perf_counter()
    proc = subprocess.Popen(
        _worker_command(job, env, build, reference, out, run_id), cwd=ROOT, env=worker_env,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True, preexec_fn=pin,  # noqa: PLW1509 - no threads here
    )
    with stop.child(proc):
        try:
            _stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            proc.communicate()
            if stop.requested:
                return None
            return failed(Status.TIMEOUT, f"killed after the {timeout:g} s per-process timeout",
                          process_wall_seconds=time.perf_counter() - started)
    if stop.requested:
        return None  # killed by us, or finished while we were told to stop: this process is not counted
    wall = time.perf_counter() - started
    tail = (stderr or b"").decode(errors="replace")[-4000:]
    if proc.returncode < 0:
        name = _signal_name(proc.returncode)
        return failed(Status.CRASHED, f"worker killed by {name}\n{tail}".strip(),
                      process_wall_seconds=wall, signal=name)
    record, why = _read_record(out, job)
    if record is None:
        return failed(Status.CRASHED, f"worker exited {proc.returncode} with {why}\n{tail}".strip(),
                      process_wall_seconds=wall)
    record["build"] = build.record_field()
    record["process_wall_seconds"] = wall
    record["cpu_pinned"] = cpu
    return record


def run_all(
    jobs: list[Job],
    runner: Callable[[Job], dict | None],
    stop: StopRequest = NO_STOP,
    progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
) -> list[dict]:
    """Run jobs in order until all are done or a stop is requested; the records of the finished ones."""
    done: list[dict] = []
    for number, job in enumerate(jobs, 1):
        if stop.requested:
            break
        record = runner(job)
        if record is None:
            break
        done.append(record)
        times = record.get("times_seconds") or []
        best = f"{min(times):.4f} s" if times else "-"
        progress(
            f"[{number}/{len(jobs)}] {job.planned.cell.key} p{job.process_index}: "
            f"{record['status']} (best {best})"
        )
    if stop.requested:
        progress(f"interrupted after {len(done)} of {len(jobs)} worker processes; archiving what finished")
    return done
