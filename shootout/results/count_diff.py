"""`diff --metric instructions`: archives' instruction counts side by side, and a gate no neighbour can trip.

A count repeats to within a few instructions in most processes of the same code on the same interpreter,
valgrind and options, 0.18% at worst so far (docs/instructions.md; each archive's baseline cell is counted
twice and the table shows how far apart), so a cell's B/A needs no CI and no drift correction: a cell is
slower when B/A > 1 + threshold. Counts say how much work a call does, not how long it takes: a change of
memory behaviour or of parallelism moves the time and not the count, so this gate watches the code, the wall-
clock gate the machine and the code together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .archive import Archive, ArchiveError
from .counts import CellCount, cell_counts


@dataclass(frozen=True)
class CountChange:
    """One cell in A and B: its instructions per call in each, B/A, and the verdict at the threshold."""

    label: str
    a: float | None
    b: float | None
    spread: float  # the larger of the two archives' process-to-process spreads of this cell
    threshold: float

    @property
    def ratio(self) -> float | None:
        return self.b / self.a if self.a and self.b is not None else None

    @property
    def verdict(self) -> str:
        if self.a is None or self.b is None:
            return "no count in " + ("A" if self.a is None else "B")
        ratio = self.ratio
        assert ratio is not None
        if ratio > 1 + self.threshold:
            return "slower"
        return "faster" if ratio < 1 - self.threshold else "same"


@dataclass
class CountComparison:
    a: Path
    b: Path
    threshold: float
    changes: list[CountChange]
    differs: list[str] = field(default_factory=list)  # counting set-ups that are not the same

    def slowdowns(self) -> list[CountChange]:
        return [c for c in self.changes if c.verdict == "slower"]

    def gate_message(self, change: CountChange) -> str:
        return (f"slower: {change.label}: {change.ratio:.4f}x the instructions per call of {self.a.name} "
                f"(gate {1 + self.threshold:.4f}x)")


def counted_cells(data: Archive) -> dict[tuple, CellCount]:
    """The archive's counted cells; ArchiveError (one line, exit 2) when it has none."""
    cells = cell_counts(data.counts)
    if not cells:
        raise ArchiveError(f"{data.path}: no instruction counts (made without `compare --instruments "
                           f"instructions`)")
    return cells


def setup_differences(a: Archive, b: Archive) -> list[str]:
    """What makes A's and B's counts not directly comparable: valgrind's version, options, the sizes."""
    meta_a, meta_b = a.metadata.get("instructions") or {}, b.metadata.get("instructions") or {}
    return [f"{key}: {meta_a.get(key)!r} in A, {meta_b.get(key)!r} in B"
            for key in ("version", "options", "sizes", "uncounted_calls")
            if meta_a.get(key) != meta_b.get(key)]


def compare_counts(a: Archive, b: Archive, threshold: float) -> CountComparison:
    """Every cell counted in A or B, matched by cell key, in A's order then B's new ones."""
    cells_a, cells_b = counted_cells(a), counted_cells(b)
    changes = []
    for key in [*cells_a, *(k for k in cells_b if k not in cells_a)]:
        in_a, in_b = cells_a.get(key), cells_b.get(key)
        some = in_a or in_b
        assert some is not None
        changes.append(CountChange(
            some.label, in_a.instructions if in_a else None, in_b.instructions if in_b else None,
            max(c.spread for c in (in_a, in_b) if c is not None), threshold))
    return CountComparison(a.path, b.path, threshold, changes, setup_differences(a, b))


def table(comparison: CountComparison, markdown: bool = False) -> str:
    """The comparison as a terminal table (or Markdown), one line per cell, then the set-up differences."""
    head = ["cell", "A instr/call", "B instr/call", "B/A", "spread", "verdict"]
    rows = [[c.label, _count(c.a), _count(c.b), f"{c.ratio:.4f}" if c.ratio else "-", f"{c.spread:.3%}",
             c.verdict] for c in comparison.changes]
    title = (f"instructions per call: {comparison.b.name} (B) over {comparison.a.name} (A), "
             f"threshold {comparison.threshold:.2%}")
    notes = [f"counted differently: {d}" for d in comparison.differs]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join([f"**{title}**", "", *lines, *([""] + notes if notes else [])])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths)))
             for r in [head, *rows]]
    return "\n".join([title, *lines, *notes])


def _count(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"
