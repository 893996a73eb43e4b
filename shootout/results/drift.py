"""The machine's speed over a run, as its processes saw it: each ok process's steady mean ÷ its cell's median,
in the order the processes started (the records' `started_at`), and the serial correlation of a cell's
processes.

On a shared machine the speed can drift over spans longer than one process (a neighbour on the host, which
neither steal nor CPU pressure shows inside a guest): then processes that ran close together agree more than
distant ones, and the lag-1 autocorrelation r of a cell's process means in run order is positive. A CI that
treated them as independent would be narrower than the drift warrants (for an AR(1) series, as if n were
n·(1−r)/(1+r)); summaries widens each cell's median CI by that effective sample size (estimates.Dependence: r
bias-corrected, with a margin) and pairs ratios by round where the records say which round each process ran
in. This module shows the machine over the run and each baseline's serial correlation, the same numbers
summaries uses (summaries.ProcessSample.dependence).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import estimates, summaries
from .records import Record

MIN_SERIAL = estimates.MIN_SERIAL  # fewer process means give no useful lag-1 autocorrelation
INTERPRETED = ("python",)  # technologies whose time is the interpreter's own loop


@dataclass(frozen=True)
class ProcessPoint:
    minutes: float  # since the run's first process started
    relative: float  # the process's steady mean ÷ its cell's median
    cell: tuple  # summaries.CELL_KEYS
    interpreted: bool  # pure Python: the interpreter's loop, not compiled code or numpy


@dataclass(frozen=True)
class SerialCorrelation:
    cell: tuple
    n: int
    lag1: float
    bound: float  # 1.96/√n: independent processes give |lag1| beyond it about 5% of the time

    @property
    def drifted(self) -> bool:
        return self.lag1 > self.bound

    @property
    def n_factor(self) -> float:
        """AR(1) effective sample size ÷ n at the measured r: (1 − r)/(1 + r), 1 when r ≤ 0."""
        return (1 - self.lag1) / (1 + self.lag1) if self.lag1 > 0 else 1.0

    @property
    def dependence(self) -> estimates.Dependence:
        """What the cell's median CI is widened by (r bias-corrected with a margin; estimates.Dependence)."""
        return estimates.Dependence(self.n, self.lag1)


def _timed(records: list[Record]) -> list[tuple[float, Record, float]]:
    """(started_at, record, process mean) of every ok + verified record that says when it started, by
    start."""
    found = []
    for r in records:
        mean, started = summaries.process_mean(r), r.started_at
        if mean is not None and started is not None:
            found.append((float(started), r, mean))
    return sorted(found, key=lambda t: t[0])


def timeline(records: list[Record]) -> list[ProcessPoint]:
    """Every timed process, relative to its cell's median; [] for archives from before `started_at`."""
    timed = _timed(records)
    if not timed:
        return []
    by_cell: dict[tuple, list[float]] = {}
    for _, r, mean in timed:
        by_cell.setdefault(r.cell_key, []).append(mean)
    medians = {key: float(np.median(values)) for key, values in by_cell.items()}
    first = timed[0][0]
    return [ProcessPoint((started - first) / 60, mean / medians[r.cell_key], r.cell_key,
                         r.technology in INTERPRETED)
            for started, r, mean in timed]


def serial_correlation(records: list[Record], cell: tuple) -> SerialCorrelation | None:
    """Lag-1 autocorrelation of one cell's process means in the order they ran, as summaries measures it for
    the cell's CI; None below MIN_SERIAL processes, when they do not vary or do not all say when they
    started."""
    sample = summaries.process_samples([r for r in records if r.cell_key == tuple(cell)]).get(tuple(cell))
    found = None if sample is None else sample.dependence
    if found is None:
        return None
    return SerialCorrelation(tuple(cell), found.n, found.lag1, 1.96 / math.sqrt(found.n))
