"""Start-up against steady state: what a process pays once before it runs at its steady speed, and after how
many calls a variant has paid for it against the baseline cell.

The cost of a script that makes n calls is modelled as  one_time + n × steady,  per cell:

    interpreter start   launch to the harness's first line (fork, exec, a sandbox, the interpreter's own
                        start-up and site; record.interpreter_start_seconds)
    import              the variant's import (numpy, the compiled module, Numba...; record.import_seconds)
    prepare             the input conversion, once per process (record.prepare_seconds)
    warm-up cost        the calls before the process's steady state (call 1 always: a JIT's compilation,
                        Numba's too) above what they would have cost at its steady mean: warmup_cost
                        (counted as 0 in one_time when negative: a slowdown's early calls were faster)
    steady              the cell's time: the median of its processes' steady means (summaries)

each a median over the cell's processes. The harness's own work (argument parsing, the inputs, verification)
is left out: a user's script has none of it. For n within a JIT's warm-up the model overstates the cost (the
warm-up's later calls are counted as already paid), so a break-even found there is a conservative one.

The break-even number of calls is the least n ≥ 1 with  one_time + n × steady ≤ the baseline's: 1 when the
cell costs no more than the baseline from its first call, "never" when its steady call is not faster and it
starts behind. The baseline is summaries.baseline_cells's (the contract's baseline variant on the baseline
column): "PyPy for a short script?" is the pure-Python variant on PyPy against the same on CPython.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import warmup
from .estimates import optional
from .records import Record

NEVER = "never"


def warmup_cost(record: Record, split: warmup.Warmup) -> float | None:
    """Seconds the calls before the steady state cost above the process's steady mean (call 1 included);
    None unless the process is ok and its steady state counted."""
    if not record.ok or not split.counted:
        return None
    times = record.times_seconds
    steady = float(np.mean(split.steady_calls(times)))
    before = max(split.steady_start, 1)
    return float(sum(times[:before]) - before * steady)


@dataclass(frozen=True)
class StartupCost:
    """One cell's costs (seconds, medians over its processes); None where its records do not say."""

    interpreter_start: float | None
    import_seconds: float | None
    prepare: float | None
    first_call: float | None
    warmup_cost: float | None
    steady: float | None

    @classmethod
    def of_row(cls, row: Mapping) -> StartupCost:
        """The costs of one row of summaries.summarise's table."""
        return cls(*(optional(row.get(name)) for name in (
            "interpreter_start_seconds", "import_seconds", "prepare_seconds", "first_call_seconds",
            "warmup_cost_seconds", "median_seconds")))

    @property
    def one_time(self) -> float | None:
        """What a process pays once: interpreter start + import + prepare + warm-up cost, the last at least 0
        (calls before the steady state that were faster than it, a slowdown, pay nothing back: the model
        then overstates what a short script costs instead of crediting it with calls it never made)."""
        start, imported, prepare = self.interpreter_start, self.import_seconds, self.prepare
        warm = self.warmup_cost
        if start is None or imported is None or prepare is None or warm is None:
            return None
        return start + imported + prepare + max(0.0, warm)

    @property
    def missing(self) -> list[str]:
        """The parts the cost model needs that the records do not give (older archives, no steady state)."""
        parts = (("interpreter start", self.interpreter_start), ("import", self.import_seconds),
                 ("input conversion", self.prepare), ("warm-up cost", self.warmup_cost),
                 ("steady call", self.steady))
        return [name for name, value in parts if value is None]

    def cost(self, calls: int) -> float | None:
        """The modelled cost of a process making `calls` calls."""
        if self.one_time is None or self.steady is None:
            return None
        return self.one_time + calls * self.steady


@dataclass(frozen=True)
class BreakEven:
    calls: int | None  # None: never, or unknown (`note` says which)
    note: str  # "", "never: ...", or what is not recorded


def break_even(cell: StartupCost, baseline: StartupCost) -> BreakEven:
    """After how many calls `cell` has paid for its start-up against `baseline` (module docstring)."""
    if cell.cost(1) is None or baseline.cost(1) is None:
        missing = [f"{whose} {' and '.join(side.missing)}" for whose, side in
                   (("the cell's", cell), ("the baseline's", baseline)) if side.missing]
        return BreakEven(None, f"unknown: {'; '.join(missing)} not recorded")
    assert cell.one_time is not None and cell.steady is not None  # cost(1) is known
    assert baseline.one_time is not None and baseline.steady is not None
    if cell.one_time + cell.steady <= baseline.one_time + baseline.steady:
        return BreakEven(1, "")
    if cell.steady >= baseline.steady:
        return BreakEven(None, f"{NEVER}: its steady call is not faster than the baseline's")
    behind = cell.one_time - baseline.one_time
    return BreakEven(max(1, math.ceil(behind / (baseline.steady - cell.steady))), "")


def add_break_even(summary: pd.DataFrame, baselines: Mapping[tuple, pd.Series]) -> pd.DataFrame:
    """`one_time_seconds`, `break_even_calls` (NaN: never or unknown) and `break_even_note` for every
    verified cell against its (workload, size)'s baseline row (summaries.baseline_cells)."""
    one_time = [StartupCost.of_row(row).one_time for _, row in summary.iterrows()]
    summary = summary.assign(one_time_seconds=[math.nan if v is None else v for v in one_time],
                             break_even_calls=math.nan, break_even_note="")
    for (workload, size), base in baselines.items():
        against = StartupCost.of_row(base)
        rows = summary.index[(summary["workload"] == workload) & (summary["size"] == size)
                             & summary["verified"]]
        for idx in rows:
            if idx == base.name:  # the baseline row itself
                summary.loc[idx, "break_even_note"] = "the baseline"
                continue
            found = break_even(StartupCost.of_row(summary.loc[idx]), against)
            summary.loc[idx, "break_even_calls"] = math.nan if found.calls is None else found.calls
            summary.loc[idx, "break_even_note"] = found.note
    return summary
