"""Run cells in fresh worker processes, interleaved in random order, each with a timeout; one JSON record each.

A worker that dies, hangs or writes nothing still yields a record (crashed/timeout with the reason): nothing is
dropped. Single-threaded workers are pinned to one CPU; the orchestrator prints progress, workers print nothing.
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

from .build import BuildResult
from .environments import TargetEnv
from .matrix import Cell, Method, PlannedCell
from .workloads import HARNESS, ROOT

SCHEMA_VERSION = 1


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived during the runs: stop workers, keep what finished."""


@dataclass
class Job:
    planned: PlannedCell
    process_index: int
    calls: int
    min_calls: int | None = None  # JIT cells: calls always made before the time budget applies
    max_seconds: float | None = None


def synthetic_record(
    planned: PlannedCell, run_id: str, status: str, error: str | None, process_index: int = 0, **extra
) -> dict:
    """A record for a cell/process that produced none of its own (unsupported, build_failed, crashed...)."""
    cell = planned.cell
    record = {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "workload": cell.workload,
        "variant": cell.variant,
        "technology": planned.technology,
        "interpreter": {"name": cell.interpreter, "implementation": planned.implementation},
        "params": {"width": cell.width, "max_iterations": cell.max_iterations},
        "threads": cell.threads,
        "process_index": process_index,
        "build": None,
        "import_seconds": None,
        "first_call_seconds": None,
        "times_seconds": [],
        "checksum": None,
        "output_sha256": None,
        "pixels_differing": None,
        "verified": False,
        "status": status,
        "error": error,
    }
    record.update(extra)
    return record


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


def run_job(
    job: Job,
    env: TargetEnv,
    build: BuildResult,
    reference: Path,
    records_dir: Path,
    run_id: str,
    timeout: float,
) -> dict:
    cell: Cell = job.planned.cell
    out = records_dir / f"{cell.key}-p{job.process_index:02d}.json"
    out.unlink(missing_ok=True)
    cmd = [
        str(env.python), str(HARNESS), "--workload", cell.workload, "--variant", cell.variant,
        "--width", str(cell.width), "--max-iterations", str(cell.max_iterations),
        "--threads", str(cell.threads), "--calls", str(job.calls), "--build-dir", build.build_dir,
        "--reference", str(reference), "--out", str(out), "--run-id", run_id,
        "--process-index", str(job.process_index),
    ]
    if job.max_seconds:
        cmd += ["--min-calls", str(job.min_calls), "--max-seconds", str(job.max_seconds)]
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

    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=worker_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True, preexec_fn=pin,  # noqa: PLW1509 - no threads here
    )
    try:
        _stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        return synthetic_record(
            job.planned, run_id, "timeout", f"killed after the {timeout:g} s per-process timeout",
            job.process_index, build=build.record_field(), process_wall_seconds=time.perf_counter() - started,
        )
    except BaseException:
        _kill_group(proc)
        proc.communicate()
        raise
    wall = time.perf_counter() - started
    tail = (stderr or b"").decode(errors="replace")[-4000:]
    if proc.returncode < 0:
        try:
            name = signal.Signals(-proc.returncode).name
        except ValueError:
            name = f"signal {-proc.returncode}"
        return synthetic_record(
            job.planned, run_id, "crashed", f"worker killed by {name}\n{tail}".strip(), job.process_index,
            build=build.record_field(), process_wall_seconds=wall, signal=name,
        )
    try:
        record = json.loads(out.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        return synthetic_record(
            job.planned, run_id, "crashed",
            f"worker exited {proc.returncode} without a readable record ({exc.__class__.__name__})\n{tail}".strip(),
            job.process_index, build=build.record_field(), process_wall_seconds=wall,
        )
    record["build"] = build.record_field()
    record["process_wall_seconds"] = wall
    record["interpreter"]["name"] = cell.interpreter
    record["cpu_pinned"] = cpu
    return record


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_all(
    jobs: list[Job],
    runner: Callable[[Job], dict],
    progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
) -> tuple[list[dict], bool]:
    """Run every job; returns (records, interrupted). SIGTERM is turned into the same path as Ctrl-C."""

    def on_term(signum, frame):
        raise Interrupted()

    previous = signal.signal(signal.SIGTERM, on_term)
    records: list[dict] = []
    interrupted = False
    try:
        for number, job in enumerate(jobs, 1):
            record = runner(job)
            records.append(record)
            times = record.get("times_seconds") or []
            best = f"{min(times):.4f} s" if times else "-"
            progress(
                f"[{number}/{len(jobs)}] {job.planned.cell.key} p{job.process_index}: "
                f"{record['status']} (best {best})"
            )
    except (KeyboardInterrupt, Interrupted):
        interrupted = True
        progress(f"interrupted after {len(records)} of {len(jobs)} worker processes; archiving what finished")
    finally:
        signal.signal(signal.SIGTERM, previous)
    return records, interrupted
