"""Where a worker process's steady state starts: change-point detection on JIT cells, nothing on AOT ones.

JIT cells (PyPy, Numba), after Barrett et al., "Virtual Machine Warmup Blows Hot and Cold" (OOPSLA 2017): call 1
is reported apart (it includes the compilation), and the series of the later calls of one process is cut into
segments by PELT (ruptures, least-squares cost on times normalised by
their median, penalty PENALTY · σ² · ln n with σ the noise estimated from successive differences, segments of at
least MIN_SEGMENT calls). Segments whose means are within EQUIVALENT of each other are equivalent. The steady
state is the last segment. A process is
  flat             when every segment is equivalent to the last,
  warmup           when the last segment is the fastest (earlier ones slower),
  slowdown         when some earlier segment is faster than the last,
  no steady state  when the last segment is shorter than max(MIN_STEADY, STEADY_FRACTION of the calls), or it
                   drifts — the series was still changing at its end; its calls after the first are used, and
                   flagged. A segment of DRIFT_MIN_CALLS calls or more drifts when its two halves' medians
                   differ by more than EQUIVALENT; a shorter one when every call moves the same way and the
                   last is more than SHORT_DRIFT away from the first.
Why two tests ("jit-v2", since 2026-11-28): the first rule compared the halves of any segment, and with 3 to 5
calls that compared single calls. Series of pure noise at 2% per call, as PyPy's 90 ms calls have on a shared VM,
came out "no steady state" in 34–50% of 4- and 6-call processes, a claim the data cannot carry; now 2.8% and
0.9% of them (simulated, 2000 series each), while a kernel still speeding up by 10% a call, as numpy on PyPy
does over its first calls, is still caught. Records run under the first rule ("jit", or no rule) keep it, so
re-rendering an old archive does not change it.
A slower segment that comes after the process had already reached its final level (a mid-run transient, not a
warm-up) leaves the class flat; the steady state is still the last segment. Lone spikes (a call SPIKE slower
than both neighbours, e.g. a garbage collection) are left out of the segmentation, as Barrett et al. set
outliers aside, but stay in the steady-state numbers: they are part of the steady state's cost.
The same noise gets the same treatment wherever it falls: a segment is a level, not a position in a band.

AOT cells (CPython running compiled code, or numpy): call 1 is reported apart as "first call" (it pays page
faults, lazy binding, caches) and every later call is steady; nothing else is dropped.

Interpreted cells (pure Python on CPython: nothing is compiled at run time): every call is steady, call 1 too.
Measured before the rule existed, over 96 processes of the three pure-Python variants in five archives, call 1
took 0.96–1.03× the later calls (median per archive and variant): dropping it only halved what a process
measured. Records say which rule they were run under ("warmup_rule"); older ones, without it, get the AOT rule
they were recorded with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import ruptures

PENALTY = 15.0  # Barrett et al. used 15·log(n) with a normal mean/variance cost
MIN_SEGMENT = 2
MIN_STEADY = 3
STEADY_FRACTION = 0.25
EQUIVALENT = 0.02  # relative difference of segment means below which two segments are one level
NOISE_FLOOR = 0.002  # σ never below 0.2%: a perfectly flat series must not split on rounding
SPIKE = 0.2  # a call this much slower than both its neighbours is a lone spike
DRIFT_MIN_CALLS = 6  # from here a last segment's drift test compares medians of halves of 3 calls or more
SHORT_DRIFT = 3 * EQUIVALENT  # a shorter one drifts only if monotone and this far from end to end
JIT_RULE = "jit-v2"  # what new JIT records are split by; "jit" (first rule) tested drift at any length
JIT_RULES = ("jit", JIT_RULE)


@dataclass(frozen=True)
class Warmup:
    steady_start: int  # index of the first steady call
    classification: str  # first call | flat | warmup | slowdown | no steady state
    segments: tuple = ()  # ((start, end, mean seconds), ...) for JIT cells


def aot(times: list[float]) -> Warmup:
    """Ahead-of-time cells: the first call apart, every later call steady."""
    return Warmup(min(len(times), 1), "first call")


def _noise(x: np.ndarray) -> float:
    diffs = np.diff(x)
    if len(diffs) == 0:
        return NOISE_FLOOR
    return max(float(np.median(np.abs(diffs))) * 1.4826 / math.sqrt(2), NOISE_FLOOR)


def spikes(values: np.ndarray) -> np.ndarray:
    """Mask of lone spikes: slower by SPIKE than both neighbours (the last call: than the two before it)."""
    mask = np.zeros(len(values), dtype=bool)
    for i in range(len(values)):
        around = values[[j for j in (i - 1, i + 1) if 0 <= j < len(values)]] if i < len(values) - 1 \
            else values[max(0, i - 2):i]
        mask[i] = len(around) > 0 and values[i] > (1 + SPIKE) * float(around.max())
    return mask


def segments(times: list[float]) -> list[tuple[int, int, float]]:
    """PELT segments of one series, spikes set aside: (start, end exclusive, mean seconds incl. spikes)."""
    values = np.asarray(times, dtype=float)
    kept = np.flatnonzero(~spikes(values))
    cut = _pelt(values[kept])
    bounds = [int(kept[s]) for s, _e, _m in cut[1:]]  # segment starts, in the full series
    starts, ends = [0, *bounds], [*bounds, len(values)]
    return [(s, e, float(values[s:e].mean())) for s, e in zip(starts, ends)]


def _pelt(values: np.ndarray) -> list[tuple[int, int, float]]:
    scale = float(np.median(values)) or 1.0
    x = values / scale
    if len(x) < 2 * MIN_SEGMENT:
        return [(0, len(x), float(values.mean()))]
    sigma = _noise(x)
    algo = ruptures.Pelt(model="l2", min_size=MIN_SEGMENT, jump=1).fit(x.reshape(-1, 1))
    ends = algo.predict(pen=PENALTY * sigma ** 2 * math.log(len(x)))
    starts = [0, *ends[:-1]]
    return [(s, e, float(values[s:e].mean())) for s, e in zip(starts, ends)]


def classify(times: list[float], drift_min_calls: int = DRIFT_MIN_CALLS) -> Warmup:
    """JIT cells: Barrett et al.'s classes from the change points of one process's calls after the first
    (`drift_min_calls` 0: the first rule's drift test, for records run under it)."""
    later = list(times[1:])
    n = len(later)
    if n < MIN_STEADY:
        return Warmup(min(1, len(times)), "no steady state")
    cut = [(s + 1, e + 1, m) for s, e, m in segments(later)]
    start, end, level = cut[-1]
    found = tuple((s, e, round(m, 9)) for s, e, m in cut)
    steady = times[start:end]
    drifting = _drifting(steady, level) if end - start >= drift_min_calls else _short_drift(steady, level)
    if end - start < max(MIN_STEADY, math.ceil(STEADY_FRACTION * n)) or drifting:
        return Warmup(1, "no steady state", found)
    others = [m for _s, _e, m in cut[:-1]]
    if any(m < level * (1 - EQUIVALENT) for m in others):
        return Warmup(start, "slowdown", found)
    reached = next(i for i, m in enumerate([*others, level]) if abs(m - level) <= EQUIVALENT * level)
    if any(m > level * (1 + EQUIVALENT) for m in others[:reached]):
        return Warmup(start, "warmup", found)
    return Warmup(start if others else 1, "flat", found)


def _drifting(steady: list[float], level: float) -> bool:
    """A last segment whose halves differ by more than EQUIVALENT is a drift, not a steady state."""
    half = len(steady) // 2
    return abs(float(np.median(steady[:half])) - float(np.median(steady[-half:]))) > EQUIVALENT * level


def _short_drift(steady: list[float], level: float) -> bool:
    """A segment too short for medians of halves drifts when every call moves the same way and the last is more
    than SHORT_DRIFT from the first (3 iid calls are monotone a third of the time: the size does the work)."""
    steps = np.diff(np.asarray(steady, dtype=float))
    monotone = bool(np.all(steps > 0) or np.all(steps < 0))
    return monotone and abs(steady[-1] - steady[0]) > SHORT_DRIFT * level


def is_jit(implementation: str | None, technology: str | None) -> bool:
    return implementation == "pypy" or technology == "numba"


def rule_for(implementation: str | None, technology: str | None) -> str:
    """JIT_RULE, "interpreted" (pure Python on CPython) or "aot": which split a new cell's processes get."""
    if is_jit(implementation, technology):
        return JIT_RULE
    return "interpreted" if (implementation, technology) == ("cpython", "python") else "aot"


def steady_part(record: dict) -> Warmup:
    """The warm-up split of one ok record, by the rule it was run under."""
    times = record.get("times_seconds") or []
    rule = record.get("warmup_rule") or ("jit" if is_jit(record["interpreter"].get("implementation"),
                                                         record.get("technology")) else "aot")
    if rule == JIT_RULE:
        return classify(times)
    if rule == "jit":
        return classify(times, drift_min_calls=0)
    if rule == "interpreted":
        return Warmup(0, "interpreted")
    return aot(times)
