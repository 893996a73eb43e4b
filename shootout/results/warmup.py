"""Where a worker process's steady state starts: change-point detection on JIT cells, call 1 apart on the
rest.

Every cell sets its call 1 apart ("first call", shown on its own): a speedup divides a cell's steady calls by
the baseline's steady calls, never a first call by a steady one.

JIT cells (PyPy, Numba), after Barrett et al., "Virtual Machine Warmup Blows Hot and Cold" (OOPSLA 2017): each
cell's first process explores its warm-up and later ones make as many calls as that warm-up needs, plus a
steady stretch (matrix.Method.calls_for, sampling.Sampler); the series of calls after the first
is cut into segments by PELT (ruptures, least-squares cost on times normalised by their median, penalty
PENALTY · σ² · ln n, segments of at least MIN_SEGMENT calls; σ from second differences, which a warm-up curve
or a level shift does not inflate). Segments whose means are within EQUIVALENT of each other are equivalent.
The steady state is the last segment. A process is
  flat             when every segment is equivalent to the last,
  warmup           when the last segment is the fastest (earlier ones slower),
  slowdown         when some earlier segment is faster than the last,
  no steady state  when the last segment is shorter than max(MIN_STEADY, STEADY_FRACTION of the calls), or it
                   drifts — the series was still changing at its end. Such a process is counted apart: it is
                   shown, and its mean does not enter the cell's estimate. A segment of DRIFT_MIN_CALLS calls
                   or more drifts when its calls trend (Mann-Kendall p < TREND_P) so far that its mean is more
                   than EQUIVALENT from where it ends (Theil-Sen); a shorter one is too short to tell a drift
                   from noise.
A slower segment that comes after the process had already reached its final level (a mid-run transient, not a
warm-up) leaves the class flat; the steady state is still the last segment. Lone spikes (a call SPIKE slower
than both neighbours, e.g. a garbage collection; never the first call after call 1, the first of a warm-up)
are left out of the segmentation, as Barrett et al. set outliers aside, but stay in the steady-state numbers:
a collection that recurs is part of the steady state's cost. One that does not (the steady state's only spike,
followed by ONE_OFF_AFTER calls or more without one: PyPy's first major collection once the heap has grown) is
the warm-up's last event, and the steady state starts after it.

Records say which rule they were run under ("warmup_rule") and are always split by it, so an archive
re-renders as it was (records without a rule get "jit" or "aot": rule_of). RULES says what each rule does;
docs/method.md why each JIT rule replaced the one before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import ruptures
from ruptures.base import BaseCost
from scipy import stats as scipy_stats

from .records import Record

PENALTY = 15.0  # Barrett et al. used 15·log(n) with a normal mean/variance cost
MIN_SEGMENT = 2
MIN_STEADY = 3
STEADY_FRACTION = 0.25
EQUIVALENT = 0.02  # relative difference of segment means below which two segments are one level
NOISE_FLOOR = 0.002  # σ never below 0.2%: a perfectly flat series must not split on rounding
SPIKE = 0.2  # a call this much slower than both its neighbours is a lone spike
DRIFT_MIN_CALLS = 6  # from here a last segment's drift test compares medians of halves of 3 calls or more
SHORT_DRIFT = 3 * EQUIVALENT  # a shorter one drifts only if monotone and this far from end to end
TREND_P = 0.01  # jit-v3 on: a longer segment drifts when Kendall's tau against call order is this significant
# jit-v4: a lone spike followed by this many calls with none is a one-off event of the warm-up
ONE_OFF_AFTER = 8
JIT_RULE = "jit-v4"  # what new JIT records are split by (see the module docstring for the older rules)
SECOND_DIFFERENCES = ("jit-v3", JIT_RULE)  # σ from second differences, the trend test, counted apart
JIT_RULES = ("jit", "jit-v2", *SECOND_DIFFERENCES)
# what each rule a record may name does, in one line (the report names the older ones an archive used)
RULES = {
    "aot": "call 1 set apart, every later call steady",
    "interpreted": "pure Python on CPython: call 1 kept among the steady calls",
    "jit": "σ from successive differences, a last segment drifting when its halves' medians differ by more "
           "than the level tolerance at any length, no-steady-state processes counted in with their calls "
           "after the first",
    "jit-v2": "as jit, but a short last segment drifts only when monotone and far from end to end",
    "jit-v3": "σ from second differences, the trend test, no-steady-state processes counted apart; the first "
              "call after call 1 could be set aside as a lone spike, and a one-off spike counted as steady",
    JIT_RULE: "σ from second differences, the trend test, no-steady-state processes counted apart; a lone "
              "spike followed by no other for the process's last calls ends the warm-up",
}


@dataclass(frozen=True)
class Warmup:
    steady_start: int  # index of the first steady call
    classification: str  # first call | flat | warmup | slowdown | no steady state
    segments: tuple = ()  # ((start, end, mean seconds), ...) for JIT cells
    counted: bool = True  # whether the process's steady mean enters its cell's estimate (see classify)
    # jit-v3 on: the first call of the first segment at the final level (warm-up's end)
    reached: int | None = None

    def steady_calls(self, times: list[float]) -> list[float]:
        """The calls of `times` this split calls steady; the last call alone when none is (a process too short
        to reach its steady state still gives its latest call, not nothing)."""
        return times[self.steady_start:] or times[-1:]


def aot(times: list[float]) -> Warmup:
    """Ahead-of-time cells: the first call apart, every later call steady."""
    return Warmup(min(len(times), 1), "first call")


def _noise(x: np.ndarray) -> float:
    """σ from successive differences (rules "jit", "jit-v2"): a warm-up of several steps inflates it, since
    every step is a difference, and then hides itself below the penalty."""
    diffs = np.diff(x)
    if len(diffs) == 0:
        return NOISE_FLOOR
    return max(float(np.median(np.abs(diffs))) * 1.4826 / math.sqrt(2), NOISE_FLOOR)


def _noise_second_differences(x: np.ndarray) -> float:
    """σ from second differences (rule "jit-v3"): x[i+1] − 2x[i] + x[i−1] has variance 6σ² for independent
    noise, while a level shift touches only two of them and a smooth warm-up curve almost none, so their
    median is the noise's, not the warm-up's."""
    second = np.diff(x, n=2)
    if len(second) == 0:
        return _noise(x)
    return max(float(np.median(np.abs(second))) * 1.4826 / math.sqrt(6), NOISE_FLOOR)


def spikes(values: np.ndarray, first: bool = True) -> np.ndarray:
    """Mask of lone spikes: slower by SPIKE than both neighbours (the last call: than the two before it).
    first=False: the first value is never one (it has one neighbour, and the first call of a warm-up is
    slower than the next: a warm-up, not a spike)."""
    mask = np.zeros(len(values), dtype=bool)
    for i in range(0 if first else 1, len(values)):
        around = values[[j for j in (i - 1, i + 1) if 0 <= j < len(values)]] if i < len(values) - 1 \
            else values[max(0, i - 2):i]
        mask[i] = len(around) > 0 and values[i] > (1 + SPIKE) * float(around.max())
    return mask


def segments(times: list[float], rule: str = JIT_RULE) -> list[tuple[int, int, float]]:
    """PELT segments of one series, spikes set aside: (start, end exclusive, mean seconds incl. spikes)."""
    values = np.asarray(times, dtype=float)
    kept = np.flatnonzero(~spikes(values, first=rule != JIT_RULE))
    cut = _pelt(values[kept], _noise_second_differences if rule in SECOND_DIFFERENCES else _noise)
    bounds = [int(kept[s]) for s, _e, _m in cut[1:]]  # segment starts, in the full series
    starts, ends = [0, *bounds], [*bounds, len(values)]
    return [(s, e, float(values[s:e].mean())) for s, e in zip(starts, ends)]


class SquaredErrorCost(BaseCost):
    """ruptures' least-squares cost ("l2": a segment's squared deviations from its mean) from cumulative
    sums: ruptures' own recomputes a variance per candidate segment, and PELT asks for O(n²) of them, which
    made the segmentation most of a report's rendering time."""

    model = "l2-cumulative"
    min_size = 1

    def fit(self, signal: np.ndarray) -> SquaredErrorCost:
        self.signal = signal
        centred = signal[:, 0] - signal[:, 0].mean()  # centred: the sums then lose no precision to the level
        self.sums = np.concatenate(([0.0], np.cumsum(centred))).tolist()
        self.squares = np.concatenate(([0.0], np.cumsum(centred * centred))).tolist()
        return self

    def error(self, start: int, end: int) -> float:
        total = self.sums[end] - self.sums[start]
        return max(self.squares[end] - self.squares[start] - total * total / (end - start), 0.0)


