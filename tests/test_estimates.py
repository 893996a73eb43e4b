"""The interval estimates on synthetic numbers (no timing): the interpolated median CI, the widening for
serial dependence, ratios paired by round, Holm within families and Kalibera & Jones's variance components.
The coverage figures themselves are in docs/coverage.md (benchmarks/simulate_coverage.py); these small seeded
simulations only check the properties that make them hold."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from shootout.results import estimates


def _ideal(n: int) -> np.ndarray:
    """A sample with no sampling noise: the normal quantiles at (i - 1/2)/n."""
    return scipy_stats.norm.ppf((np.arange(1, n + 1) - 0.5) / n)


def _ar1(n: int, r: float, rng: np.random.Generator) -> np.ndarray:
    x = np.empty(n)
    x[0] = rng.normal()
    for t in range(1, n):
        x[t] = r * x[t - 1] + rng.normal() * math.sqrt(1 - r * r)
    return 1 + 0.03 * x


# ------------------------------------------------------------------ the median


def test_interpolated_median_ci_narrows_with_n_where_the_exact_pair_jumps():
    """The exact pair stays [min, max] from n = 6 to 8, so its width grows by 7% there (and jumps again at
    each change of k); the interpolated one never grows by more than 0.01% from one n to the next."""
    interpolated = [estimates.median_ci(_ideal(n)).half_width for n in range(6, 80)]
    exact = [estimates.order_statistic_ci(_ideal(n)).half_width for n in range(6, 80)]
    assert max(b / a for a, b in zip(interpolated, interpolated[1:])) < 1.0001
    assert exact[1] > 1.05 * exact[0] and exact[2] > 1.04 * exact[1]


def test_interpolated_median_ci_lies_between_its_two_order_statistic_pairs_and_none_below_six():
    x = np.arange(1.0, 7.0)
    ci = estimates.median_ci(x)
    assert 1.0 < ci.low < 2.0 and 5.0 < ci.high < 6.0 and ci.coverage == estimates.CONFIDENCE
    assert "X(1)..X(6) (exact coverage 96.9%)" in ci.method and "X(2)..X(5) (78.1%)" in ci.method
    assert estimates.median_ci(x[:5]) is estimates.NO_INTERVAL and estimates.MIN_MEDIAN_CI == 6
    exact = estimates.order_statistic_ci(x)
    assert (exact.low, exact.high) == (1.0, 6.0) and exact.coverage == pytest.approx(1 - 2 / 64)


@pytest.mark.parametrize("n", [7, 8, 12])
def test_interpolated_median_ci_covers_about_95_percent_where_the_exact_pair_over_covers(n):
    rng = np.random.default_rng(n)
    samples = [rng.exponential(1.0, n) for _ in range(3000)]
    truth = math.log(2)
    covered = np.mean([(ci := estimates.median_ci(x)).low <= truth <= ci.high for x in samples])
    exact = np.mean([(ci := estimates.order_statistic_ci(x)).low <= truth <= ci.high for x in samples])
    assert 0.93 <= covered <= 0.97
    assert n == 12 or exact > 0.975  # n = 7, 8: [min, max], 98.4% and 99.2%


# ------------------------------------------------------------------ serial dependence


def test_widening_is_a_no_op_for_values_no_more_correlated_than_independent_ones():
    alternating = np.array([1.0, 1.02] * 6)  # r̂ = -0.92
    found = estimates.serial_dependence(alternating)
    assert found.lag1 < -1 / 12 and not found.widens and found.inflation == 1.0
    assert estimates.median_ci(alternating, dependence=found) == estimates.median_ci(alternating)
    assert estimates.serial_dependence(alternating[:estimates.MIN_SERIAL - 1]) is None


def test_widening_follows_the_bias_corrected_lag1_with_its_margin():
    found = estimates.Dependence(12, 0.32)  # what 12 processes of an AR(1) at r = 0.6 give on average
    used = (12 * 0.32 + 1) / 8 + estimates.LAG1_MARGIN / math.sqrt(12)
    assert (found.used == pytest.approx(used)
            and found.effective_n == pytest.approx(12 * (1 - used) / (1 + used)))
    assert estimates.Dependence(12, 0.99).used == estimates.MAX_LAG1


def test_autocorrelated_values_get_a_wider_ci_centred_where_the_plain_one_is():
    x = _ar1(30, 0.6, np.random.default_rng(0))  # r̂ = 0.74
    found = estimates.serial_dependence(x)
    plain, widened = estimates.median_ci(x), estimates.median_ci(x, dependence=found)
    factor = math.sqrt(found.inflation)
    assert found.widens and factor > 1.5
    median = float(np.median(x))
    assert widened.high - median == pytest.approx(factor * (plain.high - median))
    assert median - widened.low == pytest.approx(factor * (median - plain.low))
    assert "n_eff" in widened.method


def test_widening_restores_coverage_under_drift_and_keeps_it_without():
    """A baseline's 30 process means following an AR(1) at r = 0.6: the plain CI misses the median about one
    time in four, the widened one about one in twenty; on independent values the widening changes little."""
    rng = np.random.default_rng(11)
    drifting = [_ar1(30, 0.6, rng) for _ in range(600)]
    independent = [1 + 0.03 * rng.standard_normal(30) for _ in range(600)]

    def coverage(samples, widen):
        found = [estimates.median_ci(x, dependence=estimates.serial_dependence(x) if widen else None)
                 for x in samples]
        return np.mean([ci.low <= 1.0 <= ci.high for ci in found])

    assert coverage(drifting, False) < 0.85
    assert coverage(drifting, True) >= 0.9
    assert 0.93 <= coverage(independent, True) <= 0.98


# ------------------------------------------------------------------ ratios


def test_ratio_ci_with_no_shared_round_is_the_plain_bootstrap_and_says_why():
    rng = np.random.default_rng(3)
    a, b = 4 * (1 + 0.02 * rng.standard_normal(12)), 0.5 * (1 + 0.02 * rng.standard_normal(6))
    plain = estimates.ratio_ci(a, b)
    own_rounds = estimates.ratio_ci(a, b, rounds=(np.arange(12), np.arange(100, 106)))
    assert (own_rounds.low, own_rounds.high, own_rounds.estimate) == (plain.low, plain.high, plain.estimate)
    assert plain.method.startswith("percentile bootstrap") and "0 shared rounds" in own_rounds.method
    assert plain.estimate == pytest.approx(np.median(a) / np.median(b))


def test_pairing_by_round_cancels_a_drift_both_cells_shared():
    """Both cells 10% faster or slower together from round to round: the paired CI stays as narrow as the
    processes' own noise, the independent bootstrap spreads over the drift."""
    rng = np.random.default_rng(5)
    machine = np.exp(0.10 * rng.standard_normal(12))
    a = 4 * machine * (1 + 0.005 * rng.standard_normal(12))
    b = 0.5 * machine * (1 + 0.005 * rng.standard_normal(12))
    paired = estimates.ratio_ci(a, b, rounds=(np.arange(12), np.arange(12)), labels=("base", "cell"))
    plain = estimates.ratio_ci(a, b)
    assert paired.low < 8 < paired.high and paired.relative_half_width < 0.01 < plain.relative_half_width
    assert paired.method.startswith("paired by round: the median over the 12 rounds both ran in "
                                    "of base ÷ cell")
    logs = np.log(a) - np.log(b)
    assert paired.estimate == pytest.approx(math.exp(np.median(logs)))


