"""Interval estimates and tests that say how they were computed, and give none where n cannot support one.
Their coverage is measured, not assumed: benchmarks/simulate_coverage.py (figures in docs/coverage.md).

- median_ci: distribution-free CI of a median from order statistics, interpolated after Hettmansperger &
  Sheather (1986): between the narrowest symmetric pair (X(k), X(n+1-k)) whose exact binomial coverage is at
  least CONFIDENCE and the next pair inwards, weighted so the interval's nominal coverage is CONFIDENCE. The
  exact pair alone (order_statistic_ci) stays [min, max] from n = 6 to 8 and its length jumps with n; the
  interpolated one narrows steadily. None below n = 6 (MIN_MEDIAN_CI), where even [min, max] covers < 95%.
  Given a Dependence (the sample's lag-1 autocorrelation in the order it was taken), the interval is widened
  about the median by √(n/n_eff), n_eff = n(1−r)/(1+r) the AR(1) effective sample size.
- ratio_ci: CI of a ratio of two samples' medians. With the rounds each process ran in and at least
  MIN_PAIRED rounds shared by both samples: paired by round — the median over shared rounds of the per-round
  ratio (each sample's processes in a round averaged in log), with median_ci's interval over those ratios; a
  machine that drifts over the run then cancels within each round. Otherwise a percentile bootstrap of
  median(a) / median(b), both samples resampled independently (RESAMPLES times, fixed seed so re-rendering an
  archive gives identical numbers; n >= MIN_BOOTSTRAP a side), each side's resampled medians spread by its own
  √(n/n_eff) when its processes are autocorrelated in run order.
- mann_whitney: exact p-value (no ties, both n <= EXACT_MAX) else the asymptotic one, saying which.
- holm / holm_within: Holm's step-down adjustment over a family of p-values / over each family of a list.
- variance_components: Kalibera & Jones's (ISMM 2013) within- and between-process variance of the steady
  calls, and the calls per process that give the most precise mean for the time spent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import stats as scipy_stats

CONFIDENCE = 0.95
SIGNIFICANCE = 0.05  # a Holm-adjusted p below this is significant
RESAMPLES = 4000
SEED = 20140827  # EuroSciPy 2014
MIN_BOOTSTRAP = 5
EXACT_MAX = 25
MIN_SERIAL = 8  # fewer values give no lag-1 autocorrelation worth using
MAX_LAG1 = 0.9  # the autocorrelation used never exceeds this (n_eff >= n/19)
LAG1_MARGIN = 0.5  # the r used is the bias-corrected one plus this many standard errors (1/√n)
MIN_DESIGN = 6  # processes below which the variance components give no calls-per-process recommendation


def optional(value) -> float | None:
    """A number or None: NaN, None and non-numbers (a table's empty cells, any JSON) become None."""
    if value is None or isinstance(value, (bool, str)):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    method: str  # e.g. "Hettmansperger–Sheather interpolated order statistics of n=6: 0.64·X(1)..X(6) ..."
    coverage: float | None = None  # exact for an order-statistic pair, nominal for an interpolated one
    estimate: float | None = None  # the point estimate the interval goes with (ratio_ci: which ratio)

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    @property
    def relative_half_width(self) -> float | None:
        """Half-width over the interval's centre; None for no interval (or a centre <= 0)."""
        centre = (self.low + self.high) / 2
        return self.half_width / centre if centre > 0 else None  # nan > 0 is False: no interval gives None


NO_INTERVAL = Interval(math.nan, math.nan, "n too small")


def _binomial_coverage(n: int, k: int) -> float:
    """P(X(k) <= median <= X(n+1-k)) for a continuous distribution = P(k <= B <= n-k), B ~ Bin(n, 1/2)."""
    return float(scipy_stats.binom.cdf(n - k, n, 0.5) - scipy_stats.binom.cdf(k - 1, n, 0.5))


@cache
def median_order_indices(n: int, confidence: float = CONFIDENCE) -> tuple[int, float] | None:
    """The largest k (1-based) with coverage >= confidence, and that coverage; None when n is too small."""
    best = None
    for k in range(1, n // 2 + 1):
        coverage = _binomial_coverage(n, k)
        if coverage >= confidence:
            best = (k, coverage)
    return best


MIN_MEDIAN_CI = next(n for n in range(1, 100) if median_order_indices(n) is not None)  # 6 at 95%
MIN_PAIRED = MIN_MEDIAN_CI  # shared rounds a paired ratio CI needs


def relative_spread(values) -> float:
    """1.4826·MAD/median: a robust relative standard deviation (nan for no values or a median of 0)."""
    x = np.asarray(values, dtype=float)
    if len(x) == 0:
        return math.nan
    middle = float(np.median(x))
    return 1.4826 * float(np.median(np.abs(x - middle))) / middle if middle > 0 else math.nan


# ---------------------------------------------------------------- serial dependence


def lag1(series) -> float | None:
    """Lag-1 autocorrelation Σ c_t c_(t+1) / Σ c_t² of the centred series; None below 2 values or constant."""
    x = np.asarray(series, dtype=float)
    if len(x) < 2:
        return None
    centred = x - x.mean()
    denominator = float(np.sum(centred ** 2))
    return float(np.sum(centred[:-1] * centred[1:]) / denominator) if denominator > 0 else None


@dataclass(frozen=True)
class Dependence:
    """How much a sample's values, in the order they were taken, are worth: its lag-1 autocorrelation and the
    AR(1) effective sample size. The r used is the measured one with its small-sample bias removed (for an
    AR(1) series E r̂ ≈ r − (1+4r)/n, Marriott & Pope 1954: 12 values at r = 0.6 give 0.32 on average), plus
    LAG1_MARGIN/√n so the correction errs wide, at most MAX_LAG1; none (0) when r̂ ≤ −1/n, the mean r̂ of
    independent values."""

    n: int
    lag1: float

    @property
    def used(self) -> float:
        if self.lag1 <= -1 / self.n:
            return 0.0
        corrected = (self.n * self.lag1 + 1) / (self.n - 4) + LAG1_MARGIN / math.sqrt(self.n)
        return min(MAX_LAG1, corrected)

    @property
    def inflation(self) -> float:
        """n / n_eff = (1 + r)/(1 − r) for the r used; 1 when there is nothing to correct."""
        return (1 + self.used) / (1 - self.used) if self.used > 0 else 1.0

    @property
    def effective_n(self) -> float:
        return self.n / self.inflation

    @property
    def widens(self) -> bool:
        return self.inflation > 1

    def text(self) -> str:
        if not self.widens:
            return f"lag-1 r = {self.lag1:.2f} over {self.n} in run order: treated as independent"
        return (f"lag-1 r = {self.lag1:.2f} over {self.n} in run order (bias-corrected with margin: "
                f"{self.used:.2f}), n_eff = n(1−r)/(1+r) = {self.effective_n:.1f}, so widened "
                f"×{math.sqrt(self.inflation):.2f} about the median")


def serial_dependence(series) -> Dependence | None:
    """The Dependence of values in the order they were taken; None below MIN_SERIAL values or constant."""
    r = lag1(series) if len(series) >= MIN_SERIAL else None
    return None if r is None else Dependence(len(series), r)


def _widened(ci: Interval, centre: float, found: Dependence | None) -> Interval:
    if found is None or not found.widens:
        return ci
    factor = math.sqrt(found.inflation)
    return Interval(centre - factor * (centre - ci.low), centre + factor * (ci.high - centre),
                    f"{ci.method}; {found.text()}", ci.coverage, ci.estimate)


# ---------------------------------------------------------------- a median


def order_statistic_ci(values) -> Interval:
    """The exact pair (X(k), X(n+1-k)) alone: coverage >= CONFIDENCE, exactly known, its length jumping with
    n."""
    x = np.sort(np.asarray(values, dtype=float))
    found = median_order_indices(len(x))
    if found is None:
        return NO_INTERVAL
    k, coverage = found
    return Interval(float(x[k - 1]), float(x[len(x) - k]),
                    f"order statistics X({k})..X({len(x) + 1 - k}) of n={len(x)}, "
                    f"exact coverage {coverage:.1%}",
                    coverage, float(np.median(x)))


def _interpolation(n: int) -> tuple[int, float, float, float] | None:
    """(k, γ_k, γ_k+1, λ): Hettmansperger & Sheather's weight λ on the inner pair X(k+1), X(n-k), from the
    exact coverages of the outer pair (γ_k >= CONFIDENCE) and the inner one (γ_k+1 < CONFIDENCE)."""
    found = median_order_indices(n)
    if found is None:
        return None
    k, outer = found
    inner = _binomial_coverage(n, k + 1) if k + 1 <= n - k else 0.0
    share = (outer - CONFIDENCE) / (outer - inner)
    weight = (n - k) * share / (k + (n - 2 * k) * share)
    return k, outer, inner, weight


def median_ci(values, *, dependence: Dependence | None = None) -> Interval:
    """Hettmansperger–Sheather interpolated CI of the median (nominal CONFIDENCE), widened for
    `dependence`."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    found = _interpolation(n)
    if found is None:
        return NO_INTERVAL
    k, outer, inner, weight = found
    low = weight * x[k] + (1 - weight) * x[k - 1]
    high = weight * x[n - k - 1] + (1 - weight) * x[n - k]
    median = float(np.median(x))
    ci = Interval(float(low), float(high),
                  f"Hettmansperger–Sheather interpolated order statistics of n={n}: "
                  f"{1 - weight:.2f}·X({k})..X({n + 1 - k}) (exact coverage {outer:.1%}) + "
                  f"{weight:.2f}·X({k + 1})..X({n - k}) ({inner:.1%}), "
                  f"nominal {CONFIDENCE:.0%}", CONFIDENCE, median)
    return _widened(ci, median, dependence)


# ---------------------------------------------------------------- a ratio of two medians


def resampled_medians(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """RESAMPLES medians of resamples of `values` with replacement (ratio_ci's bootstrap, and diff's)."""
    picks = rng.integers(0, len(values), size=(RESAMPLES, len(values)))
    return np.median(values[picks], axis=1)


def percentile_interval(replicates: np.ndarray) -> tuple[float, float]:
    """The central CONFIDENCE interval of bootstrap replicates (percentile bootstrap)."""
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(replicates, [tail, 100 - tail])
    return float(low), float(high)


def _spread(medians: np.ndarray, centre: float, found: Dependence | None) -> np.ndarray:
    """Resampled medians moved away from the sample's median by √(n/n_eff), in log (a ratio's scale)."""
    if found is None or not found.widens:
        return medians
    return np.exp(math.log(centre) + math.sqrt(found.inflation) * (np.log(medians) - math.log(centre)))


def _bootstrap_ci(a: np.ndarray, b: np.ndarray, dependence: tuple) -> Interval:
    rng = np.random.default_rng(SEED)
    top, bottom = resampled_medians(a, rng), resampled_medians(b, rng)
    found_a, found_b = dependence
    top, bottom = _spread(top, float(np.median(a)), found_a), _spread(bottom, float(np.median(b)), found_b)
    low, high = percentile_interval(top / bottom)
    method = (f"percentile bootstrap of the ratio of medians, both samples resampled ({RESAMPLES}×; "
              f"n={len(a)} and {len(b)})")
    widened = [f"{side}: {found.text()}" for side, found in (("numerator", found_a), ("denominator", found_b))
               if found is not None and found.widens]
    if widened:
        method += ("; each side's resampled medians spread by √(n/n_eff) about its median ("
                   + "; ".join(widened) + ")")
    return Interval(low, high, method, estimate=float(np.median(a) / np.median(b)))


def paired_log_ratios(a, rounds_a, b, rounds_b) -> tuple[np.ndarray, np.ndarray]:
    """(shared rounds in order, log ratio per shared round): each sample's processes in a round averaged in
    log."""
    def by_round(values, rounds) -> dict[int, float]:
        logs: dict[int, list[float]] = {}
        for value, number in zip(np.log(np.asarray(values, dtype=float)), rounds):
            logs.setdefault(int(number), []).append(float(value))
        return {number: float(np.mean(found)) for number, found in logs.items()}

    top, bottom = by_round(a, rounds_a), by_round(b, rounds_b)
    shared = np.asarray(sorted(set(top) & set(bottom)), dtype=int)
    return shared, np.asarray([top[r] - bottom[r] for r in shared], dtype=float)


def _paired_ci(logs: np.ndarray, labels: tuple[str, str]) -> Interval:
    inner = median_ci(logs, dependence=serial_dependence(logs))
    estimate = math.exp(float(np.median(logs)))
    method = (f"paired by round: the median over the {len(logs)} rounds both ran in of {labels[0]} ÷ "
              f"{labels[1]} (processes of one round averaged in log); CI of that median, in log: "
              f"{inner.method}")
    return Interval(math.exp(inner.low), math.exp(inner.high), method, inner.coverage, estimate)


def ratio_ci(numerator, denominator, *, rounds: tuple | None = None,
             dependence: tuple[Dependence | None, Dependence | None] = (None, None),
             labels: tuple[str, str] = ("numerator", "denominator")) -> Interval:
    """CI of median(numerator) / median(denominator); `rounds` = (rounds of numerator, of denominator),
    aligned with the values, pairs by round when MIN_PAIRED rounds are shared; `dependence` widens the
    bootstrap; `labels` name the two sides in the method."""
    a, b = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    fallback = ""
    if rounds is not None:
        _shared, logs = paired_log_ratios(a, rounds[0], b, rounds[1])
        if len(logs) >= MIN_PAIRED:
            return _paired_ci(logs, labels)
        fallback = f"; not paired by round: {len(logs)} shared rounds, {MIN_PAIRED} needed"
    if len(a) < MIN_BOOTSTRAP or len(b) < MIN_BOOTSTRAP:
        return NO_INTERVAL
    ci = _bootstrap_ci(a, b, dependence)
    return Interval(ci.low, ci.high, ci.method + fallback, ci.coverage, ci.estimate) if fallback else ci


# ---------------------------------------------------------------- tests


@dataclass(frozen=True)
class Test:
    statistic: float
    p_value: float
    method: str  # "exact" | "asymptotic"


def mann_whitney(a, b) -> Test | None:
    """Two-sided Mann-Whitney U; None below 2 values a side."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or len(b) < 2:
        return None
    ties = len(np.unique(np.concatenate([a, b]))) < len(a) + len(b)
    method = "exact" if not ties and max(len(a), len(b)) <= EXACT_MAX else "asymptotic"
    result = scipy_stats.mannwhitneyu(a, b, alternative="two-sided", method=method)
    return Test(float(result.statistic), float(result.pvalue), method)


def smallest_p(n_a: int, n_b: int) -> float:
    """The smallest two-sided p-value the exact Mann-Whitney test can give with n_a and n_b values: 2/C(n,
    n_a)."""
    return min(1.0, 2 / math.comb(n_a + n_b, n_a)) if n_a and n_b else 1.0


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the input order (controls the family-wise error rate)."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def holm_within(p_values: list[float], families: list) -> list[float]:
    """Holm's adjustment applied to each family on its own (families[i] names p_values[i]'s family)."""
    members: dict = {}
    for index, family in enumerate(families):
        members.setdefault(family, []).append(index)
    adjusted = [0.0] * len(p_values)
    for indices in members.values():
        for index, p in zip(indices, holm([p_values[i] for i in indices])):
            adjusted[index] = p
    return adjusted


# ---------------------------------------------------------------- Kalibera & Jones


@dataclass(frozen=True)
class VarianceComponents:
    """Kalibera & Jones's two levels, relative to the grand mean: T1 = the spread of one steady call about its
    process's mean, T2 = the spread of process means beyond what their calls' noise explains."""

    processes: int
    calls: float  # steady calls per process, on average
    within: float | None  # T1 / mean; None with fewer than 2 steady calls in some process
    between: float | None  # T2 / mean (0 when the process means vary no more than their calls explain)
    process_spread: float  # standard deviation of the process means / mean, as measured
    recommended_calls: int | None  # K&J's optimal calls per process, given the costs
    note: str  # how the recommendation was computed, or why there is none


def _components(groups: list[np.ndarray]) -> tuple[float, float]:
    """(T1², T2²) by one-way random-effects ANOVA; with equal calls per process K&J's S1² and S2² − S1²/n."""
    sizes = np.asarray([len(g) for g in groups], dtype=float)
    total, count = float(sizes.sum()), len(groups)
    means = np.asarray([g.mean() for g in groups])
    grand = float(np.sum(sizes * means) / total)
    within = float(sum(np.sum((g - g.mean()) ** 2) for g in groups) / (total - count))
    between_square = float(np.sum(sizes * (means - grand) ** 2) / (count - 1))
    calls = (total - float(np.sum(sizes ** 2)) / total) / (count - 1)
    return within, max(0.0, (between_square - within) / calls)


def _recommendation(t1: float, t2: float, call: float | None, process: float | None,
                    processes: int) -> tuple[int | None, str]:
    if processes < MIN_DESIGN:
        return None, f"no recommendation below {MIN_DESIGN} processes (T₂ from {processes} is too uncertain)"
    if call is None or process is None or call <= 0 or process < 0:
        return None, "no recommendation: the cost of a process besides its steady calls is not recorded"
    if t2 <= 0:
        return None, ("no recommendation: the process means vary no more than their calls' noise explains, "
                      "so K&J's formula has no finite optimum (more calls per process are the cheaper "
                      "precision)")
    best = max(1, math.ceil(math.sqrt(process / call * t1 / t2)))
    return best, (f"K&J's optimal calls per process ⌈√((c₂/c₁)·(T₁²/T₂²))⌉ with c₁ = {call:.3g} s a "
                  f"steady call, c₂ = {process:.3g} s a process besides its steady calls")


def variance_components(groups, *, call_seconds: float | None = None,
                        process_seconds: float | None = None) -> VarianceComponents | None:
    """The two variance levels of one cell's steady calls (one array per process) and K&J's calls per process
    for a call costing call_seconds and a process costing process_seconds besides its calls; None below 2
    processes."""
    arrays = [np.asarray(g, dtype=float) for g in groups if len(g)]
    if len(arrays) < 2:
        return None
    scale = float(np.mean(np.concatenate(arrays)))
    arrays = [g / scale for g in arrays]
    calls = float(np.mean([len(g) for g in arrays]))
    spread = float(np.std([g.mean() for g in arrays], ddof=1))
    short = sum(1 for g in arrays if len(g) < 2)
    if short:
        return VarianceComponents(len(arrays), calls, None, None, spread, None,
                                  f"no within-process estimate: {short} of {len(arrays)} processes have "
                                  f"fewer than 2 steady calls")
    t1, t2 = _components(arrays)
    best, note = _recommendation(t1, t2, call_seconds, process_seconds, len(arrays))
    return VarianceComponents(len(arrays), calls, math.sqrt(t1), math.sqrt(t2), spread, best, note)
