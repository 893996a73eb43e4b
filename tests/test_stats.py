"""The statistics on synthetic series (no timing here): warm-up classes, CI coverage, ratios, tests, flags."""

from __future__ import annotations

import math

import numpy as np
import pytest
from factories import JULIA_ROLES, make_record

from shootout import estimates, stats, warmup
from shootout.matrix import METHODS

# ------------------------------------------------------------------ warm-up (JIT cells)


def test_flat_series_is_flat_and_steady_after_first_call():
    w = warmup.classify([1.3, 1.0, 1.01, 0.99, 1.0, 1.0, 1.0, 1.01])
    assert w.classification == "flat" and w.steady_start == 1


def test_jit_warmup_is_detected_with_its_steady_start():
    w = warmup.classify([5.0, 3.0, 2.0, 1.5, 1.02, 1.0, 0.99, 1.01, 1.0, 1.0, 0.98, 1.0])
    assert w.classification == "warmup" and w.steady_start == 4


def test_slowdown_is_detected_two_sided():
    w = warmup.classify([1.0, 1.0, 1.0, 1.0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5])
    assert w.classification == "slowdown" and w.steady_start == 4


def test_old_rule_failure_mid_run_transient_is_not_warmup():
    """The old band rule called this warm-up and dropped the first six calls: the level was reached at call 2."""
    w = warmup.classify([2, 1, 1, 1.5, 1.5, 1.5, 1, 1, 1, 1, 1, 1])
    assert w.classification == "flat"
    assert [round(m, 3) for _s, _e, m in w.segments] == [1.0, 1.5, 1.0]


def test_old_rule_failure_lone_late_outlier_changes_nothing():
    w = warmup.classify([1.3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1.6])
    assert w.classification == "flat" and w.steady_start == 1


def test_a_gc_spike_is_set_aside_for_segmentation_but_counted():
    w = warmup.classify([1.3, 1, 1, 1, 2.0, 1, 1, 1, 1, 1, 1])
    assert w.classification == "flat" and w.steady_start == 1 and len(w.segments) == 1


def test_a_series_still_changing_at_its_end_has_no_steady_state():
    w = warmup.classify([3.0, 2.9, 2.8, 2.7, 2.6, 2.5, 2.4, 2.3, 2.2, 2.1, 2.0, 1.9, 1.8])
    assert w.classification == "no steady state" and w.steady_start == 1


@pytest.mark.parametrize("calls", [4, 6])
def test_noise_alone_is_not_called_no_steady_state(calls):
    """2% noise per call, as PyPy's 90 ms calls have here: the first rule called 34-50% of such processes "no
    steady state" by comparing single calls; the drift test now needs halves of 3 calls."""
    rng = np.random.default_rng(7)
    series = [[0.135, *(0.09 * (1 + rng.normal(0, 0.02, calls - 1)))] for _ in range(400)]
    now = [warmup.classify(t).classification for t in series]
    first = [warmup.classify(t, drift_min_calls=0).classification for t in series]
    assert now.count("no steady state") <= 0.05 * len(series) < first.count("no steady state")


def test_a_drift_over_enough_calls_is_still_no_steady_state_and_old_records_keep_the_first_rule():
    drift = [0.2, 0.100, 0.099, 0.101, 0.102, 0.104, 0.103, 0.105]  # one segment whose halves are 3% apart
    assert warmup.classify(drift).classification == "no steady state"
    still_faster = [4.07, 2.95, 2.65, 2.36]  # numpy_vectorised on PyPy, 20261128-151448-vm: -10% a call
    assert warmup.classify(still_faster).classification == "no steady state"
    assert warmup.classify([4.07, 2.95, 2.90, 2.88]).classification == "flat"  # monotone, but 2.4% end to end
    noisy = [0.135, 0.088, 0.090, 0.091]  # the first rule compared call 2 with call 4: 3.4% apart
    old = make_record("numba_njit", "cpython3.11", "cpython", noisy, technology="numba", warmup_rule="jit")
    new = make_record("numba_njit", "cpython3.11", "cpython", noisy, technology="numba",
                      warmup_rule=warmup.rule_for("cpython", "numba"))
    unlabelled = make_record("numba_njit", "cpython3.11", "cpython", noisy, technology="numba")
    assert warmup.steady_part(new).classification == "flat"
    assert warmup.steady_part(old).classification == warmup.steady_part(unlabelled).classification == "no steady state"


