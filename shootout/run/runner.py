"""Run cells in fresh worker processes, interleaved in random order, each with a timeout; one JSON record
each.

A worker that dies, hangs, or writes no record or a malformed one still yields a record (crashed/timeout with
the reason): nothing is dropped. A worker killed because the user stopped the run yields none (it is re-run by
--resume). Every worker is pinned: a serial one to one CPU, a parallel one to N CPUs with OpenMP threads bound
to them; when it started (`started_at`, Unix seconds), the load average before it started and what it saw
while it ran (harness: CPU share, context switches, steal, CPU pressure) go into its record. The orchestrator
prints progress, workers print nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ..results import records
from ..results.records import Interpreter, PlainRecord, Record, RecordError, Status
from .builds import BuildResult
from .catalog import HARNESS, ROOT
from .counting import ENVIRONMENT as COUNTING_ENVIRONMENT
from .counting import INSTRUMENT, Counter, DumpError, instructions_per_call
from .environments import TargetEnv
from .interrupts import NO_STOP, StopRequest, kill_group
from .matrix import CallPlan, Cell, PlannedCell


@dataclass
class Job:
    planned: PlannedCell
    process_index: int
    calls: CallPlan
    warmup_rule: str | None = None  # warmup.rule_for: how the record's calls are split (kept in the record)
    round_index: int | None = None  # the sampler's round (a block of time in which cells ran interleaved)
    layout_padding: int = 0  # PyPy: small loops compiled before the variant (harness --layout-padding)
    counter: Counter | None = None  # counting instructions under Callgrind instead of timing (counting.py)
    uncounted_calls: int = 0  # with a counter: calls before counting starts


def synthetic_record(
    planned: PlannedCell, run_id: str, status: Status | str, error: str | None, process_index: int = 0,
    **fields,
) -> Record:
    """The record of a cell or process that produced none of its own (unsupported, build_failed...)."""
    cell = planned.cell
    return Record(
        run_id=run_id, workload=cell.workload, variant=cell.variant, technology=planned.technology,
        interpreter=Interpreter(name=cell.interpreter, implementation=planned.implementation),
        params=dict(cell.size.params), size=cell.size.label, threads=cell.threads,
        process_index=process_index,
        status=str(Status(status)), error=error, **fields,
    )


def cpus_for(threads: int) -> list[int]:
    """The CPUs a worker is pinned to: the last `threads` of the orchestrator's own affinity (all of them when
    it asks for more), so serial and parallel workers alike always run on the same cores."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return []
    return allowed[-threads:] if threads <= len(allowed) else allowed


def worker_environment(threads: int, cpus: list[int], extra: dict | None = None) -> dict:
    """Thread counts for every runtime, OpenMP threads bound one per pinned CPU; `extra` on top."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), NUMBA_NUM_THREADS=str(threads),
               PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", **(extra or {}))
    if cpus:
        env.update(OMP_PROC_BIND="close", OMP_PLACES=",".join(f"{{{c}}}" for c in cpus))
    return env


def _callgrind_dir(out: Path) -> Path:
    return out.with_name(out.stem + "-callgrind")


def _worker_command(
    job: Job, env: TargetEnv, build: BuildResult, reference: Path, out: Path, run_id: str
) -> list:
    cell: Cell = job.planned.cell
    cmd = [
        str(env.python), str(HARNESS), "--workload", cell.workload, "--variant", cell.variant,
        "--params", json.dumps(cell.size.params, sort_keys=True),
        "--threads", str(cell.threads), "--calls", str(job.calls.most), "--build-dir", build.build_dir,
        "--reference", str(reference), "--out", str(out), "--run-id", run_id,
        "--inputs-cache", str(reference.parent.parent / "inputs"),
        "--process-index", str(job.process_index),
    ]
    cmd += ["--min-calls", str(job.calls.least), "--max-seconds", str(job.calls.seconds)]
    if job.layout_padding:
        cmd += ["--layout-padding", str(job.layout_padding)]
    if job.counter is not None:
        cmd += ["--count-instructions", str(job.counter.library),
                "--uncounted-calls", str(job.uncounted_calls)]
        return job.counter.command(cmd, _callgrind_dir(out))
    return cmd


def _signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def _read_record(out: Path, job: Job) -> tuple[Record | None, str | None]:
    """The worker's record if it is whole and for this job; else (None, why not)."""
    try:
        data = json.loads(out.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"no readable record ({exc.__class__.__name__}: {str(exc)[:120]})"
    if isinstance(data, dict) and isinstance(data.get("interpreter"), dict):
        data["interpreter"]["name"] = job.planned.cell.interpreter  # the column and size names are ours
        data["size"] = job.planned.cell.size.label
    try:
        record = Record.from_json(data)
    except RecordError as exc:
        return None, f"a malformed record ({exc})"
    cell = job.planned.cell
    wrong = records.mismatch(record, Record(workload=cell.workload, variant=cell.variant,
                                            interpreter=record.interpreter, params=cell.size.params,
                                            threads=cell.threads, process_index=job.process_index))
    return (None, f"a malformed record ({wrong})") if wrong else (record, None)


@dataclass
class Finished:
    """How a pinned process ended: its exit code (None: killed at the timeout), output and wall time."""

    returncode: int | None
    stdout: bytes
    stderr: bytes
    wall: float


def run_pinned(cmd: list, threads: int, timeout: float, stop: StopRequest,
               extra_env: dict | None = None, pin: bool = True) -> Finished | None:
    """Run `cmd` as every measured process runs: pinned to `threads` CPUs (cpus_for; unless not `pin`) with
    worker_environment (and `extra_env`), in its own session, killed with its group at `timeout`; None when a
    stop signal came meanwhile."""
    cpus = cpus_for(threads) if pin else []

    def pin() -> None:
        if cpus:
            os.sched_setaffinity(0, set(cpus))

    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=worker_environment(threads, cpus, extra_env), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        preexec_fn=pin,  # noqa: PLW1509 - no threads here
    )
    with stop.child(proc):
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
            returncode = proc.returncode
        except subprocess.TimeoutExpired:
            kill_group(proc)
            stdout, stderr = proc.communicate()
            returncode = None
    if stop.requested:
        return None  # killed by us, or finished while we were told to stop: this process is not counted
    return Finished(returncode, stdout or b"", stderr or b"", time.perf_counter() - started)


