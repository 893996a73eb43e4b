"""Interval estimates and tests that say how they were computed, and give none where n cannot support one.

- median_ci: distribution-free CI of a median from order statistics: the narrowest symmetric pair
  (X(k), X(n+1-k)) whose exact binomial coverage P(k <= B < n+1-k), B ~ Bin(n, 1/2), is at least 95%. It exists
  from n = 6 on (coverage 96.9%); below that there is no CI ("n too small"), never a [min, max] passed off as one.
  The exact coverage is returned with it.
- ratio_ci: percentile bootstrap of median(a) / median(b), resampling both samples independently (RESAMPLES
  times, fixed seed so re-rendering an archive gives identical numbers); needs n >= MIN_BOOTSTRAP in each.
- mann_whitney: exact p-value (no ties, both n <= EXACT_MAX) else the asymptotic one, saying which.
- holm: Holm's step-down adjustment across a family of p-values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import stats as scipy_stats

CONFIDENCE = 0.95
RESAMPLES = 4000
SEED = 20140827  # EuroSciPy 2014
MIN_BOOTSTRAP = 5
EXACT_MAX = 25


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    method: str  # e.g. "order statistics X(2)..X(9), exact coverage 97.9%"
    coverage: float | None = None

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


def relative_spread(values) -> float:
    """1.4826·MAD/median: a robust relative standard deviation (nan for no values or a median of 0)."""
    x = np.asarray(values, dtype=float)
    if len(x) == 0:
        return math.nan
    middle = float(np.median(x))
    return 1.4826 * float(np.median(np.abs(x - middle))) / middle if middle > 0 else math.nan


def median_ci(values) -> Interval:
    x = np.sort(np.asarray(values, dtype=float))
    found = median_order_indices(len(x))
    if found is None:
        return NO_INTERVAL
    k, coverage = found
    return Interval(float(x[k - 1]), float(x[len(x) - k]),
                    f"order statistics X({k})..X({len(x) + 1 - k}) of n={len(x)}, exact coverage {coverage:.1%}",
                    coverage)


def _resampled_medians(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    picks = rng.integers(0, len(values), size=(RESAMPLES, len(values)))
    return np.median(values[picks], axis=1)


def ratio_ci(numerator, denominator) -> Interval:
    """CI of median(numerator) / median(denominator) by bootstrapping both samples."""
    a, b = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    if len(a) < MIN_BOOTSTRAP or len(b) < MIN_BOOTSTRAP:
        return NO_INTERVAL
    rng = np.random.default_rng(SEED)
    ratios = _resampled_medians(a, rng) / _resampled_medians(b, rng)
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(ratios, [tail, 100 - tail])
    return Interval(float(low), float(high),
                    f"percentile bootstrap of the ratio of medians, both samples resampled ({RESAMPLES}×; "
                    f"n={len(a)} and {len(b)})")


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
