"""How often do the report's 95% CIs contain the truth? Coverage measured by simulation through the project's
own functions: shootout.results.estimates.median_ci (a cell's median), estimates.ratio_ci (speedups, PyPy vs
CPython) and shootout.results.summaries.ratio (a ratio as the report computes it from two cells'
ProcessSamples: paired by round when the records carry rounds, else the bootstrap, widened for serial
dependence when they carry `started_at`).

    python benchmarks/simulate_coverage.py [--trials 800] [--seed 1] [--parts median,ratio,drift,speedup]

Parts (each prints one table; coverage ± its binomial standard error, and the mean relative half-width):
  median   i.i.d. process means, n = 6..30, normal / log-normal / shifted exponential (right-skewed, as
           benchmark times are). median_ci is affine-equivariant, so its coverage does not depend on the
           spread: one is used. Against it, the exact order-statistic pair alone (order_statistic_ci), which
           it interpolates from.
  ratio    estimates.ratio_ci as used without rounds: percentile bootstrap of the ratio of medians, n = 6/6,
           12/12, 30/30 and 12 (baseline) / 6, each shape, equal spreads (2%) and unequal ones (baseline 3%,
           cell 1%, and the reverse). Truth: the ratio of the two distributions' medians.
  drift    a baseline alone whose process means follow an AR(1) process over the run (r = 0.6 between
           consecutive processes, 3% stationary spread, plus 1% independent noise), and i.i.d. data: median_ci
           plain and widened by its effective sample size (summaries.ProcessSample.dependence, as summarise
           does).
  speedup  one run's rounds: a machine drifting as an AR(1) over process slots (ROUND_SLOTS slots a round, r =
           0.6 from one round to the next, amplitude 0 / 2% / 5%) plus 1.5% process noise, shared by the
           baseline and a cell placed in random slots of each round. Layouts: both once a round for 12 rounds;
           the baseline twice a round and the cell once, 6 rounds (phase 1); the same then the baseline alone
           for 9 more rounds (phase 2). Methods: plain (no time information: independent bootstrap), plain +
           n_eff (started_at only: each side widened by its own serial dependence), paired by round (rounds
           recorded: what the report does), and, for comparison, a stratified block bootstrap over rounds
           (rounds with both cells resampled together) that the report does not use.
The figures and the choices they led to are in docs/coverage.md.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shootout.results import estimates, summaries

SHAPES = ("normal", "lognormal", "exponential")
ROUND_SLOTS = 10  # processes per round in the speedup part (the other cells of the round)
AR_R = 0.6


def draw(shape: str, n: int, spread: float, rng: np.random.Generator) -> np.ndarray:
    """n values with median exactly 1 and standard deviation ≈ spread."""
    if shape == "normal":
        return 1 + spread * rng.standard_normal(n)
    if shape == "lognormal":
        return np.exp(spread * rng.standard_normal(n))
    return 1 + spread * (rng.exponential(1.0, n) - math.log(2))  # shifted exponential: median 1, sd = spread


def ar1(n: int, r: float, spread: float, rng: np.random.Generator) -> np.ndarray:
    """A stationary AR(1) series with lag-1 correlation r and standard deviation spread."""
    x = np.empty(n)
    x[0] = rng.normal(0, spread)
    shocks = rng.normal(0, spread * math.sqrt(1 - r * r), n)
    for t in range(1, n):
        x[t] = r * x[t - 1] + shocks[t]
    return x


@dataclass
class Tally:
    """Coverage and width of one method in one setting."""

    hits: int = 0
    trials: int = 0
    width: float = 0.0

    def add(self, ci: estimates.Interval, truth: float) -> None:
        self.trials += 1
        if not math.isnan(ci.low):
            self.hits += ci.low <= truth <= ci.high
            self.width += ci.half_width / truth

    def text(self) -> str:
        if not self.trials:
            return "–"
        p = self.hits / self.trials
        return f"{p:6.1%} ±{math.sqrt(p * (1 - p) / self.trials):.1%} (±{self.width / self.trials:.2%})"


def table(title: str, head: list[str], rows: list[tuple[str, list[Tally]]]) -> None:
    print(f"\n{title}\n| {' | '.join(head)} |\n|{'---|' * len(head)}")
    for label, tallies in rows:
        print(f"| {label} | " + " | ".join(t.text() for t in tallies) + " |", flush=True)


# ---------------------------------------------------------------- parts


def median_part(trials: int, rng: np.random.Generator) -> None:
    rows = []
    for shape in SHAPES:
        for n in (6, 7, 8, 9, 12, 20, 30):
            interpolated, exact = Tally(), Tally()
            for _ in range(trials):
                x = draw(shape, n, 0.02, rng)
                interpolated.add(estimates.median_ci(x), 1.0)
                exact.add(estimates.order_statistic_ci(x), 1.0)
            rows.append((f"{shape} n={n}", [interpolated, exact]))
    table("Median CI, i.i.d. process means", ["setting", "median_ci (HS)", "exact pair alone"], rows)


RATIO_LAYOUTS = ((6, 6), (12, 12), (30, 30), (12, 6))
SPREADS = ((0.02, 0.02), (0.03, 0.01), (0.01, 0.03))


def ratio_part(trials: int, rng: np.random.Generator) -> None:
    rows = []
    for shape in SHAPES:
        for n_base, n_cell in RATIO_LAYOUTS:
            for base_spread, cell_spread in SPREADS:
                tally = Tally()
                for _ in range(trials):
                    base, cell = (4.0 * draw(shape, n_base, base_spread, rng),
                                  0.5 * draw(shape, n_cell, cell_spread, rng))
                    tally.add(estimates.ratio_ci(base, cell), 8.0)
                rows.append((f"{shape} n={n_base}/{n_cell} spread {base_spread:.0%}/{cell_spread:.0%}",
                             [tally]))
    table("Ratio CI (percentile bootstrap), i.i.d. process means", ["setting", "ratio_ci"], rows)


def drift_part(trials: int, rng: np.random.Generator) -> None:
    rows = []
    for n in (8, 12, 20, 30):
        for label, drift, noise in (("i.i.d. 2%", 0.0, 0.02), ("AR(1) 3% + 1% noise", 0.03, 0.01),
                                    ("AR(1) 3%, no noise", 0.03, 0.0)):
            plain, widened = Tally(), Tally()
            for _ in range(trials):
                x = np.exp((ar1(n, AR_R, drift, rng) if drift else 0.0) + noise * rng.standard_normal(n))
                sample = summaries.ProcessSample(x, started=np.arange(n, dtype=float))
                plain.add(estimates.median_ci(x), 1.0)
                widened.add(estimates.median_ci(x, dependence=sample.dependence), 1.0)
            rows.append((f"n={n} {label}", [plain, widened]))
    table(f"Baseline median CI under drift (r = {AR_R} between consecutive processes)",
          ["setting", "median_ci plain", "widened by n_eff"], rows)


# ---------------------------------------------------------------- a run's rounds


@dataclass(frozen=True)
class Layout:
    name: str
    base_rounds: np.ndarray  # the round of each baseline process
    cell_rounds: np.ndarray


LAYOUTS = (
    Layout("12/12, once a round", np.arange(12), np.arange(12)),
    Layout("12/6, baseline twice a round", np.repeat(np.arange(6), 2), np.arange(6)),
    Layout("30/6, then the baseline alone", np.concatenate([np.repeat(np.arange(6), 2), np.arange(6, 24)]),
           np.arange(6)),
)


def run_samples(layout: Layout, drift: float, rng: np.random.Generator) -> tuple:
    """Baseline and cell ProcessSamples of one simulated run (true speedup 8), with rounds and starts."""
    rounds = int(max(layout.base_rounds.max(), layout.cell_rounds.max())) + 1
    machine = (ar1(rounds * ROUND_SLOTS, AR_R ** (1 / ROUND_SLOTS), drift, rng) if drift
               else np.zeros(rounds * ROUND_SLOTS))
    slots = np.concatenate([r * ROUND_SLOTS + rng.permutation(ROUND_SLOTS) for r in range(rounds)])
    taken = {r: 0 for r in range(rounds)}

    def place(level: float, rounds_of: np.ndarray) -> summaries.ProcessSample:
        at = []
        for r in rounds_of:
            at.append(slots[r * ROUND_SLOTS + taken[int(r)]])
            taken[int(r)] += 1
        at = np.asarray(at)
        means = level * np.exp(machine[at] + 0.015 * rng.standard_normal(len(at)))
        return summaries.ProcessSample(means, rounds_of.astype(int), at.astype(float))

    return place(4.0, layout.base_rounds), place(0.5, layout.cell_rounds)


def block_bootstrap(base: summaries.ProcessSample, cell: summaries.ProcessSample) -> estimates.Interval:
    """The alternative not taken: rounds resampled within strata (both cells / baseline only / cell only),
    each round's processes kept together; percentile interval of the ratio of (weighted) medians."""
    rng = np.random.default_rng(estimates.SEED)
    in_base, in_cell = set(base.rounds.tolist()), set(cell.rounds.tolist())
    strata = [sorted(in_base - in_cell), sorted(in_cell - in_base), sorted(in_base & in_cell)]
    order = [r for stratum in strata for r in stratum]
    counts = np.zeros((estimates.RESAMPLES, len(order)))
    start = 0
    for stratum in strata:
        if stratum:
            picks = rng.integers(0, len(stratum), size=(estimates.RESAMPLES, len(stratum)))
            counts[:, start:start + len(stratum)] = (picks[:, :, None] == np.arange(len(stratum))).sum(axis=1)
        start += len(stratum)
    index = {r: i for i, r in enumerate(order)}
    medians = [_weighted_medians(s.means, counts[:, [index[int(r)] for r in s.rounds]]) for s in (base, cell)]
    low, high = np.percentile(medians[0] / medians[1], [2.5, 97.5])
    return estimates.Interval(float(low), float(high), "block bootstrap over rounds")


