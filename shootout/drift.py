"""The machine's speed over a run, as its processes saw it: each ok process's steady mean ÷ its cell's median, in
the order the processes started (the records' `started_at`), and the serial correlation of a cell's processes.

Every CI in stats treats a cell's processes as independent draws. On a shared machine the speed can drift over
spans longer than one process (a neighbour on the host, which neither steal nor CPU pressure shows inside a
guest): then processes that ran close together agree more than distant ones, the lag-1 autocorrelation r of a
cell's process means in run order is positive, and its CIs are narrower than the drift warrants (for an AR(1)
series, as if n were n·(1−r)/(1+r)). This module measures that so the report can say it; it changes no estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import stats

MIN_SERIAL = 8  # fewer process means give no useful lag-1 autocorrelation
INTERPRETED = ("python",)  # technologies whose time is the interpreter's own loop


@dataclass(frozen=True)
class ProcessPoint:
    minutes: float  # since the run's first process started
    relative: float  # the process's steady mean ÷ its cell's median
    cell: tuple  # stats.CELL_KEYS
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
        """AR(1) effective sample size ÷ n: (1 − r)/(1 + r), 1 when r ≤ 0."""
        return (1 - self.lag1) / (1 + self.lag1) if self.lag1 > 0 else 1.0


def _timed(records: list[dict]) -> list[tuple[float, dict, float]]:
    """(started_at, record, process mean) of every ok + verified record that says when it started, by start."""
    found = []
    for r in records:
        mean, started = stats.process_mean(r), r.get("started_at")
        if mean is not None and isinstance(started, (int, float)):
            found.append((float(started), r, mean))
    return sorted(found, key=lambda t: t[0])


def timeline(records: list[dict]) -> list[ProcessPoint]:
    """Every timed process, relative to its cell's median; [] for archives from before `started_at`."""
    timed = _timed(records)
    if not timed:
        return []
    by_cell: dict[tuple, list[float]] = {}
    for _, r, mean in timed:
        by_cell.setdefault(stats.cell_of(r), []).append(mean)
    medians = {key: float(np.median(values)) for key, values in by_cell.items()}
    first = timed[0][0]
    return [ProcessPoint((started - first) / 60, mean / medians[stats.cell_of(r)], stats.cell_of(r),
                         r.get("technology") in INTERPRETED)
            for started, r, mean in timed]


def serial_correlation(records: list[dict], cell: tuple) -> SerialCorrelation | None:
    """Lag-1 autocorrelation of one cell's process means in the order they ran; None below MIN_SERIAL processes
    or when they do not vary."""
    series = np.asarray([mean for _, r, mean in _timed(records) if stats.cell_of(r) == tuple(cell)])
    if len(series) < MIN_SERIAL:
        return None
    centred = series - series.mean()
    denominator = float(np.sum(centred ** 2))
    if denominator == 0:
        return None
    lag1 = float(np.sum(centred[:-1] * centred[1:]) / denominator)
    return SerialCorrelation(tuple(cell), len(series), lag1, 1.96 / math.sqrt(len(series)))