def run_job(
    job: Job,
    env: TargetEnv,
    build: BuildResult,
    reference: Path,
    records_dir: Path,
    run_id: str,
    timeout: float,
    stop: StopRequest = NO_STOP,
) -> Record | None:
    """Run one worker process; its record, a crashed/timeout record, or None when a stop signal killed it."""
    cell: Cell = job.planned.cell
    out = records_dir / f"{cell.key}-p{job.process_index:02d}.json"
    out.unlink(missing_ok=True)
    shutil.rmtree(_callgrind_dir(out), ignore_errors=True)

    def failed(status: Status, error: str, signal: str | None = None) -> Record:
        return synthetic_record(job.planned, run_id, status, error, job.process_index,
                                build=build.record_field(), started_at=started_at,
                                process_wall_seconds=done.wall, round=job.round_index, signal=signal,
                                instrument=INSTRUMENT if job.counter is not None else None)

    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    # wall clock: when in the run, and of the day, this process ran (drift, pyperf date)
    started_at = time.time()
    if job.counter is not None:
        _callgrind_dir(out).mkdir(parents=True)
    command = _worker_command(job, env, build, reference, out, run_id)
    # the harness measures its interpreter's start-up from here, on the clock all processes share
    command += ["--launched-at", repr(time.monotonic())]
    # a count depends on no CPU and no neighbour: counting processes run unpinned, side by side
    counting = job.counter is not None
    done = run_pinned(command, cell.threads, timeout, stop, COUNTING_ENVIRONMENT if counting else None,
                      pin=not counting)
    if done is None:
        return None
    if done.returncode is None:
        return failed(Status.TIMEOUT, f"killed after the {timeout:g} s per-process timeout")
    tail = done.stderr.decode(errors="replace")[-4000:]
    if done.returncode < 0:
        name = _signal_name(done.returncode)
        return failed(*killed(name, tail, counting), signal=name)
    record, why = _read_record(out, job)
    if record is None:
        return failed(Status.CRASHED, f"worker exited {done.returncode} with {why}\n{tail}".strip())
    record.build, record.process_wall_seconds = build.record_field(), done.wall
    record.cpu_pinned = None if counting else cpus_for(cell.threads)
    record.load_before, record.started_at, record.round = load_before, started_at, job.round_index
    record.warmup_rule = job.warmup_rule or None
    record.call_plan = job.calls.note or None
    if job.counter is not None:
        why = add_counts(record, job, _callgrind_dir(out))
        if why is not None:
            return failed(Status.CRASHED, f"{why}\n{tail}".strip())
    return record


# The instrument's limit, not the variant's failure: a build for this CPU (-march=native: AVX-512 here) runs
# instructions valgrind does not decode; its timed processes ran and verified it
VALGRIND_CANNOT_DECODE = ("not countable: valgrind cannot decode an instruction this build uses (SIGILL "
                          "under valgrind, e.g. AVX-512); the variant itself runs, as its timed processes "
                          "show")