def _pelt(values: np.ndarray, noise) -> list[tuple[int, int, float]]:
    scale = float(np.median(values)) or 1.0
    x = values / scale
    if len(x) < 2 * MIN_SEGMENT:
        return [(0, len(x), float(values.mean()))]
    sigma = noise(x)
    algo = ruptures.Pelt(custom_cost=SquaredErrorCost(), min_size=MIN_SEGMENT, jump=1).fit(x.reshape(-1, 1))
    ends = algo.predict(pen=PENALTY * sigma ** 2 * math.log(len(x)))
    starts = [0, *ends[:-1]]
    return [(s, e, float(values[s:e].mean())) for s, e in zip(starts, ends)]


def classify(times: list[float], rule: str = JIT_RULE) -> Warmup:
    """JIT cells: Barrett et al.'s classes from the change points of one process's calls after the first,
    under `rule` (records keep the rule they were run under). From jit-v3 the trailing segments within
    EQUIVALENT of the last one are one steady state (a level, however PELT cut it), and a process with no
    steady state is counted apart: its mean does not enter the cell's estimate. Under JIT_RULE (jit-v4) a
    one-off spike in the steady state ends the warm-up (_after_one_off)."""
    later = list(times[1:])
    n = len(later)
    counted = rule not in SECOND_DIFFERENCES
    if n < MIN_STEADY:
        return Warmup(min(1, len(times)), "no steady state", counted=counted)
    cut = [(s + 1, e + 1, m) for s, e, m in segments(later, rule)]
    level = cut[-1][2]
    found = tuple((s, e, round(m, 9)) for s, e, m in cut)
    first = _steady_run(cut, level) if rule in SECOND_DIFFERENCES else len(cut) - 1
    start, end = cut[first][0], cut[-1][1]
    reached = next(i for i, (_s, _e, m) in enumerate(cut) if abs(m - level) <= EQUIVALENT * level)
    warmed_up = cut[reached][0] if rule in SECOND_DIFFERENCES else None
    after = _after_one_off(times, start) if rule == JIT_RULE else start
    if after != start:  # the warm-up ended with the one-off event, wherever the level was first reached
        start = warmed_up = after
    steady = times[start:end]
    drifting = _drift_test(rule, len(steady))(steady, level)
    if end - start < max(MIN_STEADY, math.ceil(STEADY_FRACTION * n)) or drifting:
        return Warmup(1 if counted else start, "no steady state", found, counted)
    others = [m for _s, _e, m in cut[:first]]
    if any(m < level * (1 - EQUIVALENT) for m in others):
        return Warmup(start, "slowdown", found, reached=warmed_up)
    if any(m > level * (1 + EQUIVALENT) for m in others[:reached]):
        return Warmup(start, "warmup", found, reached=warmed_up)
    return Warmup(start, "flat", found, reached=warmed_up)