def test_aot_cells_only_set_the_first_call_apart():
    """CPython without a JIT: nothing but call 1 is ever dropped, whatever the series looks like."""
    record = make_record("pure_python", "cpython3.11", "cpython", [5.0, 3.0, 1.0, 1.0])
    assert warmup.steady_part(record) == warmup.Warmup(1, "first call")
    numba = make_record("numba_njit", "cpython3.11", "cpython", [5.0, 3.0, 1.0, 1.0], technology="numba")
    assert warmup.steady_part(numba).classification != "first call"


def test_interpreted_cells_keep_every_call_and_old_records_keep_their_rule():
    """Pure Python on CPython compiles nothing at run time: a record run under the interpreted rule keeps call 1;
    a record from before the rule existed (no warmup_rule) is split as it was when it was recorded."""
    assert warmup.rule_for("cpython", "python") == "interpreted"
    assert warmup.rule_for("cpython", "cython") == "aot" and warmup.rule_for("cpython", "numpy") == "aot"
    assert warmup.rule_for("pypy", "python") == warmup.rule_for("cpython", "numba") == warmup.JIT_RULE
    new = make_record("pure_python", "cpython3.11", "cpython", [4.2, 4.0], warmup_rule="interpreted")
    old = make_record("pure_python", "cpython3.11", "cpython", [4.2, 4.0])
    assert warmup.steady_part(new) == warmup.Warmup(0, "interpreted")
    assert warmup.steady_part(old) == warmup.Warmup(1, "first call")
    assert stats.process_means([new])[stats.cell_of(new)][0] == pytest.approx(4.1)


def test_calls_per_process_follow_the_rule():
    m = METHODS["default"]
    assert m.calls_for("interpreted") == (m.calls, 1, m.call_seconds)  # one call can already be measured
    assert m.calls_for("aot") == (m.warmups + m.calls, m.warmups + 1, m.call_seconds)
    assert m.calls_for("jit") == m.calls_for(warmup.JIT_RULE) == (m.jit_calls, m.jit_min_calls, m.jit_seconds)


# ------------------------------------------------------------------ intervals


def test_no_median_ci_below_six_processes():
    assert estimates.median_ci([1.0, 2, 3, 4, 5]) is estimates.NO_INTERVAL
    ci = estimates.median_ci([1.0, 2, 3, 4, 5, 6])
    assert (ci.low, ci.high) == (1.0, 6.0) and ci.coverage == pytest.approx(1 - 2 / 64)


@pytest.mark.parametrize("n", [6, 10, 20, 30])
def test_median_ci_order_statistics_have_exact_coverage_at_least_95(n):
    k, coverage = estimates.median_order_indices(n)
    assert coverage >= 0.95
    assert estimates._binomial_coverage(n, k + 1) < 0.95 if k + 1 <= n // 2 else True  # the narrowest such pair


@pytest.mark.parametrize("distribution", ["lognormal", "exponential", "normal"])
def test_median_ci_empirical_coverage_is_between_93_and_97_percent(distribution):
    """n = 20: the exact order-statistic CI X(6)..X(15) covers 95.9%; 4000 synthetic samples must agree."""
    rng = np.random.default_rng(7)
    draw, true_median = {
        "lognormal": (lambda size: rng.lognormal(0.0, 0.5, size), 1.0),
        "exponential": (lambda size: rng.exponential(2.0, size), 2.0 * math.log(2)),
        "normal": (lambda size: rng.normal(10.0, 1.0, size), 10.0),
    }[distribution]
    hits = 0
    for _ in range(4000):
        ci = estimates.median_ci(draw(20))
        hits += ci.low <= true_median <= ci.high
    assert 0.93 <= hits / 4000 <= 0.97


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
    summary = stats.summarise(records, JULIA_ROLES).set_index("variant")
    assert math.isclose(summary.loc["pure_python", "speedup"], 1.0)
    assert summary.loc["fast", "speedup"] == pytest.approx(4.0, rel=0.01)
    assert summary.loc["fast", "speedup_low"] < summary.loc["fast", "speedup"] < summary.loc["fast", "speedup_high"]
    assert summary.loc["fast", "ns_per_unit"] == pytest.approx(0.5 / 1000 * 1e9, rel=0.01)
    assert "order statistics" in summary.loc["fast", "ci_method"]
    assert not summary.loc["fast", "unstable"] and summary.loc["noisy", "unstable"]
    assert summary.loc["wrong", "status"] == "wrong_output"
    assert math.isnan(summary.loc["wrong", "median_seconds"]) and math.isnan(summary.loc["wrong", "speedup"])


