"""From raw records to the numbers the report states: tidy table, warm-up split, medians, CIs, significance.

Warm-up detection (documented heuristic, after Barrett et al., OOPSLA 2017 "Virtual machine warmup blows hot
and cold"): per process, the steady level is the median of the second half of its calls. The steady state
starts at the first call from which WINDOW consecutive calls are within TOLERANCE above that level (the first
call is never steady: it is reported apart as first call; a lone later outlier does not move the start).
A process is
  flat           if every call after the first is already at the steady level,
  warmup         if earlier calls were slower than the steady level,
  slowdown       if earlier calls were faster (the steady level is > TOLERANCE above the early median),
  no steady state if the second half itself spreads more than 2×TOLERANCE (IQR/median) or the steady part
                 is shorter than MIN_STEADY calls; then every call after the first is used, and the class
                 is shown next to the number.
Steady-state summaries use only the steady calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

TOLERANCE = 0.05
MIN_STEADY = 2
WINDOW = 3
UNSTABLE_CI = 0.10
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20140827  # EuroSciPy 2014: fixed so re-rendering an archive gives identical numbers


@dataclass(frozen=True)
class Warmup:
    steady_start: int
    classification: str  # flat | warmup | slowdown | no steady state


def classify(times: list[float]) -> Warmup:
    n = len(times)
    if n < 2:
        return Warmup(n, "no steady state")
    values = np.asarray(times, dtype=float)
    later = values[1:]
    second_half = later[len(later) // 2 :]
    level = float(np.median(second_half))
    band = level * (1 + TOLERANCE)
    # first call from which WINDOW consecutive calls sit in the band: a lone outlier later on is noise in the
    # steady state, not a reason to throw away everything before it
    start = next(
        (i for i in range(1, n) if np.all(values[i : i + WINDOW] <= band)),
        n,
    )
    q75, q25 = np.percentile(second_half, [75, 25])
    spread = (q75 - q25) / level if level > 0 else 0.0
    early = values[1 : max(2, 1 + len(later) // 2)]
    if n - start < MIN_STEADY or spread > 2 * TOLERANCE:
        # No steady state: summaries still need numbers, so everything after the first call counts, flagged.
        return Warmup(1, "no steady state")
    if start == 1 and float(np.median(early)) < level * (1 - TOLERANCE):
        return Warmup(start, "slowdown")
    if start > 1 and float(np.median(values[1:start])) > band:
        return Warmup(start, "warmup")
    return Warmup(start, "flat")


RECORD_COLUMNS = [
    "run_id", "workload", "variant", "technology", "interpreter", "implementation", "threads", "width",
    "max_iterations", "process_index", "status", "verified", "checksum", "inner_iterations",
    "import_seconds", "first_call_seconds", "process_seconds", "process_wall_seconds", "build_seconds",
    "environment_seconds", "steady_start", "warmup_class",
]


def record_rows(records: list[dict]) -> pd.DataFrame:
    """One row per worker process (what every record says once)."""
    rows = []
    for r in records:
        times = r.get("times_seconds") or []
        warm = classify(times) if r.get("status") == "ok" else Warmup(len(times), "")
        build = r.get("build") or {}
        rows.append(
            {
                "run_id": r.get("run_id"),
                "workload": r["workload"],
                "variant": r["variant"],
                "technology": r.get("technology"),
                "interpreter": r["interpreter"].get("name"),
                "implementation": r["interpreter"].get("implementation"),
                "threads": r.get("threads", 1),
                "width": r["params"]["width"],
                "max_iterations": r["params"]["max_iterations"],
                "process_index": r.get("process_index", 0),
                "status": r.get("status"),
                "verified": bool(r.get("verified")),
                "checksum": r.get("checksum"),
                "inner_iterations": r.get("inner_iterations") if r.get("verified") else None,
                "import_seconds": r.get("import_seconds"),
                "first_call_seconds": r.get("first_call_seconds"),
                "process_seconds": r.get("process_seconds"),
                "process_wall_seconds": r.get("process_wall_seconds"),
                "build_seconds": build.get("seconds"),
                "environment_seconds": (r.get("environment") or {}).get("seconds"),
                "steady_start": warm.steady_start,
                "warmup_class": warm.classification,
            }
        )
    frame = pd.DataFrame(rows, columns=RECORD_COLUMNS)
    return frame.sort_values(CELL_KEYS + ["process_index"], kind="stable").reset_index(drop=True)


CELL_KEYS = ["workload", "variant", "interpreter", "threads", "width", "max_iterations"]


def tidy(records: list[dict]) -> pd.DataFrame:
    """One row per (record, call): every plot and summary is a groupby of this."""
    rows = []
    for r in records:
        times = r.get("times_seconds") or []
        start = classify(times).steady_start if r.get("status") == "ok" else len(times)
        for index, seconds in enumerate(times):
            rows.append(
                {
                    "workload": r["workload"],
                    "variant": r["variant"],
                    "interpreter": r["interpreter"].get("name"),
                    "implementation": r["interpreter"].get("implementation"),
                    "threads": r.get("threads", 1),
                    "width": r["params"]["width"],
                    "max_iterations": r["params"]["max_iterations"],
                    "process_index": r.get("process_index", 0),
                    "call_index": index,
                    "seconds": seconds,
                    "steady": index >= start,
                    "status": r.get("status"),
                    "verified": bool(r.get("verified")),
                }
            )
    columns = CELL_KEYS + ["implementation", "process_index", "call_index", "seconds", "steady", "status", "verified"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(CELL_KEYS + ["process_index", "call_index"], kind="stable").reset_index(drop=True)


STATUS_ORDER = ["build_failed", "crashed", "timeout", "wrong_output", "unsupported", "skipped", "ok"]


def _cell_status(statuses: pd.Series) -> str:
    present = set(statuses)
    for status in STATUS_ORDER:
        if status in present:
            return status
    return min(present)


def bootstrap_ci(values: np.ndarray) -> tuple[float, float]:
    if len(values) < 2 or np.all(values == values[0]):
        v = float(values[0]) if len(values) else math.nan
        return (v, v) if len(values) >= 2 else (math.nan, math.nan)
    result = scipy_stats.bootstrap(
        (values,), np.median, confidence_level=0.95, n_resamples=BOOTSTRAP_RESAMPLES,
        method="percentile", rng=np.random.default_rng(BOOTSTRAP_SEED),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def process_means(tidy_frame: pd.DataFrame) -> pd.DataFrame:
    """Mean steady-state time of each ok, verified process."""
    good = tidy_frame[tidy_frame["steady"] & (tidy_frame["status"] == "ok") & tidy_frame["verified"]]
    return good.groupby(CELL_KEYS + ["process_index"], as_index=False)["seconds"].mean()


def summarise(records: list[dict], baseline_variant: str = "pure_python") -> pd.DataFrame:
    """One row per cell. Only ok+verified cells get a median, speedup and rank; others keep status and error."""
    per_process = record_rows(records)
    calls = tidy(records)
    means = {key: group["seconds"].to_numpy() for key, group in process_means(calls).groupby(CELL_KEYS)}
    steady_counts = calls.groupby(CELL_KEYS)["steady"].sum()
    first_error: dict[tuple, str] = {}
    for r in records:
        if r.get("error"):
            first_error.setdefault(_cell_of(r), r["error"])
    rows = []
    for key, group in per_process.groupby(CELL_KEYS, sort=True):
        cell = dict(zip(CELL_KEYS, key))
        status = _cell_status(group["status"])
        verified = bool(group["verified"].all()) and status == "ok"
        values = means.get(key, np.array([]))
        median = float(np.median(values)) if verified and len(values) else math.nan
        low, high = bootstrap_ci(values) if verified and len(values) else (math.nan, math.nan)
        inner = group["inner_iterations"].dropna()
        inner_iterations = float(inner.iloc[0]) if len(inner) else math.nan
        classes = group["warmup_class"][group["warmup_class"] != ""]
        rows.append(
            {
                **cell,
                "technology": group["technology"].iloc[0],
                "implementation": group["implementation"].iloc[0],
                "status": status,
                "verified": verified,
                "processes": len(group),
                "steady_values": int(steady_counts.get(key, 0)) if verified else 0,
                "median_seconds": median,
                "ci_low": low,
                "ci_high": high,
                "unstable": bool(verified and len(values) >= 2 and (high - low) / 2 > UNSTABLE_CI * median),
                "ns_per_inner_iteration": median / inner_iterations * 1e9 if verified else math.nan,
                "inner_iterations": inner_iterations,
                "import_seconds": _median(group["import_seconds"]),
                "first_call_seconds": _median(group["first_call_seconds"]),
                "process_seconds": _median(group["process_wall_seconds"]),
                "build_seconds": _median(group["build_seconds"]),
                "environment_seconds": _median(group["environment_seconds"]),
                "warmup_classes": ", ".join(
                    f"{name}: {count}" for name, count in sorted(classes.value_counts().items())
                ),
                "steady_start_median": _median(group["steady_start"]) if verified else math.nan,
                "error": first_error.get(key),
            }
        )
    summary = pd.DataFrame(rows)
    if summary.empty:
        return summary
    summary["speedup"] = math.nan
    for (workload, width, max_iterations), group in summary.groupby(["workload", "width", "max_iterations"]):
        base = group[(group["variant"] == baseline_variant) & (group["implementation"] == "cpython") & group["verified"]]
        if base.empty:
            continue
        baseline = float(base.sort_values("interpreter")["median_seconds"].iloc[0])
        idx = group.index[group["verified"]]
        summary.loc[idx, "speedup"] = baseline / summary.loc[idx, "median_seconds"]
    return add_limits(summary)


# The machine's ruler: the SIMD C kernel at the same interpreter, size and thread count (issue 7).
LIMIT_VARIANTS = {1: "cffi_simd", "parallel": "cffi_simd_openmp"}
SCALAR_C = "cffi_c"
KERNEL_QUALITY_BOUND = 1.5


def add_limits(summary: pd.DataFrame) -> pd.DataFrame:
    """percent_of_limit: limit time / cell time × 100, the limit being cffi_simd (1 thread) or cffi_simd_openmp
    at the same thread count; vs_cffi_c: cell time / cffi_c time for single-thread compiled cells."""
    summary["percent_of_limit"] = math.nan
    summary["vs_cffi_c"] = math.nan
    verified = summary[summary["verified"]]
    keys = ["workload", "interpreter", "width", "max_iterations"]
    for key, group in verified.groupby(keys):
        for idx, row in group.iterrows():
            limit_name = LIMIT_VARIANTS[1] if row["threads"] == 1 else LIMIT_VARIANTS["parallel"]
            limit = group[(group["variant"] == limit_name) & (group["threads"] == row["threads"])]
            if row["threads"] == 1 and limit.empty:
                limit = group[(group["variant"] == LIMIT_VARIANTS["parallel"]) & (group["threads"] == 1)]
            if not limit.empty:
                summary.loc[idx, "percent_of_limit"] = 100 * float(limit["median_seconds"].iloc[0]) / row["median_seconds"]
            scalar = group[(group["variant"] == SCALAR_C) & (group["threads"] == 1)]
            if not scalar.empty and row["threads"] == 1 and row["technology"] in ("cython", "pythran", "numba", "cffi"):
                summary.loc[idx, "vs_cffi_c"] = row["median_seconds"] / float(scalar["median_seconds"].iloc[0])
    return summary


def thread_scaling(summary: pd.DataFrame) -> pd.DataFrame:
    """Speedup and efficiency of each parallel cell against the same variant at 1 thread."""
    rows = []
    verified = summary[summary["verified"]]
    keys = ["workload", "variant", "interpreter", "width", "max_iterations"]
    for key, group in verified.groupby(keys):
        one = group[group["threads"] == 1]
        if one.empty or len(group) < 2:
            continue
        base = float(one["median_seconds"].iloc[0])
        for _, row in group.sort_values("threads").iterrows():
            speedup = base / row["median_seconds"]
            rows.append({**dict(zip(keys, key)), "threads": int(row["threads"]), "median_seconds": row["median_seconds"],
                         "speedup": speedup, "efficiency": speedup / row["threads"]})
    return pd.DataFrame(rows)


def _cell_of(record: dict) -> tuple:
    """A record's cell as a CELL_KEYS tuple (what per-process groupbys yield as keys)."""
    return (
        record["workload"], record["variant"], record["interpreter"].get("name"), record.get("threads", 1),
        record["params"]["width"], record["params"]["max_iterations"],
    )


def _median(series: pd.Series) -> float:
    values = pd.to_numeric(series, errors="coerce").dropna()
    return float(values.median()) if len(values) else math.nan


def compare_interpreters(records: list[dict], a: str, b: str) -> pd.DataFrame:
    """Mann-Whitney U on per-process steady means, per variant present on both interpreters (A vs B)."""
    means = process_means(tidy(records))
    rows = []
    keys = ["workload", "variant", "threads", "width", "max_iterations"]
    for key, group in means.groupby(keys):
        xa = group[group["interpreter"] == a]["seconds"].to_numpy()
        xb = group[group["interpreter"] == b]["seconds"].to_numpy()
        if len(xa) < 2 or len(xb) < 2:
            continue
        test = scipy_stats.mannwhitneyu(xa, xb, alternative="two-sided")
        rows.append(
            {
                **dict(zip(keys, key)),
                "a": a,
                "b": b,
                "median_a": float(np.median(xa)),
                "median_b": float(np.median(xb)),
                "ratio_a_over_b": float(np.median(xa) / np.median(xb)),
                "mann_whitney_u": float(test.statistic),
                "p_value": float(test.pvalue),
                "significant": bool(test.pvalue < 0.05),
            }
        )
    return pd.DataFrame(rows)