def test_a_round_with_two_processes_of_one_cell_counts_once_as_their_geometric_mean():
    shared, logs = estimates.paired_log_ratios([2.0, 8.0, 3.0], [0, 0, 1], [1.0, 1.0], [0, 1])
    assert list(shared) == [0, 1] and logs == pytest.approx([math.log(4.0), math.log(3.0)])


def test_the_bootstrap_carries_each_sides_widening():
    rng = np.random.default_rng(8)
    a, b = 4 * (1 + 0.02 * rng.standard_normal(30)), 0.5 * (1 + 0.02 * rng.standard_normal(30))
    plain = estimates.ratio_ci(a, b)
    assert estimates.ratio_ci(a, b, dependence=(None, None)) == plain
    wide = estimates.ratio_ci(a, b, dependence=(estimates.Dependence(30, 0.6), None))
    assert wide.low < plain.low and wide.high > plain.high and "n_eff" in wide.method


# ------------------------------------------------------------------ tests


def test_holm_is_applied_within_each_family_only():
    p = [0.004, 0.03, 0.01, 0.02]
    assert estimates.holm_within(p, ["a", "a", "b", "b"]) == pytest.approx([0.008, 0.03, 0.02, 0.02])
    assert estimates.holm_within(p, ["x"] * 4) == pytest.approx(estimates.holm(p))


def test_the_smallest_exact_mann_whitney_p_value():
    assert estimates.smallest_p(6, 6) == pytest.approx(2 / 924)
    assert estimates.smallest_p(6, 6) > estimates.SIGNIFICANCE / 24  # why one family of 24 could never reject
    assert estimates.smallest_p(1, 1) == 1.0 and estimates.smallest_p(0, 5) == 1.0


# ------------------------------------------------------------------ Kalibera & Jones


def _two_level(processes: int, calls: int, between: float, within: float, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [10.0 * (1 + between * rng.standard_normal() + within * rng.standard_normal(calls))
            for _ in range(processes)]


def test_variance_components_recover_a_known_two_level_design():
    found = estimates.variance_components(_two_level(400, 8, 0.02, 0.01, seed=1), call_seconds=1.0,
                                          process_seconds=25.0)
    assert found.within == pytest.approx(0.01, rel=0.05) and found.between == pytest.approx(0.02, rel=0.1)
    assert found.calls == 8 and found.processes == 400
    expected = math.ceil(math.sqrt(25.0 * found.within ** 2 / found.between ** 2))  # ≈ √(25/4) → 3
    assert found.recommended_calls == expected == 3
    assert "⌈√((c₂/c₁)·(T₁²/T₂²))⌉" in found.note


def test_variance_components_say_what_they_cannot_estimate():
    one_call = estimates.variance_components([[1.0], [1.1], [0.9]] * 3)
    assert one_call.within is None and one_call.recommended_calls is None
    assert "9 of 9 processes have fewer than 2 steady calls" in one_call.note
    no_between = estimates.variance_components(_two_level(40, 8, 0.0, 0.01, seed=2), call_seconds=1.0,
                                               process_seconds=5.0)
    assert no_between.between == pytest.approx(0.0, abs=0.002)
    few = estimates.variance_components(_two_level(4, 8, 0.02, 0.01, seed=3), call_seconds=1.0,
                                        process_seconds=5.0)
    assert few.recommended_calls is None and "below 6 processes" in few.note
    unknown = estimates.variance_components(_two_level(8, 8, 0.02, 0.01, seed=4), call_seconds=1.0)
    assert unknown.recommended_calls is None and "not recorded" in unknown.note
    assert estimates.variance_components([[1.0, 1.0]]) is None