def test_two_processes_get_a_median_but_no_ci_and_are_never_unstable():
    records = [_record("pure_python", [1.0, 1.0], process_index=i) for i in range(2)]
    row = stats.summarise(records, JULIA_ROLES).iloc[0]
    assert row["median_seconds"] == 1.0 and math.isnan(row["ci_low"]) and row["ci_method"] == "n too small"
    assert not row["unstable"]


def test_one_bad_process_makes_the_cell_fail():
    records = [_record("v", [1.0, 1.0, 1.0]), _record("v", [], status="crashed", process_index=1)]
    row = stats.summarise(records, JULIA_ROLES).iloc[0]
    assert row["status"] == "crashed" and not row["verified"] and math.isnan(row["median_seconds"])


def test_a_process_that_did_not_get_its_cpu_is_disturbed_with_the_evidence():
    quiet = {"wall_seconds": 2.0, "cpu_seconds": 1.98, "steal_seconds": 0.0, "involuntary_switches": 3}
    shared = {"wall_seconds": 2.0, "cpu_seconds": 1.0, "steal_seconds": 0.0, "involuntary_switches": 400}
    records = [_record("a", [1.0, 1.0], process_index=i, interference=quiet) for i in range(3)]
    records += [_record("b", [1.0, 1.0], process_index=i, interference=shared if i == 1 else quiet)
                for i in range(3)]
    summary = stats.summarise(records, JULIA_ROLES).set_index("variant")
    assert summary.loc["a", "disturbed"] == ""
    assert summary.loc["b", "disturbed"] == "1 of 3 processes: got 50% of its CPU"


def test_a_parallel_process_held_back_by_its_own_gil_is_not_disturbed_but_cpu_pressure_is_evidence():
    gil_bound = {"wall_seconds": 2.0, "cpu_seconds": 2.0, "steal_seconds": 0.0, "cpu_pressure_seconds": 0.4}
    crowded = {"wall_seconds": 2.0, "cpu_seconds": 3.0, "steal_seconds": 0.0, "cpu_pressure_seconds": 0.8}
    records = [make_record(v, "cpython3.11", "cpython", [1.0, 1.0], process_index=i, threads=2,
                           interference=crowded if (v == "b" and i == 0) else gil_bound)
               for i in range(3) for v in ("a", "b")]
    summary = stats.summarise(records, JULIA_ROLES).set_index("variant")
    assert summary.loc["a", "disturbed"] == ""  # 2 threads, 50% of 2 CPUs: the GIL, not a neighbour
    assert summary.loc["b", "disturbed"] == "1 of 3 processes: tasks waited for a CPU 40% of the time"


def test_interpreter_comparison_has_ratio_ci_exact_test_and_holm():
    records = [
        make_record(variant, interp, impl, [t * (1 + 0.01 * i)] * 4, process_index=i)
        for i in range(6)
        for variant in ("pure_python", "numpy")
        for interp, impl, t in (("cpython3.11", "cpython", 2.0), ("pypy3.9", "pypy", 0.2))
    ]
    result = stats.compare_interpreters(records, "pypy3.9", "cpython3.11")
    assert len(result) == 2
    row = result.iloc[0]
    assert row["test_method"] == "exact" and row["p_value"] == pytest.approx(2 / 924)
    assert row["p_holm"] == pytest.approx(2 * 2 / 924) and row["significant"]
    assert row["ratio_low"] <= row["ratio_a_over_b"] <= row["ratio_high"]


def test_relative_spread_is_a_robust_relative_standard_deviation():
    rng = np.random.default_rng(3)
    values = 10.0 * (1 + 0.05 * rng.standard_normal(4000))
    assert estimates.relative_spread(values) == pytest.approx(0.05, rel=0.08)
    assert estimates.relative_spread(list(values[:50]) + [1e9] * 5) < 0.1  # outliers barely move it
    assert math.isnan(estimates.relative_spread([]))


def test_relative_half_width_is_over_the_centre_and_none_without_an_interval():
    assert estimates.Interval(0.9, 1.1, "x").relative_half_width == pytest.approx(0.1)
    assert estimates.NO_INTERVAL.relative_half_width is None