def killed(signal_name: str, stderr_tail: str, counting: bool) -> tuple[Status, str]:
    """How a worker killed by a signal ended: crashed, but for a counting process that valgrind stopped at an
    instruction it cannot decode (VALGRIND_CANNOT_DECODE)."""
    if counting and signal_name == "SIGILL" and "Illegal opcode" in stderr_tail:
        return Status.UNSUPPORTED, f"{VALGRIND_CANNOT_DECODE}\n{stderr_tail}".strip()
    return Status.CRASHED, f"worker killed by {signal_name}\n{stderr_tail}".strip()


def add_counts(record: Record, job: Job, dumps: Path) -> str | None:
    """Fill a counting process's record from its Callgrind dumps; why not, when a counted call has none."""
    record.instrument, record.uncounted_calls = INSTRUMENT, job.uncounted_calls
    try:
        record.instructions = instructions_per_call(dumps, len(record.times_seconds))
    except (OSError, DumpError) as exc:
        return f"callgrind dump unreadable: {exc}"
    finally:
        shutil.rmtree(dumps, ignore_errors=True)
    missing = [i + 1 for i, n in enumerate(record.instructions) if n is None and i >= job.uncounted_calls]
    if record.ok and (missing or len(record.times_seconds) <= job.uncounted_calls):
        return f"no instruction count for call(s) {missing or 'none counted'} (callgrind dumps missing)"
    return None


@dataclass
class PlainJob:
    """One process of a workload's plain program (the harness-overhead check) beside a harness cell."""

    beside: PlannedCell  # the baseline variant's cell whose calls it is compared with
    program: Path
    process_index: int
    calls: int
    round_index: int
    expected_checksum: object  # the reference's sum of the output
    layout_padding: int = 0  # PyPy: as the harness's (plain.py's third argument)


def plain_record(job: PlainJob, started_at: float) -> PlainRecord:
    """The record of a plain-program process: enough to match it with its harness cell, and what it
    measured."""
    cell = job.beside.cell
    inside = job.program.is_relative_to(ROOT)
    program = job.program.relative_to(ROOT).as_posix() if inside else str(job.program)
    return PlainRecord(
        workload=cell.workload, variant=cell.variant, threads=cell.threads, beside=cell.key,
        size=cell.size.label,
        params=dict(cell.size.params), interpreter=Interpreter(name=cell.interpreter,
                                                               implementation=job.beside.implementation),
        program=program, process_index=job.process_index, round=job.round_index, calls=job.calls,
        started_at=started_at, layout_padding=job.layout_padding or None,
        expected_checksum=job.expected_checksum,
    )


def _read_plain_output(stdout: str) -> tuple[list[float], object]:
    """(times, checksum) from the plain program's one JSON line; ValueError when it is not that."""
    data = json.loads(stdout.strip().splitlines()[-1])
    times = data["times_seconds"]
    if not (isinstance(times, list) and times and all(isinstance(t, (int, float)) and t >= 0 for t in times)):
        raise ValueError(f"times_seconds is not a list of seconds: {times!r}")
    return [float(t) for t in times], data["checksum"]


def run_plain_job(job: PlainJob, env: TargetEnv, timeout: float,
                  stop: StopRequest = NO_STOP) -> PlainRecord | None:
    """Run the plain program as a worker runs (same interpreter, pinning and environment); its record, or None
    when a stop signal killed it. A failure is recorded with its reason, never raised."""
    record = plain_record(job, time.time())
    done = run_pinned([str(env.python), str(job.program),
                       json.dumps(job.beside.cell.size.params, sort_keys=True),
                       str(job.calls), str(job.layout_padding)], 1, timeout, stop)
    if done is None:
        return None
    record.process_wall_seconds, record.cpu_pinned = done.wall, cpus_for(1)
    if done.returncode is None:
        record.status, record.error = "timeout", f"killed after the {timeout:g} s per-process timeout"
        return record
    try:
        if done.returncode != 0:
            raise ValueError(f"exited {done.returncode}")
        times, checksum = _read_plain_output(done.stdout.decode(errors="replace"))
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        tail = done.stderr.decode(errors="replace")[-2000:]
        record.status, record.error = "crashed", f"{exc}\n{tail}".strip()
        return record
    record.times_seconds, record.checksum = times, checksum
    record.verified = checksum == job.expected_checksum
    record.status = "ok" if record.verified else "wrong_output"
    if not record.verified:
        record.error = f"checksum {checksum!r}, the reference's is {job.expected_checksum!r}"
    return record
