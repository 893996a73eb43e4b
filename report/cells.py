"""The cells of an archive as typed rows, and the order the report shows them in.

One CellView per (workload, variant, interpreter, threads, size) from shootout.results.summaries.summarise,
plus the column the report derives itself: the cost of one call when the data starts as Python lists (input
conversion, once per process + the kernel + the output conversion back to a list) and its speedup over the
baseline's same cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import pandas as pd

from shootout.results import records, summaries
from shootout.results.snapshot import ContractSnapshot, RolesSnapshot

from .formatting import optional

FAILED = tuple(sorted(str(s) for s in records.FAILED))
NOT_RUN = tuple(sorted(str(s) for s in records.NOT_RUN))
IMPLEMENTATION_RANK = {"cpython": 0, "pypy": 1}


@dataclass(frozen=True)
class CellView:
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
    def row_class(self) -> str:
        return "bad" if self.failed else ("muted" if self.status != "ok" else "")

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
    def design_title(self) -> str:
        """Kalibera & Jones's components of this cell in one sentence (the calls-per-process column's
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


# CellView field -> summary column, for the fields that are plain numbers or text
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
}
TEXTS = {"ci_method": "ci_method", "warmup_classes": "warmup_classes", "disturbed": "disturbed",
         "speedup_method": "speedup_method", "design_note": "design_note"}


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _cell(row: dict) -> CellView:
    return CellView(
        workload=str(row["workload"]), variant=str(row["variant"]), technology=_text(row.get("technology")),
        interpreter=str(row["interpreter"]), implementation=_text(row.get("implementation")),
        threads=int(row["threads"]), size=str(row["size"]), status=str(row["status"]),
        verified=bool(row["verified"]), processes=int(row.get("processes") or 0),
        unstable=bool(row.get("unstable")), gil_reenabled=int(optional(row.get("gil_reenabled")) or 0),
        counted_apart=int(optional(row.get("counted_apart")) or 0),
        **{name: optional(row.get(column)) for name, column in NUMBERS.items()},
        **{name: _text(row.get(column)) for name, column in TEXTS.items()},
    )


def with_stop_reasons(cells: list[CellView], planned: list) -> list[CellView]:
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


def from_summary(summary: pd.DataFrame, roles: dict[str, RolesSnapshot]) -> list[CellView]:
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


def _from_lists(cell: CellView) -> float | None:
    if not cell.ok or cell.prepare is None or cell.output is None:
        return None
    return cell.prepare + cell.median + cell.output


# ---------------------------------------------------------------- order


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

    def cell(self, c: CellView) -> tuple:
        return (self.size(c.size), self.variant(c.variant), c.threads, self.interpreter(c.interpreter))


def interpreter_order(meta: dict, cells: list[CellView]) -> tuple:
    """Interpreters that have cells: CPython ones first, then PyPy, then anything else; by name within
    each."""
    implementation = {c.interpreter: c.implementation for c in cells}
    for info in meta.get("interpreters") or []:
        if isinstance(info, dict) and info.get("name"):
            implementation.setdefault(str(info["name"]), str(info.get("implementation") or ""))
    present = {c.interpreter for c in cells}
    return tuple(sorted(present, key=lambda n: (IMPLEMENTATION_RANK.get(implementation[n], 2), n)))


def workload_order(contract: ContractSnapshot, declared, cells: list[CellView], interpreters: tuple,
                   declared_sizes, notes: dict | None = None) -> Order:
    """The order of one workload's cells: the contract's variants, then the run's, then any other by name."""
    names = [v.name for v in contract.variants]
    names += [str(v) for v in (declared if isinstance(declared, list) else []) if isinstance(v, str)]
    names += sorted({c.variant for c in cells})
    rank: dict[str, int] = {}
    for name in names:
        rank.setdefault(name, len(rank))
    return Order(rank, interpreters, size_order(cells, declared_sizes), dict(notes or {}))


def size_order(cells: list[CellView], declared_sizes) -> tuple:
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


def implementations(cells: list[CellView]) -> dict[str, str]:
    return {c.interpreter: c.implementation for c in cells}


def interpreter_pairs(interpreters: tuple, implementation: dict[str, str]) -> list[tuple[str, str]]:
    """(pypy, cpython) name pairs present in the run, in display order."""
    cpythons = [i for i in interpreters if implementation.get(i) == "cpython"]
    pypys = [i for i in interpreters if implementation.get(i) == "pypy"]
    return [(p, c) for c in cpythons for p in pypys]
