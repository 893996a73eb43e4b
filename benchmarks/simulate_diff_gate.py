"""Does `diff --fail-on-slowdown` cry wolf on machine drift, and does it catch a real slowdown? A simulation
that feeds synthetic process means to the project's own diff (shootout.results.diff.compare_sides: the views,
the joint bootstrap, Holm, the verdicts and the gate, exactly as `nox -s diff` runs them on archives).

    python benchmarks/simulate_diff_gate.py [--trials 250] [--threshold 2%,5%] [--drift-jitter 0.01] \\
        [--seed 1]

Each trial is a pair of archives of CELLS cells of one workload (the first is the baseline cell of the
normalised view). Per cell: 6-12 processes a side (drawn apart for A and B), process means log-normal around
the cell's level with a relative spread of 1-3% (NOISY cells: 10%). B is A's machine slower by the drift,
uniformly (or, with --drift-jitter, by a drift that varies from cell to cell), with fresh noise. Per drift
level and gate threshold:
  old gate           share of no-change diffs in which the rule before the drift-cancelled view would fail:
                     some cell's absolute-view CI above 1 and its ratio above 1 + threshold, no correction
  gate fires         share of no-change diffs in which --fail-on-slowdown exits 1 (diff's own verdicts)
  old false          share of no-change diffs that the old verdicts (normalised view, CI excluding 1 and
                     change of at least 1%, no correction) call some cell slower or faster
  false verdict      the same with diff's verdicts at the default 1% threshold (drift-cancelled view: the
                     table's)
  false (normalised) the same in the normalised view, now Holm-corrected too
  detected           one cell (drawn at random, noisy ones included) 10% slower in B: share of diffs in which
                     the gate fires on that cell; "only it" when on no other cell
  detected (quiet)   the same over the trials whose slowed cell has a 1-3% spread
The old-rule columns apply the old thresholds to diff's own ratios and CIs. Shares are over trials; ± is the
binomial standard error. Under uniform drift the drift-cancelled view is exactly invariant (every ratio and
the median scale alike), so its rows differ only by sampling; --drift-jitter is the harder case.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shootout.results import diff

CELLS = 20
NOISY = 2  # cells with a 10% spread
DRIFTS = (0.0, 0.02, 0.03, 0.05)
SLOWDOWN = 0.10
PROCESSES = (6, 12)


@dataclass(frozen=True)
class Cell:
    key: tuple
    level: float  # seconds
    spread: float  # relative standard deviation of its process means (log scale)


def cells(rng: np.random.Generator) -> list[Cell]:
    spreads = [0.10] * NOISY + list(rng.uniform(0.01, 0.03, CELLS - NOISY))
    rng.shuffle(spreads)
    return [Cell(("sim", f"v{i:02d}", "cpython", 1, "n"),
                 float(np.exp(rng.uniform(np.log(1e-3), np.log(2.0)))), float(s))
            for i, s in enumerate(spreads)]


def side(role: str, layout: list[Cell], rng: np.random.Generator, scale: dict[tuple, float]) -> diff.Side:
    """An archive's cells as process means: each cell's level × its scale × log-normal noise."""
    means = {}
    for cell in layout:
        n = int(rng.integers(PROCESSES[0], PROCESSES[1] + 1))
        means[cell.key] = cell.level * scale.get(cell.key, 1.0) * np.exp(cell.spread * rng.standard_normal(n))
    return diff.Side.of_means(role, means, {("sim", "n"): layout[0].key})


def changed(comparison: diff.Comparison, view: str) -> set[tuple]:
    return {c.key for c in comparison.cells if getattr(c, view).verdict in (diff.SLOWER, diff.FASTER)}


def old_slower(ratio: diff.Ratio, threshold: float) -> bool:
    """The rule before: CI above 1 and the ratio above 1 + threshold, cell by cell."""
    return ratio.low > 1 and ratio.value > 1 + threshold


def old_changed(ratio: diff.Ratio, threshold: float) -> bool:
    return old_slower(ratio, threshold) or (ratio.high < 1 and ratio.value < 1 - threshold)


@dataclass
class Tally:
    """Counts over the trials of one drift level and one gate threshold."""

    trials: int = 0
    old_fired: int = 0
    fired: int = 0
    old_false: int = 0
    false_cancelled: int = 0
    false_normalised: int = 0
    detected: int = 0
    only: int = 0
    quiet_trials: int = 0
    quiet_detected: int = 0

    def row(self) -> list[str]:
        return [share(self.old_fired, self.trials), share(self.fired, self.trials),
                share(self.old_false, self.trials), share(self.false_cancelled, self.trials),
                share(self.false_normalised, self.trials), share(self.detected, self.trials),
                share(self.only, self.trials), share(self.quiet_detected, self.quiet_trials)]


@dataclass(frozen=True)
class Scenario:
    drift: float
    jitter: float  # relative standard deviation of the drift from cell to cell (0: uniform)

    def scale(self, layout: list[Cell], rng: np.random.Generator,
              slowed: Cell | None = None) -> dict[tuple, float]:
        drifts = (1 + self.drift) * np.exp(self.jitter * rng.standard_normal(len(layout)))
        return {c.key: float(d) * (1 + SLOWDOWN if c is slowed else 1) for c, d in zip(layout, drifts)}


def trial(scenario: Scenario, thresholds: list[float], rng: np.random.Generator,
          tallies: list[Tally]) -> None:
    """One pair with no real change and one with a cell slowed, judged at the default threshold (verdicts) and
    at each gate threshold; the sides keep their bootstrap medians, so extra thresholds cost no resampling."""
    layout = cells(rng)
    a = side("A", layout, rng, {})
    same = side("B", layout, rng, scenario.scale(layout, rng))
    slowed = layout[int(rng.integers(CELLS))]
    slower = side("B", layout, rng, scenario.scale(layout, rng, slowed))
    default = diff.compare_sides(a, same, diff.THRESHOLD)
    for threshold, tally in zip(thresholds, tallies):
        named = {c.key for c in diff.compare_sides(a, slower, threshold).slowdowns()}
        tally.trials += 1
        tally.old_fired += any(old_slower(c.absolute, threshold) for c in default.cells)
        tally.fired += bool(diff.compare_sides(a, same, threshold).slowdowns())
        tally.old_false += any(old_changed(c.normalised, diff.THRESHOLD) for c in default.cells
                               if c.normalised.verdict != diff.BASELINE)
        tally.false_cancelled += bool(changed(default, "drift_cancelled"))
        tally.false_normalised += bool(changed(default, "normalised"))
        tally.detected += slowed.key in named
        tally.only += named == {slowed.key}
        if slowed.spread < 0.05:
            tally.quiet_trials += 1
            tally.quiet_detected += slowed.key in named


def share(k: int, n: int) -> str:
    if not n:
        return "-"
    p = k / n
    return f"{p:.1%} ±{math.sqrt(p * (1 - p) / n):.1%}"


HEADER = ["drift", "gate", "old gate", "gate fires", "old false", "false verdict", "false (normalised)",
          f"detected {SLOWDOWN:.0%}", "only it", "detected (quiet)"]


def line(values: list[str]) -> str:
    return "| " + " | ".join(values) + " |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=250, help="diffs per drift level (default 250)")
    parser.add_argument("--threshold", default="2%,5%",
                        help="--fail-on-slowdown values of the simulated gate, comma-separated "
                             "(default 2%%,5%%)")
    parser.add_argument("--drift-jitter", type=float, default=0.0,
                        help="relative sd of the drift from cell to cell (default 0: uniform drift)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    thresholds = [diff.threshold_of(t.strip()) for t in args.threshold.split(",")]
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    print(f"{CELLS} cells ({NOISY} with a 10% spread, the others 1-3%), {PROCESSES[0]}-{PROCESSES[1]} "
          f"processes a side, drift jitter {args.drift_jitter:.1%}, {args.trials} diffs per drift level, "
          f"seed {args.seed}\n")
    print(line(HEADER) + "\n" + line(["---"] * len(HEADER)))
    for drift in DRIFTS:
        tallies = [Tally() for _ in thresholds]
        for _ in range(args.trials):
            trial(Scenario(drift, args.drift_jitter), thresholds, rng, tallies)
        for threshold, tally in zip(thresholds, tallies):
            print(line([f"{drift:.0%}", f"{threshold:.0%}", *tally.row()]), flush=True)
    print(f"\n{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
