"""The harness-overhead check: the baseline variant's calls in the harness against the same kernel run
plainly.

Each workload may declare a plain program (workloads/<name>/plain.py): the baseline variant's kernel in a
standalone script that imports nothing of pyshootout. The sampler runs it in every round of the minimum,
interleaved with the harness's processes, on every interpreter column, with the same pinning and environment,
for as many calls as the harness's processes of that cell make at least (N). Call k of a fresh process is
compared with call k:

    first   the harness's call 1 ÷ the plain program's call 1 (start-up, compilation, the first JIT traces)
    later   the mean of calls 2..N in the harness ÷ the same in the plain program (what the speedups divide)

each as a ratio of medians over processes with its CI (estimates.ratio_ci). A later-calls ratio whose CI lies
wholly above 1 + LIMIT says the harness changes what it measures (on PyPy, anything that switches on thread
support before the calls makes every JIT-compiled loop slower: workloads/verify.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import estimates
from .records import PlainRecord, Record

LIMIT = 0.03  # a harness that slows the later calls by more than this (CI wholly above) is flagged


@dataclass(frozen=True)
class CallRatio:
    value: float  # median over harness processes ÷ median over plain ones
    interval: estimates.Interval

    @property
    def percent(self) -> float:
        return (self.value - 1) * 100


@dataclass(frozen=True)
class Overhead:
    beside: str  # the harness cell's key
    workload: str
    size: str
    interpreter: str
    calls: int  # N: calls 1..N compared
    first: CallRatio
    later: CallRatio | None  # None when N < 2
    harness_processes: int
    plain_processes: int
    failed_plain: int  # plain processes that crashed, timed out or computed another checksum

    @property
    def flagged(self) -> bool:
        return self.later is not None and self.later.interval.low > 1 + LIMIT


def _ratio(harness: list[float], plain: list[float]) -> CallRatio:
    value = float(np.median(harness) / np.median(plain))
    return CallRatio(value, estimates.ratio_ci(harness, plain))


def _calls(processes: list[list[float]], calls: int) -> tuple[list[float], list[float]]:
    """(call 1, mean of calls 2..N) of each process (its call times) with at least N calls."""
    firsts, laters = [], []
    for times in processes:
        if len(times) >= calls:
            firsts.append(times[0])
            if calls >= 2:
                laters.append(float(np.mean(times[1:calls])))
    return firsts, laters


def check(records: list[Record], plain: list[PlainRecord]) -> list[Overhead]:
    """One Overhead per harness cell that has verified plain processes beside it, in cell-key order."""
    found = []
    for key in sorted({p.beside for p in plain}):
        mine = [p for p in plain if p.beside == key]
        good = [p for p in mine if p.ok]
        harness = [r.times_seconds for r in records if r.ok and r.cell_key == mine[0].cell_key]
        if not good or not harness:
            continue
        calls = min(len(p.times_seconds) for p in good)
        h_first, h_later = _calls(harness, calls)
        p_first, p_later = _calls([p.times_seconds for p in good], calls)
        if not h_first:
            continue
        later = _ratio(h_later, p_later) if calls >= 2 and h_later else None
        found.append(Overhead(key, good[0].workload, good[0].size, str(good[0].interpreter.name), calls,
                              _ratio(h_first, p_first), later, len(h_first), len(good),
                              len(mine) - len(good)))
    return found


def describe(ratio: CallRatio | None) -> str:
    """'+1.2% [−0.8%, +3.1%]' (the CI of the ratio, as percent), or a dash."""
    if ratio is None:
        return "–"
    low, high = ratio.interval.low, ratio.interval.high
    ci = "" if math.isnan(low) else f" [{(low - 1) * 100:+.1f}%, {(high - 1) * 100:+.1f}%]"
    return f"{ratio.percent:+.1f}%{ci}"
