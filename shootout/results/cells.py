"""A cell's summary as one typed value: what the report, diff and a notebook read about a cell.

One CellSummary per (workload, variant, interpreter, threads, size), made once from summaries.summarise's
table (the DataFrame stays for group-bys and the CSV exports), with what only a cell list can say: the cost
of one call when the data starts as Python lists (input conversion, once per process + the kernel + the
output conversion back to a list) and its speedup over the baseline's same cost, and why the sampler stopped
giving the cell processes (the run's planned cells); and, across a workload's sizes, the fixed and the
marginal cost of a call (size_fits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from . import estimates, records, summaries
from .estimates import optional
from .snapshot import RolesSnapshot

FAILED = tuple(sorted(str(s) for s in records.FAILED))
NOT_RUN = tuple(sorted(str(s) for s in records.NOT_RUN))


@dataclass(frozen=True)
class CellSummary:
    """One cell: how it ended, its time (median of process means, CI), its ratios and flags; None where the
    cell has no such number (not ok, not verified, or too few processes)."""

    workload: str
    variant: str
    technology: str
    interpreter: str
    implementation: str
    threads: int
    size: str
    status: str
    verified: bool
    processes: int
    median: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_method: str = ""
    unstable: bool = False
    speedup: float | None = None
    speedup_low: float | None = None
    speedup_high: float | None = None
    ns_per_unit: float | None = None
    work_units: float | None = None
    percent_of_limit: float | None = None
    vs_scalar_c: float | None = None
    prepare: float | None = None  # input conversion, once per process (median over processes)
    output: float | None = None  # output conversion, per call (median)
    import_seconds: float | None = None
    first_call: float | None = None
    process: float | None = None
    build: float | None = None
    environment: float | None = None
    warmup_classes: str = ""
    disturbed: str = ""
    from_lists: float | None = None  # prepare + median + output: one call from Python lists and back
    from_lists_speedup: float | None = None  # the baseline's from_lists ÷ this one's
    # of its processes, those whose GIL was back on after the run (free-threaded builds)
    gil_reenabled: int = 0
    counted_apart: int = 0  # of its verified processes, those with no steady state (never in its time)
    # why the cell stopped getting processes (metadata planned_cells), "" when not recorded
    sampling: str = ""
    speedup_method: str = ""  # how the speedup and its CI were computed (estimates.ratio_ci)
    serial_lag1: float | None = None  # lag-1 autocorrelation of its process means in run order
    effective_processes: float | None = None  # the AR(1) effective sample size its CI was computed for
    # Kalibera & Jones's variance components (summaries.design), relative to the cell's mean
    steady_calls: float | None = None  # steady calls per process, on average
    within_spread: float | None = None  # T1: one steady call about its process's mean
    between_spread: float | None = None  # T2: process means beyond their calls' noise
    process_spread: float | None = None  # process means as measured
    recommended_calls: float | None = None  # K&J's optimal calls per process for the measured costs
    design_note: str = ""  # how recommended_calls was computed, or why there is none
    # resident memory (memory.py), medians over its ok processes, bytes
    memory_before: float | None = None  # before call 1
    memory_peak: float | None = None  # the largest resident set during a call
    memory_growth: float | None = None  # each process's peak − before
    memory_method: str = ""  # "vmhwm", or "ru_maxrss on k of n" (lifetime peaks)
    # start-up against steady state (startup.py), seconds, medians over its processes
    interpreter_start: float | None = None  # launch to the harness's first line
    warmup_cost: float | None = None  # the calls before the steady state, above the steady rate
    one_time: float | None = None  # interpreter start + import + prepare + warm-up cost
    break_even_calls: float | None = None  # calls after which it costs no more than the baseline cell
    break_even_note: str = ""  # "never: ...", "the baseline", "unknown: ...", or ""

    @property
    def ok(self) -> bool:
        """Ran, verified and timed: the only cells ranked, charted or compared."""
        return self.status == "ok" and self.verified and self.median is not None

    @property
    def failed(self) -> bool:
        return self.status in FAILED or (self.status == "ok" and not self.verified)

    @property
    def label(self) -> str:
        return self.variant + (f" ({self.threads} threads)" if self.threads > 1 else "")

    @property
    def gil_flag(self) -> str:
        """'GIL re-enabled in k of n processes', or '' (then the cell ran free-threaded, or on a GIL
        build)."""
        return (f"GIL re-enabled in {self.gil_reenabled} of {self.processes} processes" if self.gil_reenabled
                else "")

    @property
    def key(self) -> tuple:
        return (self.workload, self.variant, self.interpreter, self.threads, self.size)

    @property
    def design_text(self) -> str:
        """Kalibera & Jones's components of this cell in one sentence (the report's calls-per-process
        tooltip)."""
        if self.steady_calls is None:
            return "no variance components: fewer than 2 verified processes"
        spread = f"{self.steady_calls:.1f} steady calls per process"
        if self.process_spread is not None:
            spread = f"process means spread {self.process_spread:.2%}; {spread}"
        if self.within_spread is None:
            return f"{spread}; {self.design_note}"
        return (f"within-process {self.within_spread:.2%} (one steady call about its process's mean), "
                f"between-process {self.between_spread:.2%} (process means beyond their calls' noise); "
                f"{spread}; {self.design_note}")


# CellSummary field -> summary column, for the fields that are plain numbers or text
NUMBERS = {
    "median": "median_seconds", "ci_low": "ci_low", "ci_high": "ci_high", "speedup": "speedup",
    "speedup_low": "speedup_low", "speedup_high": "speedup_high", "ns_per_unit": "ns_per_unit",
    "work_units": "work_units", "percent_of_limit": "percent_of_limit", "vs_scalar_c": "vs_scalar_c",
    "prepare": "prepare_seconds", "output": "output_seconds", "import_seconds": "import_seconds",
    "first_call": "first_call_seconds", "process": "process_seconds", "build": "build_seconds",
    "environment": "environment_seconds", "serial_lag1": "serial_lag1",
    "effective_processes": "effective_processes",
    "steady_calls": "steady_calls", "within_spread": "within_spread", "between_spread": "between_spread",
    "process_spread": "process_spread", "recommended_calls": "recommended_calls",
    "memory_before": "memory_before_bytes", "memory_peak": "memory_peak_bytes",
    "memory_growth": "memory_growth_bytes", "interpreter_start": "interpreter_start_seconds",
    "warmup_cost": "warmup_cost_seconds", "one_time": "one_time_seconds",
    "break_even_calls": "break_even_calls",
}
TEXTS = {"ci_method": "ci_method", "warmup_classes": "warmup_classes", "disturbed": "disturbed",
         "speedup_method": "speedup_method", "design_note": "design_note", "memory_method": "memory_method",
         "break_even_note": "break_even_note"}


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _cell(row: dict) -> CellSummary:
    named: dict[str, Any] = {name: optional(row.get(column)) for name, column in NUMBERS.items()}
    named.update({name: _text(row.get(column)) for name, column in TEXTS.items()})
    return CellSummary(
        workload=str(row["workload"]), variant=str(row["variant"]), technology=_text(row.get("technology")),
        interpreter=str(row["interpreter"]), implementation=_text(row.get("implementation")),
        threads=int(row["threads"]), size=str(row["size"]), status=str(row["status"]),
        verified=bool(row["verified"]), processes=int(row.get("processes") or 0),
        unstable=bool(row.get("unstable")), gil_reenabled=int(optional(row.get("gil_reenabled")) or 0),
        counted_apart=int(optional(row.get("counted_apart")) or 0), **named,
    )


def with_stop_reasons(cells: list[CellSummary], planned: list) -> list[CellSummary]:
    """Each cell with the reason the sampler gave for its last process (older archives have none)."""
    reasons = {}
    for p in planned:
        if isinstance(p, dict) and p.get("sampling"):
            key = (p.get("workload"), p.get("variant"), p.get("interpreter"), p.get("threads"), p.get("size"))
            reasons[key] = str(p["sampling"])
    return [replace(c, sampling=reasons.get(c.key, "")) for c in cells]


def baselines(summary: pd.DataFrame, roles: dict[str, RolesSnapshot]) -> dict[tuple[str, str], tuple]:
    """(workload, size) -> the baseline cell's key, as summaries chooses it (the speedups' denominator)."""
    if summary.empty:
        return {}
    found = summaries.baseline_cells(summary, roles)
    return {where: tuple(row[k] for k in summaries.CELL_KEYS) for where, row in found.items()}


def cell_summaries(summary: pd.DataFrame, roles: dict[str, RolesSnapshot],
                   planned: list | None = None) -> list[CellSummary]:
    """Every cell of summaries.summarise's table, typed, with why the sampler stopped (the run metadata's
    planned cells, when it has them)."""
    return with_stop_reasons(from_summary(summary, roles), planned or [])


def from_summary(summary: pd.DataFrame, roles: dict[str, RolesSnapshot]) -> list[CellSummary]:
    """Every cell of the summary, with the cost from Python lists and its speedup over the baseline's."""
    if summary.empty:
        return []
    cells = [_cell(row) for row in summary.to_dict("records")]
    cells = [replace(c, from_lists=_from_lists(c)) for c in cells]
    by_key = {c.key: c for c in cells}
    base = {where: by_key[key].from_lists
            for where, key in baselines(summary, roles).items() if key in by_key}
    out = []
    for c in cells:
        reference = base.get((c.workload, c.size))
        speedup = reference / c.from_lists if reference and c.from_lists else None
        out.append(replace(c, from_lists_speedup=speedup))
    return out