def _weighted_medians(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    order = np.argsort(values)
    x, cumulative = values[order], np.cumsum(weights[:, order], axis=1)
    half = cumulative[:, -1:] / 2
    low, high = (cumulative < half).sum(axis=1), np.minimum((cumulative <= half).sum(axis=1), len(x) - 1)
    return (x[low] + x[high]) / 2


def _without(sample: summaries.ProcessSample, rounds: bool, started: bool) -> summaries.ProcessSample:
    return summaries.ProcessSample(sample.means, sample.rounds if rounds else None,
                                   sample.started if started else None)


SPEEDUP_METHODS: dict[str, Callable] = {
    "plain": lambda b, c: summaries.ratio(_without(b, False, False), _without(c, False, False),
                                          ("b", "c"))[1],
    "plain + n_eff": lambda b, c: summaries.ratio(_without(b, False, True), _without(c, False, True),
                                                  ("b", "c"))[1],
    "paired by round": lambda b, c: summaries.ratio(b, c, ("b", "c"))[1],
    "block bootstrap": block_bootstrap,
}


def speedup_part(trials: int, rng: np.random.Generator) -> None:
    rows = []
    for layout in LAYOUTS:
        for drift in (0.0, 0.02, 0.05):
            tallies = {name: Tally() for name in SPEEDUP_METHODS}
            for _ in range(trials):
                base, cell = run_samples(layout, drift, rng)
                for name, method in SPEEDUP_METHODS.items():
                    tallies[name].add(method(base, cell), 8.0)
            rows.append((f"{layout.name}, drift {drift:.0%}", list(tallies.values())))
    table(f"Speedup CI over a run's rounds (machine AR(1), r = {AR_R} round to round)",
          ["setting", *SPEEDUP_METHODS], rows)


PARTS = {"median": median_part, "ratio": ratio_part, "drift": drift_part, "speedup": speedup_part}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trials", type=int, default=800, help="simulated samples per setting (default 800)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}")
    args = p.parse_args(argv)
    for name in args.parts.split(","):
        started = time.perf_counter()
        PARTS[name](args.trials, np.random.default_rng(args.seed))
        print(f"({name}: {args.trials} trials a setting, {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
