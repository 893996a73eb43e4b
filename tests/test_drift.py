"""The machine over the run: process means against when they started, and the lag-1 autocorrelation that says
whether a cell's processes drifted together (shootout/results/drift.py). Pure logic on made records."""

from __future__ import annotations

import numpy as np
import pytest
from factories import JULIA_ROLES, make_record

from shootout.results import drift, summaries

CELL = ("julia", "pure_python", "cpython3.11", 1, "10x5")


def _records(levels, start=1000.0, every=5.0, variant="pure_python", technology="python"):
    """One interpreted process per level, started `every` seconds apart (call 1 is kept: interpreted rule)."""
    return [make_record(variant, "cpython3.11", "cpython", [level, level], process_index=i,
                        technology=technology, warmup_rule="interpreted", started_at=start + every * i)
            for i, level in enumerate(levels)]


def _ar1(n, rho, seed):
    rng = np.random.default_rng(seed)
    x = np.zeros(n)
    for t in range(1, n):
        x[t] = rho * x[t - 1] + rng.normal(0, 0.03)
    return 4.0 * np.exp(x)


def test_a_machine_that_drifts_in_episodes_shows_as_serial_correlation():
    found = drift.serial_correlation(_records(_ar1(120, 0.7, seed=3)), CELL)
    assert found.n == 120 and found.drifted and 0.5 < found.lag1 < 0.85
    assert found.n_factor == pytest.approx((1 - found.lag1) / (1 + found.lag1))


def test_independent_processes_stay_within_the_bound_about_95_percent_of_the_time():
    inside = [not drift.serial_correlation(
                  _records(4.0 * np.exp(np.random.default_rng(s).normal(0, 0.03, 40))), CELL).drifted
              for s in range(400)]
    assert 0.93 <= np.mean(inside) <= 0.995


def test_the_order_is_when_processes_started_not_their_index():
    levels = [4.0] * 10 + [5.0] * 10  # two episodes, but process indices interleave them
    records = _records(levels)
    for i, r in enumerate(records):
        r.process_index = 2 * i if i < 10 else 2 * (i - 10) + 1
    assert drift.serial_correlation(records, CELL).lag1 > 0.8


def test_too_few_or_constant_processes_give_no_correlation():
    assert drift.serial_correlation(_records([4.0, 4.1] * 3), CELL) is None  # 6 < MIN_SERIAL
    assert drift.serial_correlation(_records([4.0] * 12), CELL) is None


def test_timeline_is_relative_to_each_cell_median_in_minutes_and_skips_unverified_or_undated_records():
    records = _records([1.0, 2.0, 3.0]) + _records([0.1, 0.1, 0.2], start=1030.0, variant="cffi_c",
                                                   technology="cffi")
    records.append(make_record("cffi_c", "cpython3.11", "cpython", [9.0], status="crashed",
                               started_at=1100.0))
    records.append(make_record("cffi_c", "cpython3.11", "cpython", [9.0], process_index=9))  # no started_at
    points = drift.timeline(records)
    assert [round(p.minutes * 60) for p in points] == [0, 5, 10, 30, 35, 40]
    assert [p.relative for p in points] == pytest.approx([0.5, 1.0, 1.5, 1.0, 1.0, 2.0])
    assert [p.interpreted for p in points] == [True] * 3 + [False] * 3


def test_archives_from_before_started_at_have_no_timeline():
    records = _records([1.0, 2.0])
    for r in records:
        r.started_at = None
    assert drift.timeline(records) == []


def test_the_panel_reports_the_dependence_the_cell_ci_was_widened_by():
    records = _records(_ar1(30, 0.7, seed=5))
    found = drift.serial_correlation(records, CELL)
    sample = summaries.process_samples(records)[CELL]
    assert found.dependence == sample.dependence and found.dependence.widens
    assert "n_eff" in found.dependence.text()
    row = summaries.summarise(records, JULIA_ROLES).iloc[0]
    assert row["serial_lag1"] == pytest.approx(found.lag1) and "n_eff" in row["ci_method"]
