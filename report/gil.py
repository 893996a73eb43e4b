"""The GIL study of one workload: what the GIL costs pure-Python code, and what a free-threaded build (PEP
703) buys or costs it. Only ok + verified cells of technology "python" enter it.

(a) Thread scaling: each pure-Python variant that ran at more than one thread, on each interpreter, time at
    1 thread ÷ time at N threads, with the 95% CI of that ratio (shootout.results.cells.cell_ratio, the rule
    of every ratio in the report, the Thread scaling section's included). With a GIL the threads take turns,
    so the ratio stays near 1×; with the GIL off they can run at once.
(b) Single-thread cost: each free-threaded column against the CPython column with the GIL of the same version
    (major.minor) and the same build profile (optimized with optimized, fast with fast), per pure-Python
    variant at 1 thread: free-threaded median ÷ GIL median, with its CI by the same rule.

A free-threaded cell any of whose processes had the GIL back on after its run (an extension without
free-threading support switches it on at import) did not run free-threaded: it is left out of both, and listed
with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from shootout.results.cells import CellRatio, CellSummary, cell_ratio

from .columns import Column
from .ordering import Order

PYTHON = "python"  # the technology studied: code the interpreter runs itself, under its lock if it has one
SCALES = 1.2  # a speedup whose whole CI lies above this scales; one whose whole CI lies below it does not
RATIO_METHOD = ("paired by round where both cells ran in enough of the same rounds (the median over rounds "
                "of the per-round ratio, with that median's CI), else the percentile bootstrap of the ratio "
                "of medians resampling both cells' per-process steady means; each ratio's own method is in "
                "its tooltip")


@dataclass(frozen=True)
class GilScalingRow:
    variant: str
    interpreter: str
    size: str
    threads: int
    one: float  # median at 1 thread
    many: float  # median at `threads` threads
    ratio: CellRatio  # one ÷ many
    gil: bool  # the column runs with a GIL (not a free-threaded build with it off)
    is_control: bool = False  # the row is the workload's threads control (Roles.threads_control)
    control: CellRatio | None = None  # the control's one ÷ many at the same interpreter, size and threads

    @property
    def against_control(self) -> str:
        """'below': the whole CI lies under the control's, so the variant's own sharing costs it scaling the
        interpreter would give; 'at': the CIs overlap; '' when there is no control to read it against, or
        either side has no CI."""
        if self.is_control or self.control is None or self.ratio.high is None or self.control.low is None:
            return ""
        return "below" if self.ratio.high < self.control.low else "at"

    @property
    def reading(self) -> str:
        """'scales' | 'gil' (≈1×: the threads took turns) | 'unclear' (the CI reaches both sides of
        SCALES)."""
        return {"above": "scales", "below": "gil", "spans": "unclear"}[self.ratio.verdict(SCALES)]

    @property
    def efficiency(self) -> float:
        return self.ratio.value / self.threads


@dataclass(frozen=True)
class CostRow:
    variant: str
    size: str
    free: float  # median on the free-threaded column
    gil: float  # median on its twin with the GIL
    ratio: CellRatio  # free ÷ gil


@dataclass(frozen=True)
class CostTable:
    free: str  # the free-threaded column's label
    gil: str  # its same-version, same-profile twin's label
    profile: str  # both columns' build profile
    version: str  # "3.13"
    rows: list[CostRow]


@dataclass(frozen=True)
class Excluded:
    cell: CellSummary

    @property
    def why(self) -> str:
        return self.cell.gil_flag


@dataclass(frozen=True)
class GilStudy:
    free_columns: list[str]  # labels of the free-threaded columns with cells in this workload
    scaling: list[GilScalingRow]
    threaded_variants: list[str]  # pure-Python variants with a cell at > 1 thread
    costs: list[CostTable]
    unmatched: list[str]  # free-threaded columns without a twin, with why
    excluded: list[Excluded]
    method: str  # how every ratio's CI is computed
    control: str | None = None  # the threads control, when it has a scaling row here
    bound: float = SCALES


def _has_gil(column: Column | None) -> bool:
    return column is None or not column.free_threaded or column.gil != "off"


def _scaling(usable: dict, samples: dict, columns: dict[str, Column], order: Order,
             control: str | None) -> list[GilScalingRow]:
    rows = []
    for c in usable.values():
        base = usable.get((c.workload, c.variant, c.interpreter, 1, c.size))
        if c.threads > 1 and base is not None:
            ratio = cell_ratio(samples, base, c, ("1 thread", f"{c.threads} threads"))
            rows.append(GilScalingRow(c.variant, c.interpreter, c.size, c.threads, base.median, c.median,
                                      ratio, _has_gil(columns.get(c.interpreter)), c.variant == control))
    limits = {(r.interpreter, r.size, r.threads): r.ratio for r in rows if r.is_control}
    rows = [replace(r, control=limits.get((r.interpreter, r.size, r.threads))) for r in rows]
    rows.sort(key=lambda r: (-order.size(r.size), order.variant(r.variant), order.interpreter(r.interpreter),
                             r.threads))
    return rows


def twin(free: Column, columns: dict[str, Column], present) -> Column | None:
    """The CPython column with the GIL of free's version and build profile (optimized with optimized, fast
    with fast; two columns whose profile is not recorded match each other), among `present`; the first in
    order."""
    return next((columns[n] for n in present if n in columns and columns[n].implementation == "cpython"
                 and not columns[n].free_threaded and columns[n].minor == free.minor
                 and columns[n].optimized == free.optimized), None)


def _cost_table(free: Column, gil: Column, usable: dict, samples: dict, order: Order) -> CostTable:
    rows = []
    for c in usable.values():
        other = usable.get((c.workload, c.variant, gil.name, 1, c.size))
        if c.interpreter == free.name and c.threads == 1 and other is not None:
            ratio = cell_ratio(samples, c, other, ("free-threaded", "with the GIL"))
            rows.append(CostRow(c.variant, c.size, c.median, other.median, ratio))
    rows.sort(key=lambda r: (-order.size(r.size), order.variant(r.variant)))
    return CostTable(order.label(free.name), order.label(gil.name), free.profile, free.minor, rows)


def _costs(free: list[Column], columns: dict[str, Column], usable: dict, samples: dict,
           order: Order) -> tuple[list[CostTable], list[str]]:
    tables, unmatched = [], []
    for column in free:
        found = twin(column, columns, order.interpreters)
        if found is None:
            unmatched.append(f"{order.label(column.name)}: no CPython {column.minor or '?'} column with the "
                             f"GIL and the same build profile ({column.profile}) ran in this run")
        else:
            tables.append(_cost_table(column, found, usable, samples, order))
    return tables, unmatched


def study(cells: list[CellSummary], samples: dict, columns: dict[str, Column], order: Order,
          control: str | None = None) -> GilStudy | None:
    """None unless this workload ran on a free-threaded column or has a pure-Python variant at > 1 thread.
    `control`: the contract's threads control, beside which each threaded variant's scaling is read."""
    python = [c for c in cells if c.technology == PYTHON and c.ok]
    free = [columns[n] for n in order.interpreters if n in columns and columns[n].free_threaded
            and any(c.interpreter == n for c in cells)]
    threaded = sorted({c.variant for c in python if c.threads > 1}, key=order.variant)
    if not free and not threaded:
        return None
    usable = {c.key: c for c in python if not c.gil_reenabled}
    tables, unmatched = _costs(free, columns, usable, samples, order)
    scaling = _scaling(usable, samples, columns, order, control)
    return GilStudy(
        free_columns=[order.label(c.name) for c in free], scaling=scaling,
        threaded_variants=threaded, costs=tables, unmatched=unmatched,
        excluded=[Excluded(c) for c in sorted(python, key=order.cell) if c.gil_reenabled],
        method=RATIO_METHOD, control=control if any(r.is_control for r in scaling) else None,
    )