def _from_lists(cell: CellSummary) -> float | None:
    if not cell.ok or cell.median is None or cell.prepare is None or cell.output is None:
        return None
    return cell.prepare + cell.median + cell.output


@dataclass(frozen=True)
class SizeFit:
    """time = a + b · work units over the verified sizes of one (variant, interpreter, threads)."""

    variant: str
    interpreter: str
    threads: int
    a: float  # fixed seconds per call
    b_ns: float  # marginal nanoseconds per work unit
    sizes: int


def size_fits(cells: list[CellSummary]) -> dict[tuple[str, str, int], SizeFit]:
    """A least-squares line of the cells' medians against their work units per (variant, interpreter, threads)
    with ≥ 2 distinct work amounts: its intercept is the fixed cost of a call."""
    families: dict[tuple[str, str, int], list[tuple[float, float]]] = {}
    for c in cells:
        if c.ok and c.work_units and c.median is not None:
            families.setdefault((c.variant, c.interpreter, c.threads), []).append((c.work_units, c.median))
    fits = {}
    for key, points in families.items():
        distinct = len({x for x, _ in points})
        if distinct < 2:
            continue
        points.sort()
        slope, intercept = np.polyfit([p[0] for p in points], [p[1] for p in points], 1)
        fits[key] = SizeFit(*key, float(intercept), float(slope) * 1e9, distinct)
    return fits


