"""From raw records to the numbers the report states: tidy tables, steady-state process means, cell summaries
with CIs, ratios with CIs, interpreter comparisons, interference.

One number per worker process: the mean of its steady calls (warmup.py says which: the last change-point
segment for JIT cells, every call after the first for AOT ones). A cell's time is the median of its process
means, with the interpolated order-statistic CI of that median (estimates.median_ci; none below n = 6),
widened by the effective sample size when its process means are autocorrelated in the order they ran
(`started_at`). Every ratio the report states — speedup over the baseline cell, PyPy vs CPython, thread
scaling — is one estimates.ratio_ci of the two cells' process means: paired by round where the records say
which round of the run each process ran in (a drift of the machine cancels within a round), else a bootstrap
that resamples both cells and carries each one's widening. PyPy vs CPython p-values are Holm-adjusted per
family: the comparisons of one workload at one size between one pair of interpreters. Each cell also gets
Kalibera & Jones's variance components of its steady calls (within and between processes). Only ok + verified
cells get any of these.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import estimates, memory, startup, warmup
from .records import Interpreter, Record
from .snapshot import RolesSnapshot

CELL_KEYS = ["workload", "variant", "interpreter", "threads", "size"]
TOLERANCE = warmup.EQUIVALENT  # segments within this relative difference are one level
UNSTABLE_CI = 0.10  # a cell whose median CI half-width exceeds 10% of the median is flagged unstable
KERNEL_QUALITY_BOUND = 1.5
COMPILED_TECHNOLOGIES = ("cython", "pythran", "numba", "cffi")
STATUS_ORDER = ["build_failed", "crashed", "timeout", "wrong_output", "unsupported", "skipped", "ok"]
# A process saw interference when runnable tasks waited for a CPU (PSI), a serial process got less than its
# CPU, or the hypervisor stole time. CPU share is no evidence for a parallel process: a GIL, a barrier or a
# serial part leaves its threads asleep, which is the program, not a neighbour. CPU pressure counts the
# program's own threads too (handing over the GIL keeps tasks waiting), far less than a neighbour on one of
# its CPUs causes: hence the high bound (docs/method.md, "When a process counts as disturbed").
DISTURBED_CPU_SHARE = 0.85  # serial processes only
# share of the wall time in which some runnable task waited for a CPU (see interference)
DISTURBED_PRESSURE = 0.30
DISTURBED_STEAL = 0.02


def split(record: Record) -> warmup.Warmup:
    if record.status != "ok":
        return warmup.Warmup(len(record.times_seconds), "")
    return warmup.steady_part(record)


def interference(record: Record) -> str | None:
    """Why this process was disturbed (one phrase with the evidence), or None."""
    seen = record.interference
    if seen is None or not seen.wall_seconds:
        return None
    wall, cpu, steal = seen.wall_seconds, seen.cpu_seconds, seen.steal_seconds
    pressure = seen.cpu_pressure_seconds
    reasons = []
    if cpu is not None and record.threads <= 1 and cpu / wall < DISTURBED_CPU_SHARE:
        reasons.append(f"got {cpu / wall:.0%} of its CPU")
    if pressure is not None and pressure / wall > DISTURBED_PRESSURE:
        reasons.append(f"tasks waited for a CPU {pressure / wall:.0%} of the time")
    if steal and steal / wall > DISTURBED_STEAL:
        reasons.append(f"{steal / wall:.1%} steal")
    return "; ".join(reasons) or None


def _process_row(r: Record, warm: warmup.Warmup) -> dict:
    seen = r.interference
    free_threaded = bool(r.interpreter.free_threaded)
    return {
        "run_id": r.run_id, "workload": r.workload, "variant": r.variant, "technology": r.technology,
        "interpreter": r.interpreter.name, "implementation": r.interpreter.implementation,
        "threads": r.threads,
        "size": r.size, "process_index": r.process_index, "status": r.status, "verified": r.verified,
        "checksum": r.checksum, "work_units": r.work_units if r.verified else None,
        "import_seconds": r.import_seconds, "prepare_seconds": r.prepare_seconds,
        "output_seconds": float(np.median(r.output_seconds)) if r.output_seconds else None,
        "first_call_seconds": r.first_call_seconds, "process_seconds": r.process_seconds,
        "interpreter_start_seconds": r.interpreter_start_seconds,
        "warmup_cost_seconds": startup.warmup_cost(r, warm), **memory.process_columns(r),
        "process_wall_seconds": r.process_wall_seconds, "build_seconds": r.build and r.build.seconds,
        "environment_seconds": r.environment and r.environment.seconds, "steady_start": warm.steady_start,
        "warmup_class": warm.classification, "counted": warm.counted,
        "cpu_seconds": seen and seen.cpu_seconds,
        "cpu_pressure_seconds": seen and seen.cpu_pressure_seconds,
        "involuntary_switches": seen and seen.involuntary_switches, "load_before": r.load_before,
        "started_at": r.started_at, "disturbed": interference(r),
        "gil_reenabled": bool(free_threaded and r.gil_enabled_after), "free_threaded": free_threaded,
    }


PROCESS_COLUMNS = list(_process_row(Record(workload="", variant="", interpreter=Interpreter()),
                                    warmup.Warmup(0, "")))


def record_rows(records: list[Record]) -> pd.DataFrame:
    """One row per worker process (what every record says once)."""
    frame = pd.DataFrame([_process_row(r, split(r)) for r in records], columns=PROCESS_COLUMNS)
    return frame.sort_values(CELL_KEYS + ["process_index"], kind="stable").reset_index(drop=True)


def tidy(records: list[Record]) -> pd.DataFrame:
    """One row per (record, call): every plot is a groupby of this."""
    rows = []
    for r in records:
        start = split(r).steady_start
        base = dict(zip(CELL_KEYS, r.cell_key))
        for index, seconds in enumerate(r.times_seconds):
            rows.append({**base, "implementation": r.interpreter.implementation,
                         "process_index": r.process_index, "call_index": index, "seconds": seconds,
                         "steady": index >= start, "status": r.status, "verified": r.verified})
    columns = CELL_KEYS + ["implementation", "process_index", "call_index", "seconds", "steady", "status",
                           "verified"]
    frame = pd.DataFrame(rows, columns=columns)
    return (frame.sort_values(CELL_KEYS + ["process_index", "call_index"], kind="stable")
            .reset_index(drop=True))


def steady_times(record: Record) -> list[float]:
    """The calls of an ok record after its warm-up (its last call when the split leaves none:
    Warmup.steady_calls)."""
    return split(record).steady_calls(record.times_seconds)


def steady_calls(record: Record) -> list[float] | None:
    """The calls a process contributes: its steady ones; None unless ok + verified, and for a process its
    warm-up rule counts apart (no steady state: warmup.classify)."""
    if not record.ok:
        return None
    part = split(record)  # once: PELT is most of a split's cost
    return part.steady_calls(record.times_seconds) if part.counted else None


def process_mean(record: Record) -> float | None:
    """The one number a process contributes: the mean of its steady calls (steady_calls), or None."""
    steady = steady_calls(record)
    return None if steady is None else float(np.mean(steady))


@dataclass(frozen=True)
class ProcessSample:
    """One cell's process means (process order) with when each process ran: the round of the run (`round`,
    set by the orchestrator) and its start (`started_at`, Unix seconds); each None unless every process
    says."""

    means: np.ndarray
    rounds: np.ndarray | None = None
    started: np.ndarray | None = None

    @property
    def in_run_order(self) -> np.ndarray | None:
        return None if self.started is None else self.means[np.argsort(self.started, kind="stable")]

    @property
    def dependence(self) -> estimates.Dependence | None:
        """The lag-1 autocorrelation of the process means in the order they started (None without started_at
        or below estimates.MIN_SERIAL processes)."""
        ordered = self.in_run_order
        return None if ordered is None else estimates.serial_dependence(ordered)


def process_samples(records: list[Record]) -> dict[tuple, ProcessSample]:
    """Per ok + verified cell: its ProcessSample."""
    found: dict[tuple, list[tuple]] = {}
    for r in sorted(records, key=lambda r: r.process_index):
        mean = process_mean(r)
        if mean is not None:
            found.setdefault(r.cell_key, []).append((mean, r.round, r.started_at))
    samples = {}
    for key, rows in found.items():
        rounds, started = [row[1] for row in rows], [row[2] for row in rows]
        samples[key] = ProcessSample(np.asarray([row[0] for row in rows]),
                                     None if None in rounds else np.asarray(rounds, dtype=int),
                                     None if None in started else np.asarray(started, dtype=float))
    return samples


def process_means(records: list[Record]) -> dict[tuple, np.ndarray]:
    """Per ok + verified cell: the steady-state mean of each of its processes (process order)."""
    return {key: sample.means for key, sample in process_samples(records).items()}


def ratio(top: ProcessSample, bottom: ProcessSample,
          labels: tuple[str, str]) -> tuple[float, estimates.Interval]:
    """median(top) ÷ median(bottom) as one estimate with its CI: paired by round when both record rounds, the
    bootstrap otherwise (each side widened by its own serial dependence)."""
    rounds = (top.rounds, bottom.rounds) if top.rounds is not None and bottom.rounds is not None else None
    ci = estimates.ratio_ci(top.means, bottom.means, rounds=rounds,
                            dependence=(top.dependence, bottom.dependence), labels=labels)
    point = ci.estimate if ci.estimate is not None else float(np.median(top.means) / np.median(bottom.means))
    return point, ci


def _cell_status(statuses: pd.Series) -> str:
    present = set(statuses)
    return next((s for s in STATUS_ORDER if s in present), min(present))


def _median(series: pd.Series) -> float:
    values = pd.to_numeric(series, errors="coerce").dropna()
    return float(values.median()) if len(values) else math.nan


def _warmup_text(classes: pd.Series) -> tuple[str, bool]:
    """'warmup: 8, flat: 2' and whether every process agrees (Barrett et al.'s cell-level consistency)."""
    counts = classes[classes != ""].value_counts()
    return ", ".join(f"{name}: {n}" for name, n in sorted(counts.items())), len(counts) <= 1


def _design_columns(found: estimates.VarianceComponents | None) -> dict:
    """Kalibera & Jones's components of one cell as summary columns (nan / "" where there are none)."""
    if found is None:
        return {"steady_calls": math.nan, "within_spread": math.nan, "between_spread": math.nan,
                "process_spread": math.nan, "recommended_calls": math.nan, "design_note": ""}
    return {"steady_calls": found.calls, "process_spread": found.process_spread,
            "within_spread": math.nan if found.within is None else found.within,
            "between_spread": math.nan if found.between is None else found.between,
            "recommended_calls": (math.nan if found.recommended_calls is None
                                  else float(found.recommended_calls)),
            "design_note": found.note}


def _cell_row(key: tuple, group: pd.DataFrame, sample: ProcessSample, first_error: dict) -> dict:
    status = _cell_status(group["status"])
    values = sample.means
    verified = bool(group["verified"].all()) and status == "ok" and len(values) > 0
    median = float(np.median(values)) if verified else math.nan
    serial = sample.dependence if verified else None
    ci = estimates.median_ci(values, dependence=serial) if verified else estimates.NO_INTERVAL
    units = group["work_units"].dropna()
    work_units = float(units.iloc[0]) if len(units) else math.nan
    classes, consistent = _warmup_text(group["warmup_class"])
    disturbed = [d for d in group["disturbed"] if isinstance(d, str) and d]
    ok = group[(group["status"] == "ok") & group["verified"]]
    apart = int((~ok["counted"].fillna(True).astype(bool)).sum())
    if apart and apart == len(ok) and status == "ok":  # outputs verified, but no process has a steady state
        first_error = {**first_error, key: f"no steady state in any of its {apart} processes "
                                           "(all counted apart): no time is estimated"}
    return {
        **dict(zip(CELL_KEYS, key)), "technology": group["technology"].iloc[0],
        "implementation": group["implementation"].iloc[0],
        "free_threaded": bool(group["free_threaded"].any()),
        "status": status, "verified": verified,
        "processes": len(group), "median_seconds": median, "ci_low": ci.low, "ci_high": ci.high,
        "ci_method": ci.method if verified else "", "unstable": bool(verified and ci.coverage is not None
                                                                    and ci.half_width > UNSTABLE_CI * median),
        "serial_lag1": serial.lag1 if serial else math.nan,
        "effective_processes": serial.effective_n if serial else math.nan,
        "ns_per_unit": median / work_units * 1e9 if verified else math.nan, "work_units": work_units,
        "prepare_seconds": _median(group["prepare_seconds"]),
        "output_seconds": _median(group["output_seconds"]),
        "import_seconds": _median(group["import_seconds"]),
        "first_call_seconds": _median(group["first_call_seconds"]),
        "interpreter_start_seconds": _median(group["interpreter_start_seconds"]),
        "warmup_cost_seconds": _median(group["warmup_cost_seconds"]),
        "process_seconds": _median(group["process_wall_seconds"]),
        "build_seconds": _median(group["build_seconds"]),
        "environment_seconds": _median(group["environment_seconds"]), "warmup_classes": classes,
        "warmup_consistent": consistent, "no_steady_state": "no steady state" in classes,
        "counted_apart": apart,
        "steady_start_median": _median(group["steady_start"]) if verified else math.nan,
        "disturbed": f"{len(disturbed)} of {len(group)} processes: {disturbed[0]}" if disturbed else "",
        "gil_reenabled": int(group["gil_reenabled"].fillna(False).astype(bool).sum()),
        "error": first_error.get(key),
    }


def summarise(records: list[Record], roles: dict[str, RolesSnapshot]) -> pd.DataFrame:
    """One row per cell. Only ok+verified cells get a median, CI, speedup and rank; others keep status and
    error.

    Speedups are over each workload's baseline cell (baseline_cells) at the same parameter set, with the
    bootstrap CI of that ratio."""
    per_process = record_rows(records)
    samples = process_samples(records)
    designs = design(records)
    memories = memory.cell_memory(records)
    first_error: dict[tuple, str] = {}
    for r in records:
        if r.error:
            first_error.setdefault(r.cell_key, r.error)
    empty = ProcessSample(np.array([]))
    rows = [{**_cell_row(key, group, samples.get(key, empty), first_error),
             **_design_columns(designs.get(key)),
             **(memories[key].columns() if key in memories else memory.NO_MEMORY_COLUMNS)}
            for key, group in per_process.groupby(CELL_KEYS, sort=True)]
    summary = pd.DataFrame(rows)
    if summary.empty:
        return summary
    summary = add_limits(add_speedups(summary, samples, roles), roles)
    return startup.add_break_even(summary, baseline_cells(summary, roles))


def design(records: list[Record]) -> dict[tuple, estimates.VarianceComponents]:
    """Per ok + verified cell with ≥ 2 processes: Kalibera & Jones's variance components of its steady calls,
    and their calls per process for its costs: a steady call (median) and a process besides its steady calls
    (median of wall time − steady calls; unknown when a process did not record its wall time)."""
    calls: dict[tuple, list[list[float]]] = {}
    overheads: dict[tuple, list[float | None]] = {}
    for r in records:
        steady = steady_calls(r)
        if steady is not None:
            wall = r.process_wall_seconds
            calls.setdefault(r.cell_key, []).append(steady)
            overheads.setdefault(r.cell_key, []).append(None if wall is None else wall - sum(steady))
    found = {}
    for key, groups in calls.items():
        costs = overheads[key]
        process = None if None in costs else float(np.median(costs))
        components = estimates.variance_components(groups,
                                                   call_seconds=float(np.median(np.concatenate(groups))),
                                                   process_seconds=process)
        if components is not None:
            found[key] = components
    return found


def baseline_columns(columns: Iterable[tuple[str, str, bool]], chosen: str | None) -> list[str]:
    """The interpreter columns a speedup's baseline may come from, best first, given (name, implementation,
    free_threaded) of each: the run's baseline interpreter if it chose one, else the CPython columns with a
    GIL by name (cpython3.11 before cpython3.13), then the free-threaded ones (what is studied, not the
    yardstick). The one rule for the sampler's plan (compare.baseline_weights) and for the speedups
    (baseline_cells)."""
    if chosen:
        return [chosen]
    return [name for name, implementation, free_threaded in sorted(columns, key=lambda c: (bool(c[2]), c[0]))
            if implementation == "cpython"]


def baseline_cells(summary: pd.DataFrame, roles: dict[str, RolesSnapshot]) -> dict[tuple, pd.Series]:
    """(workload, size) -> the verified baseline row: the contract's baseline variant, at 1 thread, on the
    best column of baseline_columns that has it verified."""
    found = {}
    for (workload, size), group in summary.groupby(["workload", "size"]):
        role = roles[workload]
        base = group[(group["variant"] == role.baseline) & group["verified"] & (group["threads"] == 1)]
        ranked = baseline_columns(zip(base["interpreter"], base["implementation"], base["free_threaded"]),
                                  role.baseline_interpreter)
        rows = base[base["interpreter"] == ranked[0]] if ranked else base.iloc[:0]
        if not rows.empty:
            found[(workload, size)] = rows.iloc[0]
    return found


def _samples(found: dict) -> dict[tuple, ProcessSample]:
    """ProcessSamples as given, or plain arrays of process means (the old argument) wrapped as samples."""
    return {key: value if isinstance(value, ProcessSample) else ProcessSample(np.asarray(value, dtype=float))
            for key, value in found.items()}


def add_speedups(summary: pd.DataFrame, samples: dict, roles: dict[str, RolesSnapshot]) -> pd.DataFrame:
    """Each verified cell's speedup over its baseline cell (summaries.ratio: baseline ÷ cell), with its CI."""
    samples = _samples(samples)
    summary = summary.assign(speedup=math.nan, speedup_low=math.nan, speedup_high=math.nan, speedup_method="")
    for (workload, size), base in baseline_cells(summary, roles).items():
        base_sample = samples[tuple(base[k] for k in CELL_KEYS)]
        for idx in summary.index[(summary["workload"] == workload) & (summary["size"] == size)
                                 & summary["verified"]]:
            point, ci = ratio(base_sample, samples[tuple(summary.loc[idx, k] for k in CELL_KEYS)],
                              ("the baseline", "the cell"))
            summary.loc[idx, ["speedup", "speedup_low", "speedup_high"]] = [point, ci.low, ci.high]
            summary.loc[idx, "speedup_method"] = ci.method
    return summary


def add_limits(summary: pd.DataFrame, all_roles: dict[str, RolesSnapshot]) -> pd.DataFrame:
    """percent_of_limit: limit time / cell time × 100, the limit being the contract's limit variant at the
    same interpreter, size and thread count (the serial one, else the parallel one at 1 thread);
    vs_scalar_c: cell time / the scalar-C variant's time for single-thread compiled cells."""
    summary["percent_of_limit"] = math.nan
    summary["vs_scalar_c"] = math.nan
    for (workload, _interp, _size), group in summary[summary["verified"]].groupby(["workload", "interpreter",
                                                                                   "size"]):
        roles = all_roles[workload]
        for idx, row in group.iterrows():
            limit = group[(group["variant"] == roles.limit_for(row["threads"]))
                          & (group["threads"] == row["threads"])]
            if row["threads"] == 1 and limit.empty:
                limit = group[(group["variant"] == roles.limit_parallel) & (group["threads"] == 1)]
            if not limit.empty:
                summary.loc[idx, "percent_of_limit"] = (100 * float(limit["median_seconds"].iloc[0])
                                                        / row["median_seconds"])
            scalar = group[(group["variant"] == roles.scalar_c) & (group["threads"] == 1)]
            if not scalar.empty and row["threads"] == 1 and row["technology"] in COMPILED_TECHNOLOGIES:
                summary.loc[idx, "vs_scalar_c"] = (row["median_seconds"]
                                                   / float(scalar["median_seconds"].iloc[0]))
    return summary


def thread_scaling(summary: pd.DataFrame, records: list[Record] | None = None) -> pd.DataFrame:
    """Speedup and efficiency of each parallel cell against the same variant at 1 thread, with the CI of
    summaries.ratio (from the records' process means; without records, the ratio of medians alone)."""
    samples = process_samples(records or [])
    rows = []
    keys = ["workload", "variant", "interpreter", "size"]
    for key, group in summary[summary["verified"]].groupby(keys):
        one = group[group["threads"] == 1]
        if one.empty or len(group) < 2:
            continue
        base = samples.get((*key[:3], 1, key[3]),
                           ProcessSample(np.array([float(one["median_seconds"].iloc[0])])))
        for _, row in group.sort_values("threads").iterrows():
            values = samples.get((*key[:3], int(row["threads"]), key[3]),
                                 ProcessSample(np.array([float(row["median_seconds"])])))
            speedup, ci = ratio(base, values, ("1 thread", f"{int(row['threads'])} threads"))
            rows.append({**dict(zip(keys, key)), "threads": int(row["threads"]),
                         "median_seconds": row["median_seconds"],
                         "speedup": speedup, "speedup_low": ci.low, "speedup_high": ci.high,
                         "efficiency": speedup / row["threads"], "efficiency_low": ci.low / row["threads"],
                         "efficiency_high": ci.high / row["threads"], "ci_method": ci.method})
    return pd.DataFrame(rows)


def _pair_row(key_a: tuple, sample_a: ProcessSample, sample_b: ProcessSample, a: str, b: str) -> dict | None:
    xa, xb = sample_a.means, sample_b.means
    test = estimates.mann_whitney(xa, xb)
    if test is None:
        return None
    point, ci = ratio(sample_a, sample_b, (a, b))
    return {"workload": key_a[0], "variant": key_a[1], "threads": key_a[3], "size": key_a[4], "a": a, "b": b,
            "median_a": float(np.median(xa)), "median_b": float(np.median(xb)), "ratio_a_over_b": point,
            "ratio_low": ci.low, "ratio_high": ci.high, "ratio_method": ci.method,
            "mann_whitney_u": test.statistic, "p_value": test.p_value, "test_method": test.method,
            "n_a": len(xa), "n_b": len(xb), "smallest_p": estimates.smallest_p(len(xa), len(xb))}


def compare_interpreters(records: list[Record], a: str, b: str) -> pd.DataFrame:
    """Per variant present on both interpreters: time ratio a/b with its CI (summaries.ratio), Mann-Whitney U
    (exact for small n) on per-process means, and Holm's adjustment within each family: the variants compared
    at one workload and size (one question: which interpreter runs this workload faster at this size).
    `threshold` is the p a family's smallest p-value must beat for anything in it to be significant (α /
    family size)."""
    samples = process_samples(records)
    rows = []
    for key_a, sample_a in sorted(samples.items()):
        sample_b = samples.get((key_a[0], key_a[1], b, key_a[3], key_a[4])) if key_a[2] == a else None
        row = _pair_row(key_a, sample_a, sample_b, a, b) if sample_b is not None else None
        if row is not None:
            rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    families = [f"{w} {size}: {a} vs {b}" for w, size in zip(frame["workload"], frame["size"])]
    frame["family"] = families
    frame["family_size"] = frame.groupby("family")["family"].transform("size")
    frame["threshold"] = estimates.SIGNIFICANCE / frame["family_size"]
    frame["p_holm"] = estimates.holm_within(list(frame["p_value"]), families)
    frame["significant"] = frame["p_holm"] < estimates.SIGNIFICANCE
    return frame
