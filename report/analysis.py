"""The report's analysis sections of one workload, from its cells alone (no workloads/ import): PyPy vs
CPython per variant (Holm's families: one per size), thread scaling (with the schedule comparison of each
schedule group), size scaling and the straight-line fits behind it, and the check of the run's design
(Kalibera & Jones's variance components). Kernel quality against the scalar C variant is in report/quality.py.

Only ok + verified cells enter any of these tables or charts; failed or wrong cells stay in the main table and
under Failures. Everything returned is typed data (numbers and archive strings) for the autoescaping template.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import pandas as pd

from shootout.results import estimates, summaries
from shootout.results.cells import CellSummary, SizeFit
from shootout.results.records import Record
from shootout.results.snapshot import ContractSnapshot

from . import figures
from .ordering import Order

# ---------------------------------------------------------------- PyPy vs CPython


@dataclass(frozen=True)
class PairRow:
    variant: str
    threads: int
    size: str
    median_pypy: float
    median_cpython: float
    ratio: float  # PyPy time ÷ CPython time
    ratio_low: float | None
    ratio_high: float | None
    u: float
    p_value: float
    p_holm: float | None
    significant: bool  # after Holm's adjustment within its family (this workload and size, this pair)
    # the CPython side is free-threaded but an extension turned the GIL back on (CellSummary.gil_flag)
    gil_flag: str = ""
    ratio_method: str = ""
    smallest_p: float = 1.0  # the smallest p-value the exact test can give with this row's processes
    family_size: int = 0  # comparisons in its Holm family (summaries.compare_interpreters)

    @property
    def pypy_faster(self) -> bool:
        return self.ratio < 1


@dataclass(frozen=True)
class Family:
    """One Holm family: the comparisons of one size between the pair (one question: which interpreter runs
    this workload faster at this size)."""

    size: str
    members: int
    smallest_p: float  # the smallest p-value any of its tests can give with its processes

    @property
    def threshold(self) -> float:
        """What the family's smallest p must be below for Holm to call anything in it significant: α / m."""
        return estimates.SIGNIFICANCE / self.members

    @property
    def reachable(self) -> bool:
        return self.smallest_p < self.threshold


@dataclass(frozen=True)
class PairTable:
    pypy: str
    cpython: str
    rows: list[PairRow]
    min_processes: int

    @property
    def pypy_faster(self) -> int:
        return sum(1 for r in self.rows if r.pypy_faster)

    @property
    def significant(self) -> int:
        return sum(1 for r in self.rows if r.significant)

    @property
    def families(self) -> list[Family]:
        """Holm's families of this table, one per size, in the table's order."""
        sizes = list(dict.fromkeys(r.size for r in self.rows))
        return [Family(size, max(max(r.family_size, 1) for r in mine), min(r.smallest_p for r in mine))
                for size in sizes for mine in [[r for r in self.rows if r.size == size]]]

    @property
    def unreachable(self) -> list[Family]:
        """Families in which no difference can be significant with the processes this run has."""
        return [f for f in self.families if not f.reachable]


