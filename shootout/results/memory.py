"""Resident memory per process and per cell: what the interpreter held before its first call, the largest
resident set during a call (harness.PeakMemory), and the growth between them.

A process's numbers are its record's (bytes); a cell's are medians over its ok processes, the growth being
the median of each process's own peak − before (not the difference of the two medians). The peak is Linux's
VmHWM reset before each call; a process that could not reset it (memory_peak_method "ru_maxrss") gives its
lifetime peak, set-up included, and its cell says so in `memory_method`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .records import Record

LIFETIME = "ru_maxrss"  # records.MEMORY_METHODS: the fallback whose peak includes the set-up


@dataclass(frozen=True)
class ProcessMemory:
    """One process's resident memory, in bytes (None: not recorded, e.g. an archive older than the field)."""

    before: int | None
    peak: int | None
    method: str | None

    @property
    def growth(self) -> int | None:
        """What the calls added to the resident set at their peak (never below 0: a call may release memory
        the set-up held, which is no growth)."""
        if self.before is None or self.peak is None:
            return None
        return max(0, self.peak - self.before)


def of_record(record: Record) -> ProcessMemory:
    return ProcessMemory(record.memory_before_bytes, record.memory_peak_bytes, record.memory_peak_method)


def process_columns(record: Record) -> dict:
    """processes.csv's memory columns of one process."""
    found = of_record(record)
    return {"memory_before_bytes": found.before, "memory_peak_bytes": found.peak,
            "memory_growth_bytes": found.growth, "memory_peak_method": found.method}


@dataclass(frozen=True)
class CellMemory:
    """A cell's resident memory: medians over its ok processes that recorded a peak, in bytes."""

    before: float
    peak: float
    growth: float
    processes: int  # how many processes the medians are of
    method: str  # "vmhwm", or "ru_maxrss on k of n" when some could not reset the peak

    def columns(self) -> dict:
        return {"memory_before_bytes": self.before, "memory_peak_bytes": self.peak,
                "memory_growth_bytes": self.growth, "memory_processes": self.processes,
                "memory_method": self.method}


NO_MEMORY_COLUMNS = {"memory_before_bytes": math.nan, "memory_peak_bytes": math.nan,
                     "memory_growth_bytes": math.nan, "memory_processes": 0, "memory_method": ""}


def _median(values: list[int | None]) -> float:
    known = [v for v in values if v is not None]
    return float(np.median(known)) if known else math.nan


def summarise_cell(found: list[ProcessMemory]) -> CellMemory | None:
    """The cell's medians of the processes in `found` that recorded a peak; None when none did."""
    measured = [m for m in found if m.peak is not None]
    if not measured:
        return None
    lifetime = sum(m.method == LIFETIME for m in measured)
    method = f"{LIFETIME} on {lifetime} of {len(measured)}" if lifetime else "vmhwm"
    return CellMemory(before=_median([m.before for m in measured]), peak=_median([m.peak for m in measured]),
                      growth=_median([m.growth for m in measured]), processes=len(measured), method=method)


def cell_memory(records: list[Record]) -> dict[tuple, CellMemory]:
    """Per cell with an ok process that recorded its peak: its CellMemory."""
    found: dict[tuple, list[ProcessMemory]] = {}
    for r in records:
        if r.ok:
            found.setdefault(r.cell_key, []).append(of_record(r))
    cells = {key: summarise_cell(group) for key, group in found.items()}
    return {key: cell for key, cell in cells.items() if cell is not None}