@dataclass(frozen=True)
class CellRatio:
    """One cell's time ÷ another's (summaries.ratio: paired by round where both cells' processes say which
    round they ran in, else the bootstrap of the ratio of medians), the rule of every ratio the report
    states."""

    value: float
    low: float | None  # its 95% CI (None: too few processes for one; `method` says why)
    high: float | None
    method: str

    def verdict(self, bound: float) -> str:
        """'above' | 'below' | 'spans' the bound, by the CI (by the point value alone when there is no CI)."""
        low = self.value if self.low is None else self.low
        high = self.value if self.high is None else self.high
        return "above" if low > bound else ("below" if high < bound else "spans")


def cell_ratio(samples: dict[tuple, summaries.ProcessSample], top: CellSummary, bottom: CellSummary,
               labels: tuple[str, str]) -> CellRatio:
    """median(top) ÷ median(bottom) with its CI (summaries.ratio) from the cells' process samples; the ratio
    of the two medians alone, saying so, when a cell has no process means (cells of older records)."""
    if top.median is None or bottom.median is None:
        raise ValueError(f"no time to divide: {top.key} or {bottom.key} is not ok")
    a, b = samples.get(top.key), samples.get(bottom.key)
    if a is None or b is None or not len(a.means) or not len(b.means):
        return CellRatio(top.median / bottom.median, None, None,
                         "ratio of the cells' medians (no process means)")
    point, ci = summaries.ratio(a, b, labels)
    if math.isnan(ci.low):
        return CellRatio(point, None, None, f"no CI: {ci.method} (fewer than {estimates.MIN_BOOTSTRAP} "
                                            "processes a side)")
    return CellRatio(point, ci.low, ci.high, ci.method)
