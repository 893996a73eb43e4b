"""Which worker process runs next: interleaved random rounds, and a cell stops getting processes once its
median is known well enough.

Each round runs one process of every still-active cell, in an order shuffled by the run's seed, so drift and
heat spread over all cells. After a round, a cell with at least `method.processes` processes stops when the
distribution-free 95% CI of its own median (order statistics, estimates.median_ci) has a relative half-width
within `method.precision`. The rule is the cell's own, not its speedup's: a speedup CI also carries the baseline
cell's uncertainty, which more processes of the other cell cannot reduce (measured on a shared 2-vCPU VM: the
baseline variant's calls vary by ±15% from process to process there, so under a speedup rule no cell stopped
before its cap). Each cell's and the baseline's halves combine: a speedup CI is about √(h_cell² + h_base²) wide. Whatever
the precision, a cell stops at `method.max_processes` processes or once `method.cell_seconds` of worker time went
into it, and at its first failed process (a failed cell is not ranked, more processes would not change that).
With no precision (a fixed design, `--processes N` or --quick) every cell gets exactly `method.processes`. Each
cell's stop reason goes into the archive.
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from . import estimates, stats
from .interrupts import StopRequest
from .matrix import Method, PlannedCell
from .runner import Job


@dataclass
class CellSampling:
    planned: PlannedCell
    records: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    stopped: str | None = None  # why it stopped getting processes; None while active

    @property
    def key(self) -> tuple:
        c = self.planned.cell
        return (c.workload, c.variant, c.interpreter, c.threads, c.size.label)


class Sampler:
    def __init__(self, planned: list[PlannedCell], method: Method, seed: int,
                 run_one: Callable[[Job], dict | None], stop: StopRequest):
        self.cells = [CellSampling(p) for p in planned if p.status == "pending"]
        self.method, self.seed, self.run_one, self.stop = method, seed, run_one, stop
        self.done = 0
        self.started = time.monotonic()
        self.progress = Progress(self)

    # ------------------------------------------------------------ the loop

    def run(self) -> list[dict]:
        round_number = 0
        with self.progress:
            while self.active() and not self.stop.requested:
                order = self.active()
                random.Random(self.seed * 1000 + round_number).shuffle(order)
                for cell in order:
                    if self.stop.requested or not self._run_process(cell):
                        break
                self._decide()
                round_number += 1
        if self.stop.requested:
            self.progress.line(f"interrupted after {self.done} worker processes; archiving what finished")
        return [r for cell in self.cells for r in cell.records]

    def active(self) -> list[CellSampling]:
        return [c for c in self.cells if c.stopped is None]

    def _job(self, cell: CellSampling) -> Job:
        p = cell.planned
        most, least, seconds = self.method.calls_for(p.implementation or "", p.technology)
        return Job(p, len(cell.records), most, min_calls=least, max_seconds=seconds)

    def _run_process(self, cell: CellSampling) -> bool:
        started = time.monotonic()
        record = self.run_one(self._job(cell))
        if record is None:  # stopped by a signal: not counted
            return False
        cell.seconds += time.monotonic() - started
        cell.records.append(record)
        self.done += 1
        if record["status"] != "ok":
            cell.stopped = f"process {record['process_index']} {record['status']}"
        self.progress.process(cell, record)
        return True

    # ------------------------------------------------------------ when a cell has enough

    def _decide(self) -> None:
        for cell in self.active():
            cell.stopped = self._stop_reason(cell)

    def _stop_reason(self, cell: CellSampling) -> str | None:
        m, n = self.method, len(cell.records)
        if m.precision is None:
            return f"fixed design: {n} processes" if n >= m.processes else None
        if n >= m.max_processes:
            return f"cap of {m.max_processes} processes reached"
        if cell.seconds >= m.cell_seconds:
            return f"time budget of {m.cell_seconds:g} s reached after {n} processes"
        if n < m.processes:
            return None
        half = self.relative_half_width(cell)
        if half is not None and half <= m.precision:
            return f"median CI ±{half:.2%} within ±{m.precision:.2%} after {n} processes"
        return None

    def relative_half_width(self, cell: CellSampling) -> float | None:
        """Relative half-width of the 95% CI of this cell's median process mean (None: n too small)."""
        mine = stats.process_means(cell.records).get(cell.key)
        if mine is None:
            return None
        ci = estimates.median_ci(mine)
        if ci is estimates.NO_INTERVAL or math.isnan(ci.low):
            return None
        centre = (ci.low + ci.high) / 2
        return ci.half_width / centre if centre > 0 else None

    def stop_reasons(self) -> dict[str, str]:
        """cell key -> why it stopped (cells still active when a signal came have none)."""
        return {c.planned.cell.key: c.stopped for c in self.cells if c.stopped}

    def eta_seconds(self) -> tuple[float, float]:
        """(at least, at most) seconds left: every active cell needs at least one more process, or up to the
        minimum; at most up to its cap of processes or its time budget, whichever comes first."""
        mean = [c.seconds / len(c.records) for c in self.cells if c.records]
        typical = sum(mean) / len(mean) if mean else 10.0
        least = most = 0.0
        m = self.method
        for c in self.active():
            per = c.seconds / len(c.records) if c.records else typical
            least += per * max(1, m.processes - len(c.records))
            most += max(per, min(per * (m.max_processes - len(c.records)), m.cell_seconds - c.seconds + per))
        return (least, least) if m.precision is None else (least, max(least, most))  # fixed: exactly the minimum


class Progress:
    """One line per worker process on stderr (logs and tests read these), and a rich bar on a terminal."""

    def __init__(self, sampler: Sampler):
        self.sampler = sampler
        self.bar = None
        self.task = None

    def __enter__(self):
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("cells done"), MofNCompleteColumn(), BarColumn(), TimeRemainingColumn(),
                                console=Console(stderr=True), transient=True)
            self.bar.__enter__()
            self.task = self.bar.add_task("cells", total=len(self.sampler.cells))
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False

    def line(self, text: str) -> None:
        if self.bar is not None:
            self.bar.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=sys.stderr, flush=True)

    def process(self, cell: CellSampling, record: dict) -> None:
        s = self.sampler
        finished = sum(1 for c in s.cells if c.stopped)
        times = record.get("times_seconds") or []
        best = f"{min(times):.4g} s" if times else "-"
        least, most = s.eta_seconds()
        self.line(f"[{s.done}] {cell.planned.cell.key} p{record['process_index']}: {record['status']} "
                  f"(best {best}); cells done {finished}/{len(s.cells)}, "
                  f"{least / 60:.1f} to {most / 60:.1f} min left")
        if self.bar is not None:
            self.bar.update(self.task, completed=finished)