def _after_one_off(times: list[float], start: int) -> int:
    """Where the steady state starts when its only lone spike is followed by ONE_OFF_AFTER calls or more: a
    one-off event of the warm-up (PyPy's first major collection once the heap has grown), which the calls
    of a long process never pay again, so it must not weigh on the level as if every stretch of calls paid
    it. Two spikes or more in the steady state recur (a periodic collection): they are its own cost."""
    marked = [start + int(i)
              for i in np.flatnonzero(spikes(np.asarray(times[start:], dtype=float), first=False))]
    if len(marked) == 1 and len(times) - 1 - marked[0] >= ONE_OFF_AFTER:
        return marked[0] + 1
    return start


def _steady_run(cut: list[tuple[int, int, float]], level: float) -> int:
    """The index of the first of the trailing segments whose means are within EQUIVALENT of the last one's."""
    first = len(cut) - 1
    while first > 0 and abs(cut[first - 1][2] - level) <= EQUIVALENT * level:
        first -= 1
    return first


def _drift_test(rule: str, calls: int):
    """The drift test a last segment of `calls` calls gets under `rule`: "jit" compared halves at any length,
    "jit-v2" tested a shorter segment by monotony; from jit-v3 a segment shorter than DRIFT_MIN_CALLS gives
    no evidence of drift (three noisy calls are monotone one time in three), only its length is tested."""
    if calls < DRIFT_MIN_CALLS and rule != "jit":
        return _short_drift if rule not in SECOND_DIFFERENCES else _no_drift
    return _trending if rule in SECOND_DIFFERENCES else _drifting


