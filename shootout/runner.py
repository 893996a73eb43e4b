"""Run cells in fresh worker processes, interleaved in random order, each with a timeout; one JSON record each.

A worker that dies, hangs, or writes no record or a malformed one still yields a record (crashed/timeout with
the reason): nothing is dropped. A worker killed because the user stopped the run yields none (it is re-run by
--resume). Every worker is pinned: a serial one to one CPU, a parallel one to N CPUs with OpenMP threads bound
to them; when it started (`started_at`, Unix seconds), the load average before it started and what it saw while
it ran (harness: CPU share, context switches, steal, CPU pressure) go into its record. The orchestrator prints
progress, workers print nothing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import records
from .build import BuildResult
from .catalog import HARNESS, ROOT
from .environments import TargetEnv
from .interrupts import NO_STOP, StopRequest, kill_group
from .matrix import Cell, PlannedCell
from .records import Status


@dataclass
class Job:
    planned: PlannedCell
    process_index: int
    calls: int
    min_calls: int | None = None  # JIT cells: calls always made before the time budget applies
    max_seconds: float | None = None
    warmup_rule: str | None = None  # warmup.rule_for: how the record's calls are split (kept in the record)


def synthetic_record(
    planned: PlannedCell, run_id: str, status: Status | str, error: str | None, process_index: int = 0, **extra
) -> dict:
    """A record for a cell/process that produced none of its own (unsupported, build_failed, crashed...)."""
    cell = planned.cell
    return records.synthetic(
        run_id=run_id, workload=cell.workload, variant=cell.variant, technology=planned.technology,
        interpreter=cell.interpreter, implementation=planned.implementation,
        params=cell.size.params, size=cell.size.label, threads=cell.threads,
        status=Status(status), error=error, process_index=process_index, **extra,
    )


def cpus_for(threads: int) -> list[int]:
    """The CPUs a worker is pinned to: the last `threads` of the orchestrator's own affinity (all of them when it
    asks for more), so serial and parallel workers alike always run on the same cores."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return []
    return allowed[-threads:] if threads <= len(allowed) else allowed


def worker_environment(threads: int, cpus: list[int]) -> dict:
    """Thread counts for every runtime, OpenMP threads bound one per pinned CPU."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), NUMBA_NUM_THREADS=str(threads),
               PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
    if cpus:
        env.update(OMP_PROC_BIND="close", OMP_PLACES=",".join(f"{{{c}}}" for c in cpus))
    return env


def _worker_command(job: Job, env: TargetEnv, build: BuildResult, reference: Path, out: Path, run_id: str) -> list:
    cell: Cell = job.planned.cell
    cmd = [
        str(env.python), str(HARNESS), "--workload", cell.workload, "--variant", cell.variant,
        "--params", json.dumps(cell.size.params, sort_keys=True),
        "--threads", str(cell.threads), "--calls", str(job.calls), "--build-dir", build.build_dir,
        "--reference", str(reference), "--out", str(out), "--run-id", run_id,
        "--inputs-cache", str(reference.parent.parent / "inputs"),
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
        record["interpreter"]["name"] = job.planned.cell.interpreter  # the column and size names are ours
        record["size"] = job.planned.cell.size.label
    wrong = records.problem(record)
    if wrong is None:
        cell = job.planned.cell
        wrong = records.mismatch(record, {
            "workload": cell.workload, "variant": cell.variant, "threads": cell.threads,
            "process_index": job.process_index,
            "params": cell.size.params,
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
    cpus = cpus_for(cell.threads)
    worker_env = worker_environment(cell.threads, cpus)

    def pin() -> None:
        if cpus:
            os.sched_setaffinity(0, set(cpus))

    def failed(status: Status, error: str, **extra) -> dict:
        return synthetic_record(job.planned, run_id, status, error, job.process_index,
                                build=build.record_field(), started_at=started_at, **extra)

    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    started_at = time.time()  # wall clock: when in the run, and of the day, this process ran (drift, pyperf date)
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
    record.update(build=build.record_field(), process_wall_seconds=wall, cpu_pinned=cpus, load_before=load_before,
                  started_at=started_at)
    if job.warmup_rule:
        record["warmup_rule"] = job.warmup_rule
    return record
