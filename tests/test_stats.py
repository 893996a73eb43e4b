"""The statistics on synthetic series (no timing here): warm-up classes, CIs, unstable flag, ranking rules."""

from __future__ import annotations

import math

import numpy as np

from shootout import stats


def test_flat_series_is_flat_and_steady_after_first_call():
    w = stats.classify([1.3, 1.0, 1.01, 0.99, 1.0, 1.0])
    assert w.classification == "flat" and w.steady_start == 1


def test_jit_warmup_is_detected_with_its_steady_start():
    times = [5.0, 3.0, 2.0, 1.5, 1.02, 1.0, 0.99, 1.01, 1.0, 1.0, 0.98, 1.0]
    w = stats.classify(times)
    assert w.classification == "warmup" and w.steady_start == 4


def test_slowdown_is_detected():
    times = [1.0, 1.0, 1.0, 1.0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5]
    assert stats.classify(times).classification in ("slowdown", "no steady state")


def test_noisy_series_has_no_steady_state():
    rng = np.random.default_rng(1)
    times = list(1 + rng.uniform(0, 0.8, size=12))
    w = stats.classify(times)
    assert w.classification == "no steady state" and w.steady_start == 1


def _record(variant, interp, impl, times, status="ok", verified=True, process_index=0):
    return {
        "workload": "julia", "variant": variant, "technology": "python",
        "interpreter": {"name": interp, "implementation": impl},
        "params": {"width": 10, "max_iterations": 5}, "threads": 1, "process_index": process_index,
        "times_seconds": times, "status": status, "verified": verified, "inner_iterations": 1000,
        "error": None if status == "ok" else "boom",
    }


def test_summary_ranks_only_verified_cells_and_flags_unstable():
    records = []
    for i in range(5):
        records.append(_record("pure_python", "cpython3.11", "cpython", [2.2, 2.0, 2.0, 2.0], process_index=i))
        records.append(_record("fast", "cpython3.11", "cpython", [0.6, 0.5, 0.5, 0.5], process_index=i))
        noisy = 0.1 * (1 + i)  # process means from 0.1 to 0.5: CI far wider than ±10 %
        records.append(_record("noisy", "cpython3.11", "cpython", [noisy] * 4, process_index=i))
        records.append(
            _record("wrong", "cpython3.11", "cpython", [0.01] * 4, status="wrong_output", verified=False, process_index=i)
        )
    summary = stats.summarise(records).set_index("variant")
    assert math.isclose(summary.loc["pure_python", "speedup"], 1.0)
    assert math.isclose(summary.loc["fast", "speedup"], 4.0)
    assert math.isclose(summary.loc["fast", "ns_per_inner_iteration"], 0.5 / 1000 * 1e9)
    assert not summary.loc["fast", "unstable"] and summary.loc["noisy", "unstable"]
    assert summary.loc["wrong", "status"] == "wrong_output"
    assert math.isnan(summary.loc["wrong", "median_seconds"]) and math.isnan(summary.loc["wrong", "speedup"])
    low, high = summary.loc["noisy", "ci_low"], summary.loc["noisy", "ci_high"]
    assert low <= summary.loc["noisy", "median_seconds"] <= high


def test_one_bad_process_makes_the_cell_fail():
    records = [
        _record("v", "cpython3.11", "cpython", [1.0, 1.0, 1.0], process_index=0),
        _record("v", "cpython3.11", "cpython", [], status="crashed", verified=False, process_index=1),
    ]
    row = stats.summarise(records).iloc[0]
    assert row["status"] == "crashed" and not row["verified"] and math.isnan(row["median_seconds"])


def test_mann_whitney_between_interpreters():
    records = [
        _record("pure_python", interp, impl, [t] * 4, process_index=i)
        for i in range(6)
        for interp, impl, t in (("cpython3.11", "cpython", 2.0 + i * 0.01), ("pypy3.9", "pypy", 0.2 + i * 0.01))
    ]
    result = stats.compare_interpreters(records, "pypy3.9", "cpython3.11")
    row = result.iloc[0]
    assert row["significant"] and row["p_value"] < 0.01 and row["ratio_a_over_b"] < 0.2
