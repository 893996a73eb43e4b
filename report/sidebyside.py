"""Workloads side by side: when an archive holds several workloads, how each variant present in more than one
of them (same name and technology) fares on PyPy against CPython in each, with its cost per work unit — so a
compute-bound kernel and a memory-bound one can be read next to each other.

Per workload the largest parameter set where both interpreters verified something single-threaded is used.
"""

from __future__ import annotations

from dataclasses import dataclass

from shootout.results.cells import CellSummary

from .ordering import Order


@dataclass(frozen=True)
class WorkloadColumn:
    """One workload in the comparison."""

    name: str
    title: str
    work_unit: str
    size: str


@dataclass(frozen=True)
class Entry:
    pypy: CellSummary | None
    cpython: CellSummary | None

    @property
    def ratio(self) -> float | None:
        """PyPy time ÷ CPython time."""
        if self.pypy is None or self.cpython is None:
            return None
        return self.pypy.median / self.cpython.median


@dataclass(frozen=True)
class SideBySideRow:
    variant: str
    technology: str
    entries: list[Entry]  # one per column


@dataclass(frozen=True)
class SideBySide:
    pypy: str
    cpython: str
    columns: list[WorkloadColumn]
    rows: list[SideBySideRow]


@dataclass(frozen=True)
class WorkloadCells:
    """What the comparison needs of one workload."""

    name: str
    title: str
    work_unit: str
    cells: list[CellSummary]
    order: Order


def _size(w: WorkloadCells, pypy: str, cpython: str) -> str | None:
    """The largest-work size with a verified single-thread cell on each interpreter."""
    on = {(c.size, c.interpreter) for c in w.cells if c.ok and c.threads == 1}
    both = [s for s in w.order.sizes if (s, pypy) in on and (s, cpython) in on]
    return both[-1] if both else None


def _rows(chosen: list[tuple[WorkloadCells, str]], pypy: str, cpython: str) -> list[SideBySideRow]:
    found: dict[tuple[str, str], dict[str, dict[str, CellSummary]]] = {}
    for w, size in chosen:
        for c in w.cells:
            if c.ok and c.threads == 1 and c.size == size and c.interpreter in (pypy, cpython):
                found.setdefault((c.variant, c.technology), {}).setdefault(w.name, {})[c.interpreter] = c
    # a variant compared in at least two workloads, on both interpreters in each of them
    shared = [key for key, per in found.items() if sum(1 for both in per.values() if len(both) == 2) >= 2]
    first = chosen[0][0].order
    shared.sort(key=lambda k: (first.variant(k[0]), k))
    return [SideBySideRow(variant, technology, [Entry(found[(variant, technology)].get(w.name, {}).get(pypy),
                                            found[(variant, technology)].get(w.name, {}).get(cpython))
                                      for w, _ in chosen])
            for variant, technology in shared]


def side_by_side(workloads: list[WorkloadCells], pairs: list[tuple[str, str]]) -> list[SideBySide]:
    """One comparison per (PyPy, CPython) pair; empty unless ≥ 2 workloads share a variant."""
    if len(workloads) < 2:
        return []
    out = []
    for pypy, cpython in pairs:
        chosen = [(w, size) for w in workloads if (size := _size(w, pypy, cpython)) is not None]
        if len(chosen) < 2:
            continue
        rows = _rows(chosen, pypy, cpython)
        if rows:
            columns = [WorkloadColumn(w.name, w.title, w.work_unit, size) for w, size in chosen]
            out.append(SideBySide(pypy, cpython, columns, rows))
    return out
