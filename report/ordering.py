"""The order the report shows cells in: variants as the contract lists them, CPython before PyPy, sizes by
increasing work; and the (PyPy, CPython) pairs the report compares."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from shootout.results.cells import CellSummary
from shootout.results.snapshot import ContractSnapshot

IMPLEMENTATION_RANK = {"cpython": 0, "pypy": 1}


@dataclass(frozen=True)
class Order:
    """Display order: variants as the contract lists them, CPython before PyPy, sizes by increasing work; and
    what the report says beside a column's name (report/columns.py: "free-threaded, GIL off")."""

    variants: dict  # name -> rank
    interpreters: tuple
    sizes: tuple
    notes: dict = field(default_factory=dict)  # interpreter name -> note

    def note(self, interpreter: str) -> str:
        return self.notes.get(interpreter, "")

    def label(self, interpreter: str) -> str:
        """'cpython3.13t (free-threaded, GIL off)': a column's name wherever one is named."""
        note = self.note(interpreter)
        return f"{interpreter} ({note})" if note else interpreter

    def labels(self) -> dict[str, str]:
        return {name: self.label(name) for name in self.interpreters}

    def variant(self, name: str) -> int:
        return self.variants.get(name, len(self.variants))

    def interpreter(self, name: str) -> int:
        return self.interpreters.index(name) if name in self.interpreters else len(self.interpreters)

    def size(self, label: str) -> int:
        return self.sizes.index(label) if label in self.sizes else len(self.sizes)

    def cell(self, c: CellSummary) -> tuple:
        return (self.size(c.size), self.variant(c.variant), c.threads, self.interpreter(c.interpreter))


def interpreter_order(meta: dict, cells: list[CellSummary]) -> tuple:
    """Interpreters that have cells: CPython ones first, then PyPy, then anything else; by name within
    each."""
    implementation = {c.interpreter: c.implementation for c in cells}
    for info in meta.get("interpreters") or []:
        if isinstance(info, dict) and info.get("name"):
            implementation.setdefault(str(info["name"]), str(info.get("implementation") or ""))
    present = {c.interpreter for c in cells}
    return tuple(sorted(present, key=lambda n: (IMPLEMENTATION_RANK.get(implementation[n], 2), n)))


def workload_order(contract: ContractSnapshot, declared, cells: list[CellSummary], interpreters: tuple,
                   declared_sizes, notes: dict | None = None) -> Order:
    """The order of one workload's cells: the contract's variants, then the run's, then any other by name."""
    names = [v.name for v in contract.variants]
    names += [str(v) for v in (declared if isinstance(declared, list) else []) if isinstance(v, str)]
    names += sorted({c.variant for c in cells})
    rank: dict[str, int] = {}
    for name in names:
        rank.setdefault(name, len(rank))
    return Order(rank, interpreters, size_order(cells, declared_sizes), dict(notes or {}))


def size_order(cells: list[CellSummary], declared_sizes) -> tuple:
    """Size labels by increasing work (the verified cells' work units), then as the run declared them."""
    declared = [str(s.get("label")) for s in (declared_sizes if isinstance(declared_sizes, list) else [])
                if isinstance(s, dict)]
    work: dict[str, float] = {}
    for c in cells:
        if c.work_units is not None:
            work[c.size] = max(work.get(c.size, 0.0), c.work_units)
    labels = sorted({c.size for c in cells},
                    key=lambda s: (work.get(s, math.inf),
                                   declared.index(s) if s in declared else len(declared), s))
    return tuple(labels)


def implementations(cells: list[CellSummary]) -> dict[str, str]:
    return {c.interpreter: c.implementation for c in cells}


def interpreter_pairs(interpreters: tuple, implementation: dict[str, str]) -> list[tuple[str, str]]:
    """(pypy, cpython) name pairs present in the run, in display order."""
    cpythons = [i for i in interpreters if implementation.get(i) == "cpython"]
    pypys = [i for i in interpreters if implementation.get(i) == "pypy"]
    return [(p, c) for c in cpythons for p in pypys]
