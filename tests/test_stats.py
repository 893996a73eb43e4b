"""The statistics on synthetic series (no timing here): CI coverage, ratios, tests, flags (warm-up classes:
tests/test_warmup.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from factories import JULIA_ROLES, make_record

from shootout.results import cells, estimates, summaries

# ------------------------------------------------------------------ intervals


def test_no_median_ci_below_six_processes():
    assert estimates.median_ci([1.0, 2, 3, 4, 5]) is estimates.NO_INTERVAL
    ci = estimates.median_ci([1.0, 2, 3, 4, 5, 6])
    assert 1.0 < ci.low < 2.0 and 5.0 < ci.high < 6.0 and ci.coverage == estimates.CONFIDENCE


@pytest.mark.parametrize("n", [6, 10, 20, 30])
def test_median_ci_order_statistics_have_exact_coverage_at_least_95(n):
    k, coverage = estimates.median_order_indices(n)
    assert coverage >= 0.95
    # the narrowest such pair
    assert estimates._binomial_coverage(n, k + 1) < 0.95 if k + 1 <= n // 2 else True


@pytest.mark.parametrize("distribution", ["lognormal", "exponential", "normal"])
def test_median_ci_empirical_coverage_is_between_93_and_97_percent(distribution):
    """n = 20: the interpolated CI (between X(6)..X(15), exact 95.9%, and X(7)..X(14)) is nominally 95%; 2000
    synthetic samples must agree (the band is four binomial standard errors wide on each side)."""
    rng = np.random.default_rng(7)
    draw, true_median = {
        "lognormal": (lambda size: rng.lognormal(0.0, 0.5, size), 1.0),
        "exponential": (lambda size: rng.exponential(2.0, size), 2.0 * math.log(2)),
        "normal": (lambda size: rng.normal(10.0, 1.0, size), 10.0),
    }[distribution]
    hits = 0
    for _ in range(2000):
        ci = estimates.median_ci(draw(20))
        hits += ci.low <= true_median <= ci.high
    assert 0.93 <= hits / 2000 <= 0.97


def test_ratio_ci_brackets_the_true_ratio_and_needs_five_per_side():
    rng = np.random.default_rng(3)
    a, b = 2.0 * (1 + 0.01 * rng.standard_normal(10)), 0.5 * (1 + 0.01 * rng.standard_normal(10))
    ci = estimates.ratio_ci(a, b)
    assert ci.low < 4.0 < ci.high and ci.half_width / 4.0 < 0.02
    assert estimates.ratio_ci(a[:4], b) is estimates.NO_INTERVAL


def test_exact_mann_whitney_for_small_n_and_holm():
    test = estimates.mann_whitney([1.0, 1.1, 1.2, 1.3], [2.0, 2.1, 2.2, 2.3])
    assert test.method == "exact" and test.p_value == pytest.approx(2 / 70)
    assert estimates.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


# ------------------------------------------------------------------ cell summaries


def _record(variant, times, status="ok", process_index=0, **fields):
    return make_record(variant, "cpython3.11", "cpython", times, status=status, process_index=process_index,
                       **fields)


def test_summary_ranks_only_verified_cells_with_cis_and_flags_unstable():
    records = []
    for i in range(8):
        records.append(_record("pure_python", [2.2, 2.0 + 0.001 * i, 2.0], process_index=i))
        records.append(_record("fast", [0.6, 0.5 + 0.0001 * i, 0.5], process_index=i))
        records.append(_record("noisy", [0.1 * (1 + i)] * 3, process_index=i))
        records.append(_record("wrong", [0.01] * 3, status="wrong_output", process_index=i))
    summary = summaries.summarise(records, JULIA_ROLES).set_index("variant")
    assert math.isclose(summary.loc["pure_python", "speedup"], 1.0)
    assert summary.loc["fast", "speedup"] == pytest.approx(4.0, rel=0.01)
    assert (summary.loc["fast", "speedup_low"] < summary.loc["fast", "speedup"]
            < summary.loc["fast", "speedup_high"])
    assert summary.loc["fast", "ns_per_unit"] == pytest.approx(0.5 / 1000 * 1e9, rel=0.01)
    assert "order statistics" in summary.loc["fast", "ci_method"]
    assert not summary.loc["fast", "unstable"] and summary.loc["noisy", "unstable"]
    assert summary.loc["wrong", "status"] == "wrong_output"
    assert math.isnan(summary.loc["wrong", "median_seconds"]) and math.isnan(summary.loc["wrong", "speedup"])


def test_two_processes_get_a_median_but_no_ci_and_are_never_unstable():
    records = [_record("pure_python", [1.0, 1.0], process_index=i) for i in range(2)]
    row = summaries.summarise(records, JULIA_ROLES).iloc[0]
    assert row["median_seconds"] == 1.0 and math.isnan(row["ci_low"]) and row["ci_method"] == "n too small"
    assert not row["unstable"]


def test_one_bad_process_makes_the_cell_fail():
    records = [_record("v", [1.0, 1.0, 1.0]), _record("v", [], status="crashed", process_index=1)]
    row = summaries.summarise(records, JULIA_ROLES).iloc[0]
    assert row["status"] == "crashed" and not row["verified"] and math.isnan(row["median_seconds"])


def test_a_process_that_did_not_get_its_cpu_is_disturbed_with_the_evidence():
    quiet = {"wall_seconds": 2.0, "cpu_seconds": 1.98, "steal_seconds": 0.0, "involuntary_switches": 3}
    shared = {"wall_seconds": 2.0, "cpu_seconds": 1.0, "steal_seconds": 0.0, "involuntary_switches": 400}
    records = [_record("a", [1.0, 1.0], process_index=i, interference=quiet) for i in range(3)]
    records += [_record("b", [1.0, 1.0], process_index=i, interference=shared if i == 1 else quiet)
                for i in range(3)]
    summary = summaries.summarise(records, JULIA_ROLES).set_index("variant")
    assert summary.loc["a", "disturbed"] == ""
    assert summary.loc["b", "disturbed"] == "1 of 3 processes: got 50% of its CPU"


def test_a_parallel_process_held_back_by_its_own_gil_is_not_disturbed_but_cpu_pressure_is_evidence():
    gil_bound = {"wall_seconds": 2.0, "cpu_seconds": 2.0, "steal_seconds": 0.0, "cpu_pressure_seconds": 0.4}
    crowded = {"wall_seconds": 2.0, "cpu_seconds": 3.0, "steal_seconds": 0.0, "cpu_pressure_seconds": 0.8}
    records = [make_record(v, "cpython3.11", "cpython", [1.0, 1.0], process_index=i, threads=2,
                           interference=crowded if (v == "b" and i == 0) else gil_bound)
               for i in range(3) for v in ("a", "b")]
    summary = summaries.summarise(records, JULIA_ROLES).set_index("variant")
    assert summary.loc["a", "disturbed"] == ""  # 2 threads, 50% of 2 CPUs: the GIL, not a neighbour
    assert summary.loc["b", "disturbed"] == "1 of 3 processes: tasks waited for a CPU 40% of the time"


def test_interpreter_comparison_has_ratio_ci_exact_test_and_holm():
    records = [
        make_record(variant, interp, impl, [t * (1 + 0.01 * i)] * 4, process_index=i)
        for i in range(6)
        for variant in ("pure_python", "numpy")
        for interp, impl, t in (("cpython3.11", "cpython", 2.0), ("pypy3.9", "pypy", 0.2))
    ]
    result = summaries.compare_interpreters(records, "pypy3.9", "cpython3.11")
    assert len(result) == 2
    row = result.iloc[0]
    assert row["test_method"] == "exact" and row["p_value"] == pytest.approx(2 / 924)
    assert row["p_holm"] == pytest.approx(2 * 2 / 924) and row["significant"]
    assert row["ratio_low"] <= row["ratio_a_over_b"] <= row["ratio_high"]
    assert row["family"] == "julia 10x5: pypy3.9 vs cpython3.11" and row["family_size"] == 2
    assert row["smallest_p"] == pytest.approx(2 / 924) and row["threshold"] == pytest.approx(0.025)


def test_holm_families_are_per_size_so_6_processes_a_side_can_reach_significance():
    """6 variants at 4 sizes, 6 processes a side: 24 comparisons. As one family, Holm needed p < 0.05/24 =
    0.00208 for the first rejection and the exact test cannot go below 2/924 = 0.00216; per size it needs
    0.0083."""
    records = [make_record(variant, interp, impl, [t * (1 + 0.01 * i)] * 4, process_index=i, size=size)
               for i in range(6) for size in ("1x1", "2x2", "3x3", "4x4")
               for variant in ("v1", "v2", "v3", "v4", "v5", "v6")
               for interp, impl, t in (("cpython3.11", "cpython", 2.0), ("pypy3.9", "pypy", 0.2))]
    result = summaries.compare_interpreters(records, "pypy3.9", "cpython3.11")
    assert len(result) == 24 and set(result["family_size"]) == {6} and result["family"].nunique() == 4
    assert result["significant"].all() and result["p_holm"].max() == pytest.approx(6 * 2 / 924)
    assert not any(p < 0.05 for p in estimates.holm(list(result["p_value"])))  # the old, archive-wide family


def test_relative_spread_is_a_robust_relative_standard_deviation():
    rng = np.random.default_rng(3)
    values = 10.0 * (1 + 0.05 * rng.standard_normal(4000))
    assert estimates.relative_spread(values) == pytest.approx(0.05, rel=0.08)
    assert estimates.relative_spread(list(values[:50]) + [1e9] * 5) < 0.1  # outliers barely move it
    assert math.isnan(estimates.relative_spread([]))


def test_relative_half_width_is_over_the_centre_and_none_without_an_interval():
    assert estimates.Interval(0.9, 1.1, "x").relative_half_width == pytest.approx(0.1)
    assert estimates.NO_INTERVAL.relative_half_width is None


# ------------------------------------------------------------------ a run's time structure and design


def _drifting_run(with_rounds: bool) -> list[dict]:
    """The baseline twice a round and a 4× faster cell once a round, 6 rounds, the machine 10% faster or
    slower from round to round (shared by everything in the round), 0.3% noise of their own."""
    rng = np.random.default_rng(2)
    machine = np.exp(0.10 * rng.standard_normal(6))
    records = []
    for i, (variant, level, rounds) in enumerate([("pure_python", 2.0, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]),
                                                   ("fast", 0.5, [0, 1, 2, 3, 4, 5])]):
        for j, r in enumerate(rounds):
            t = level * machine[r] * (1 + 0.003 * rng.standard_normal())
            extra = {"round": r} if with_rounds else {}
            records.append(_record(variant, [t, t, t], process_index=j,
                                   started_at=1000.0 + 60 * r + i + j % 2, **extra))
    return records


def test_speedups_are_paired_by_round_when_records_carry_rounds_and_old_records_keep_the_bootstrap():
    paired = summaries.summarise(_drifting_run(True), JULIA_ROLES).set_index("variant").loc["fast"]
    plain = summaries.summarise(_drifting_run(False), JULIA_ROLES).set_index("variant").loc["fast"]
    assert paired["speedup_method"].startswith("paired by round: the median over the 6 rounds both ran in "
                                               "of the baseline ÷ the cell")
    assert plain["speedup_method"].startswith("percentile bootstrap")
    assert paired["speedup_low"] < 4.0 < paired["speedup_high"]
    assert (paired["speedup_high"] - paired["speedup_low"]
            < 0.1 * (plain["speedup_high"] - plain["speedup_low"]))


def test_a_cell_whose_processes_drift_together_gets_a_ci_widened_by_its_effective_sample_size():
    levels = 2.0 * (1 + 0.02 * np.sin(np.arange(20) / 3))  # slow episodes longer than one process
    records = [_record("pure_python", [t, t, t], process_index=i, started_at=1000.0 + 9 * i)
               for i, t in enumerate(levels)]
    row = summaries.summarise(records, JULIA_ROLES).iloc[0]
    plain = estimates.median_ci(levels)
    assert row["serial_lag1"] > 0.8 and row["effective_processes"] < 3
    assert "n_eff" in row["ci_method"] and row["ci_low"] < plain.low and row["ci_high"] > plain.high
    for r in records:
        r.started_at = None
    undated = summaries.summarise(records, JULIA_ROLES).iloc[0]
    assert (math.isnan(undated["serial_lag1"])
            and (undated["ci_low"], undated["ci_high"]) == (plain.low, plain.high))


def test_each_cell_has_its_variance_components_or_says_why_not():
    rng = np.random.default_rng(6)
    records = []
    for i in range(8):
        level = 1.0 * (1 + 0.02 * rng.standard_normal())
        calls = [level * (1 + 0.005 * rng.standard_normal()) for _ in range(6)]
        records.append(_record("many_calls", calls, process_index=i, process_wall_seconds=sum(calls) + 4.0))
        records.append(_record("one_call", [1.2, 1.0 + 0.01 * i], process_index=i, process_wall_seconds=3.0))
    summary = summaries.summarise(records, JULIA_ROLES).set_index("variant")
    many, one = summary.loc["many_calls"], summary.loc["one_call"]
    assert many["steady_calls"] == 5 and 0.002 < many["within_spread"] < 0.01 < many["between_spread"] < 0.04
    assert many["recommended_calls"] >= 1 and "c₂ = " in many["design_note"]
    assert math.isnan(one["within_spread"]) and "fewer than 2 steady calls" in one["design_note"]
    assert one["process_spread"] > 0


# ------------------------------------------------------------------ what the report says of them


def test_the_pair_table_warns_only_for_families_that_cannot_reach_significance():
    from report.analysis import PairRow, PairTable

    def row(size, family_size):
        return PairRow("v", 1, size, 1.0, 2.0, 0.5, None, None, 0.0, 2 / 924, None, False,
                       smallest_p=estimates.smallest_p(6, 6), family_size=family_size)

    table = PairTable("pypy3.9", "cpython3.11", [row("small", 6)] * 6 + [row("large", 24)] * 2, 6)
    assert [(f.size, f.members) for f in table.families] == [("small", 6), ("large", 24)]
    assert [f.size for f in table.unreachable] == ["large"]
    assert table.families[0].threshold == pytest.approx(0.05 / 6)


def test_the_design_check_names_cells_whose_recommended_calls_are_far_from_those_made():
    from dataclasses import replace

    from report.analysis import design_check
    from shootout.results.cells import CellSummary

    plain = CellSummary("w", "v", "python", "cpython3.11", "cpython", 1, "s", "ok", True, 8, median=1.0)
    cells = [replace(plain, variant="few", steady_calls=3.0, within_spread=0.01, between_spread=0.001,
                     recommended_calls=30.0),
             replace(plain, variant="many", steady_calls=30.0, within_spread=0.001, between_spread=0.01,
                     recommended_calls=2.0),
             replace(plain, variant="fine", steady_calls=4.0, within_spread=0.01, between_spread=0.01,
                     recommended_calls=5.0),
             replace(plain, variant="one_call", steady_calls=1.0),
             replace(plain, variant="two_processes", processes=2)]
    found = design_check(cells)
    assert (found.cells, found.estimated, found.no_within, found.no_recommendation) == (4, 3, 1, 0)
    assert ([c.variant for c in found.more_calls] == ["few"]
            and [c.variant for c in found.fewer_calls] == ["many"])
    assert "within-process 1.00%" in cells[0].design_text


def test_the_gil_study_and_the_thread_scaling_section_state_one_ratio_for_one_pair_of_cells():
    """Both divide the 1-thread cell by the 2-thread cell of the same variant: one rule (cells.cell_ratio and
    summaries.thread_scaling both call summaries.ratio), so a round-paired estimate is the same number in
    both places, not a paired one in one section and a bootstrap of medians in the other."""
    rng = np.random.default_rng(7)
    records = []
    for index in range(8):
        drift = 1 + 0.2 * index  # the machine slows down run after run: pairing by round cancels it
        for threads, seconds in ((1, 1.0), (2, 0.55)):
            times = list(seconds * drift * (1 + 0.01 * rng.standard_normal(4)))
            records.append(make_record("threads", "cpython3.13t", "cpython", times, threads=threads,
                                       process_index=index, round=index))
    summary = summaries.summarise(records, JULIA_ROLES)
    typed = {c.key: c for c in cells.from_summary(summary, JULIA_ROLES)}
    one, two = (typed[("julia", "threads", "cpython3.13t", t, "10x5")] for t in (1, 2))
    found = cells.cell_ratio(summaries.process_samples(records), one, two, ("1 thread", "2 threads"))
    scaling = summaries.thread_scaling(summary, records)
    row = scaling[scaling["threads"] == 2].iloc[0]
    assert found.method.startswith("paired by round")
    assert (found.value, found.low, found.high) == pytest.approx(
        (row["speedup"], row["speedup_low"], row["speedup_high"]))
    assert found.value == pytest.approx(1 / 0.55, rel=0.02)
