"""Instruction counts (counts/*.json, instructions.csv): per counted call, and per cell.

A counting process ran under Callgrind (shootout/run/counting.py): its record's `instructions` hold one entry
per timed call (None for the uncounted warm-up). Its `times_seconds` are valgrind's, 20-100x a real call:
nothing here reads them as a time, and these records never join the wall-clock ones (records/).

A cell's count is the median over its counted calls of all its processes; `spread` is the largest relative
difference between two of its processes' medians (0 with one process): how far two counts of the same code
agreed in this archive.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import pandas as pd

from .records import Record

COUNT_COLUMNS = ("workload", "variant", "interpreter", "threads", "size", "implementation", "process_index",
                 "call_index", "instructions", "work_units", "status")


def counted(record: Record) -> list[int]:
    """The counts of a record's counted calls (none for a process that failed)."""
    return [n for n in record.instructions or [] if n is not None] if record.ok else []


def count_rows(records: list[Record]) -> pd.DataFrame:
    """instructions.csv: one row per counted call of every counting process."""
    rows = [
        {"workload": r.workload, "variant": r.variant, "interpreter": r.interpreter.name,
         "threads": r.threads, "size": r.size, "implementation": r.interpreter.implementation,
         "process_index": r.process_index, "call_index": index, "instructions": n,
         "work_units": r.work_units, "status": r.status}
        for r in records for index, n in enumerate(r.instructions or []) if n is not None
    ]
    return pd.DataFrame(rows, columns=list(COUNT_COLUMNS))


@dataclass(frozen=True)
class CellCount:
    """One cell's instructions per call, or why it has none."""

    key: tuple  # records.cell_key order: workload, variant, interpreter, threads, size
    implementation: str | None
    instructions: float | None  # median over the counted calls of all processes
    per_work_unit: float | None
    processes: int  # that gave a count
    spread: float  # largest relative difference between two processes' medians
    error: str | None = None  # the first failed process's status and message

    @property
    def label(self) -> str:
        workload, variant, interpreter, threads, size = self.key
        return f"{workload} {variant} on {interpreter} t{threads} {size}"


def cell_counts(records: list[Record]) -> dict[tuple, CellCount]:
    """Every counted cell, by cell key, in the records' order."""
    by_cell: dict[tuple, list[Record]] = {}
    for r in records:
        by_cell.setdefault(r.cell_key, []).append(r)
    return {key: _cell(key, group) for key, group in by_cell.items()}


def _cell(key: tuple, group: list[Record]) -> CellCount:
    medians = [statistics.median(c) for c in map(counted, group) if c]
    failed = next((r for r in group if not counted(r)), None)
    error = None if failed is None else f"{failed.status}: {(failed.error or 'no count').strip()[:300]}"
    implementation = group[0].interpreter.implementation
    if not medians:
        return CellCount(key, implementation, None, None, 0, 0.0, error)
    calls = [n for r in group for n in counted(r)]
    value = float(statistics.median(calls))
    units = next((r.work_units for r in group if r.work_units), None)
    spread = (max(medians) - min(medians)) / min(medians) if min(medians) > 0 else 0.0
    return CellCount(key, implementation, value, value / units if units else None, len(medians), spread,
                     error)