def _no_drift(steady: list[float], level: float) -> bool:
    return False


def _trending(steady: list[float], level: float) -> bool:
    """A segment drifts when its calls trend (Mann-Kendall: Kendall's tau against call order, two-sided
    p < TREND_P) so far that its mean is more than EQUIVALENT from where it ends (Theil-Sen slope × half its
    length): its mean then misstates the level the process reached. Medians of halves of 3 calls differ by
    more than 2% in about 3 of 10 series of 2% noise: a test must know the noise; and a slow drift of the
    machine over a long process is not a warm-up still going on."""
    order = np.arange(len(steady))
    trend = scipy_stats.kendalltau(order, steady)
    if not trend.pvalue < TREND_P:  # nan (all equal) is no trend
        return False
    slope = scipy_stats.theilslopes(steady, order).slope
    return abs(slope) * (len(steady) - 1) / 2 > EQUIVALENT * level


def _drifting(steady: list[float], level: float) -> bool:
    """A last segment whose halves differ by more than EQUIVALENT is a drift, not a steady state."""
    half = len(steady) // 2
    return abs(float(np.median(steady[:half])) - float(np.median(steady[-half:]))) > EQUIVALENT * level


def _short_drift(steady: list[float], level: float) -> bool:
    """A segment too short for medians of halves drifts when every call moves the same way and the last is
    more than SHORT_DRIFT from the first (3 iid calls are monotone a third of the time: the size does the
    work)."""
    steps = np.diff(np.asarray(steady, dtype=float))
    monotone = bool(np.all(steps > 0) or np.all(steps < 0))
    return monotone and abs(steady[-1] - steady[0]) > SHORT_DRIFT * level


def is_jit(implementation: str | None, technology: str | None) -> bool:
    return implementation == "pypy" or technology == "numba"


def rule_for(implementation: str | None, technology: str | None) -> str:
    """JIT_RULE or "aot": which split a new cell's processes get. Every cell sets its call 1 apart, pure
    Python on CPython too, so that a speedup divides like by like ("interpreted", which kept call 1, is for
    archives run under it)."""
    return JIT_RULE if is_jit(implementation, technology) else "aot"


def rule_of(record: Record) -> str:
    """The rule a record was run under; one from before records named it gets "jit" or "aot"."""
    jit = is_jit(record.interpreter.implementation, record.technology)
    return record.warmup_rule or ("jit" if jit else "aot")


def steady_part(record: Record) -> Warmup:
    """The warm-up split of one ok record, by the rule it was run under."""
    times = record.times_seconds
    rule = rule_of(record)
    if rule in JIT_RULES:
        return classify(times, rule)
    if rule == "interpreted":
        return Warmup(0, "interpreted")
    return aot(times)