def _optional(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _pair_row(t: dict) -> PairRow:
    return PairRow(
        variant=str(t["variant"]), threads=int(t["threads"]), size=str(t["size"]),
        median_pypy=float(t["median_a"]),
        median_cpython=float(t["median_b"]), ratio=float(t["ratio_a_over_b"]),
        ratio_low=_optional(t.get("ratio_low")),
        ratio_high=_optional(t.get("ratio_high")), u=float(t["mann_whitney_u"]), p_value=float(t["p_value"]),
        p_holm=_optional(t.get("p_holm")), significant=bool(t.get("significant")),
        ratio_method=str(t.get("ratio_method") or ""),
        smallest_p=_optional(t.get("smallest_p")) or estimates.smallest_p(int(t["n_a"]), int(t["n_b"])),
        family_size=int(t.get("family_size") or 0),
    )


def interpreter_comparison(tests: dict[tuple[str, str], pd.DataFrame], cells: list[CellSummary],
                           order: Order) -> list[PairTable]:
    """Per (pypy, cpython) pair: ratio and Mann-Whitney U per (variant, threads, size), cells verified on
    both."""
    verified = {c.key: c for c in cells if c.ok}
    workload = cells[0].workload if cells else None
    out = []
    for (pypy, cpython), test in tests.items():
        rows = []
        for t in ([] if test.empty else test[test["workload"] == workload].to_dict("records")):
            row = _pair_row(t)
            on_cpython = verified.get((workload, row.variant, cpython, row.threads, row.size))
            if (workload, row.variant, pypy, row.threads, row.size) in verified and on_cpython is not None:
                rows.append(replace(row, gil_flag=on_cpython.gil_flag))
        rows.sort(key=lambda r: (-order.size(r.size), order.variant(r.variant), r.threads))
        counts = [c.processes for c in cells if c.ok and c.interpreter in (pypy, cpython)]
        out.append(PairTable(pypy, cpython, rows, min(counts) if counts else 0))
    return out


# ---------------------------------------------------------------- size sweep fits


# ---------------------------------------------------------------- thread scaling


@dataclass(frozen=True)
class ScalingRow:
    variant: str
    schedule: str
    interpreter: str
    size: str
    threads: int
    median: float
    speedup: float
    speedup_low: float | None
    speedup_high: float | None
    efficiency: float
    gil_flag: str = ""  # 'GIL re-enabled in k of n processes' (a free-threaded cell that ran with the GIL)


@dataclass(frozen=True)
class ScheduleCell:
    variant: str
    schedule: str
    median: float | None
    vs_best: float | None

    @property
    def best(self) -> bool:
        return self.vs_best == 1.0


@dataclass(frozen=True)
class ScheduleRow:
    interpreter: str
    threads: int
    size: str
    cells: list[ScheduleCell]


@dataclass(frozen=True)
class ScheduleGroup:
    """Variants that differ only in how they share out work (the contract's schedule_group)."""

    name: str
    rows: list[ScheduleRow]


@dataclass(frozen=True)
class ThreadScaling:
    speedup_figure: figures.Chart
    efficiency_figure: figures.Chart
    chart_size: str
    multi_size: bool
    table: list[ScalingRow]
    groups: list[ScheduleGroup]
    schedules: list[tuple[str, str]]  # (variant, schedule) of every parallel variant in the table


def _schedule(contract: ContractSnapshot, variant: str) -> str:
    found = contract.variant(variant)
    return (found.schedule if found else None) or "–"


def _scaling_rows(scaling: pd.DataFrame, contract: ContractSnapshot, order: Order) -> list[ScalingRow]:
    rows = [ScalingRow(
        variant=str(r["variant"]), schedule=_schedule(contract, str(r["variant"])),
        interpreter=str(r["interpreter"]),
        size=str(r["size"]), threads=int(r["threads"]), median=float(r["median_seconds"]),
        speedup=float(r["speedup"]),
        speedup_low=_optional(r.get("speedup_low")), speedup_high=_optional(r.get("speedup_high")),
        efficiency=float(r["efficiency"])) for r in scaling.to_dict("records")]
    rows.sort(key=lambda r: (-order.size(r.size), order.variant(r.variant), order.interpreter(r.interpreter),
                             r.threads))
    return rows


def thread_scaling(summary: pd.DataFrame, records: list[Record], cells: list[CellSummary],
                   contract: ContractSnapshot, order: Order, prefix: str) -> ThreadScaling | None:
    """Each parallel cell against the same variant at 1 thread; None when nothing ran at ≥ 2 threads."""
    scaling = summaries.thread_scaling(summary, records) if not summary.empty else pd.DataFrame()
    if scaling.empty or int(scaling["threads"].max()) < 2:
        return None
    flags = {(c.variant, c.interpreter, c.threads, c.size): c.gil_flag for c in cells if c.gil_flag}
    table = [replace(r, gil_flag=flags.get((r.variant, r.interpreter, r.threads, r.size), ""))
             for r in _scaling_rows(scaling, contract, order)]
    chart_size = table[0].size  # the largest work
    families = list(dict.fromkeys((r.variant, r.interpreter) for r in table if r.size == chart_size))
    families.sort(key=lambda f: (order.variant(f[0]), order.interpreter(f[1])))
    lines = [figures.Series(v, i, [(r.threads, r.speedup, r.efficiency, r.median) for r in table
                                   if (r.variant, r.interpreter, r.size) == (v, i, chart_size)],
                            _schedule(contract, v))
             for v, i in families]
    speed, efficiency = figures.thread_figures(f"{prefix}-0", f"{prefix}-1", lines, order.interpreters,
                                               order.labels())
    names = sorted({r.variant for r in table}, key=order.variant)
    return ThreadScaling(speed, efficiency, chart_size, len({r.size for r in table}) > 1, table,
                         schedule_groups(cells, contract, order),
                         [(v, _schedule(contract, v)) for v in names])


def _schedule_row(key: tuple, group: list, good: dict) -> ScheduleRow | None:
    interp, threads, size = key
    medians = [good.get((v.name, interp, threads, size)) for v in group]
    present = [m for m in medians if m is not None]
    if len(present) < 2:
        return None
    best = min(present)
    return ScheduleRow(interp, threads, size, [
        ScheduleCell(v.name, v.schedule or "–", m, None if m is None else m / best)
        for v, m in zip(group, medians)])


def schedule_groups(cells: list[CellSummary], contract: ContractSnapshot,
                    order: Order) -> list[ScheduleGroup]:
    """For each schedule_group of ≥ 2 variants: their medians side by side at every interpreter, size and
    thread count where at least two of them verified."""
    good = {(c.variant, c.interpreter, c.threads, c.size): c.median for c in cells if c.ok}
    names = list(dict.fromkeys(v.schedule_group for v in contract.variants if v.schedule_group))
    out = []
    for name in names:
        group = [v for v in contract.variants if v.schedule_group == name]
        keys = sorted({(k[1], k[2], k[3]) for k in good if k[0] in {v.name for v in group}},
                      key=lambda k: (-order.size(k[2]), order.interpreter(k[0]), k[1]))
        rows = [row for key in keys if (row := _schedule_row(key, group, good)) is not None]
        if len(group) >= 2 and rows:
            out.append(ScheduleGroup(name, rows))
    return out


# ---------------------------------------------------------------- size scaling


@dataclass(frozen=True)
class SizeChart:
    interpreter: str
    figure: figures.Chart


@dataclass(frozen=True)
class SizeScaling:
    charts: list[SizeChart]
    fits: list[SizeFit]
    sizes: list[str]


def size_scaling(cells: list[CellSummary], order: Order, fits: dict, work_unit: str,
                 prefix: str) -> SizeScaling | None:
    """Median time against work units per single-thread variant, one log-log chart per interpreter."""
    if len(order.sizes) < 2:
        return None
    good = [c for c in cells if c.ok and c.threads == 1 and c.work_units]
    variants = sorted({c.variant for c in good}, key=lambda v: (order.variant(v), v))
    styles = {v: i for i, v in enumerate(variants)}
    charts = []
    for interp in (i for i in order.interpreters if any(c.interpreter == i for c in good)):
        mine = [c for c in good if c.interpreter == interp]
        series = [figures.Series(v, interp, sorted((c.work_units, c.median, c.ns_per_unit, c.size)
                                                   for c in mine if c.variant == v))
                  for v in variants if any(c.variant == v for c in mine)]
        fig = figures.size_figure(f"{prefix}-{len(charts)}", order.label(interp), series, styles, work_unit)
        if fig is not None:
            charts.append(SizeChart(interp, fig))
    if not charts:
        return None
    table = sorted((f for f in fits.values() if f.threads == 1),
                   key=lambda f: (order.variant(f.variant), order.interpreter(f.interpreter)))
    return SizeScaling(charts, table, list(order.sizes))


# ---------------------------------------------------------------- the run's design (Kalibera & Jones)

DESIGN_FACTOR = 2.0  # a recommendation this many times above (or below) the calls made is worth stating


@dataclass(frozen=True)
class DesignCheck:
    """Kalibera & Jones's variance components over one workload's verified cells: which cells the run gave
    clearly too few or too many calls per process for what a process and a call cost."""

    cells: int  # verified cells with ≥ 2 processes
    estimated: int  # with both components
    more_calls: list[CellSummary]  # recommended calls above DESIGN_FACTOR × the steady calls made per process
    fewer_calls: list[CellSummary]  # below them ÷ DESIGN_FACTOR
    no_within: int  # fewer than 2 steady calls in some process: no within-process estimate
    no_recommendation: int  # both components, but no finite recommendation (or no recorded process cost)
    factor: float = DESIGN_FACTOR
    min_processes: int = estimates.MIN_DESIGN


def design_check(cells: list[CellSummary]) -> DesignCheck | None:
    """None when no verified cell has the 2 processes the components need."""
    found = [c for c in cells if c.ok and c.steady_calls is not None]
    if not found:
        return None
    estimated = [c for c in found if c.within_spread is not None]
    advised = [c for c in estimated if c.recommended_calls is not None]
    return DesignCheck(
        cells=len(found), estimated=len(estimated),
        more_calls=[c for c in advised if c.recommended_calls > DESIGN_FACTOR * c.steady_calls],
        fewer_calls=[c for c in advised if c.recommended_calls * DESIGN_FACTOR < c.steady_calls],
        no_within=len(found) - len(estimated), no_recommendation=len(estimated) - len(advised))
