"""Archives side by side: A is the baseline, B, C, ... are compared with it cell by cell, in two views.

absolute    time of the cell in B ÷ its time in A (> 1: slower in B). Answers "is machine/run B faster?".
normalised  (cell ÷ its archive's baseline cell) in B ÷ the same in A: each cell's cost relative to its own run's
            baseline, so machine-wide drift cancels. Answers "did this variant change?".
Both ratios get a 95% CI by bootstrapping every sample involved (the process means of each cell, resampled
independently, RESAMPLES times, fixed seed), and a verdict: slower / faster when the CI excludes 1 (and the change
is at least THRESHOLD), no significant change otherwise; only in A / only in B; not comparable (not verified on
one side). Cells are matched by workload, variant, interpreter column, threads and size.

"What differs" between the archives comes from their metadata: CPU, kernel, governor, interpreter versions,
package pins (locks), compilers and flags, git commit, method, and the load seen by the workers.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field

import numpy as np

from . import archive, estimates, stats

THRESHOLD = 0.01  # changes smaller than 1% are "no significant change" even when the CI excludes 1


@dataclass(frozen=True)
class Ratio:
    value: float
    low: float
    high: float

    @property
    def verdict_word(self) -> str:
        if any(math.isnan(x) for x in (self.value, self.low, self.high)):
            return "no CI"
        if self.low > 1 and self.value > 1 + THRESHOLD:
            return "slower"
        if self.high < 1 and self.value < 1 - THRESHOLD:
            return "faster"
        return "no significant change"


NO_RATIO = Ratio(math.nan, math.nan, math.nan)


@dataclass
class CellChange:
    key: tuple  # stats.CELL_KEYS values
    verdict: str  # slower | faster | no significant change | only in A | only in B | not comparable
    absolute: Ratio = NO_RATIO
    normalised: Ratio = NO_RATIO
    median_a: float = math.nan
    median_b: float = math.nan
    p_value: float | None = None  # Mann-Whitney on process means, absolute view
    disturbed: str = ""  # evidence from either side

    def to_json(self) -> dict:
        data = asdict(self)
        data["key"] = dict(zip(stats.CELL_KEYS, self.key))
        return data


@dataclass
class Difference:
    what: str
    a: str
    b: str


@dataclass
class Comparison:
    baseline: str  # run id of A
    other: str  # run id of B
    cells: list[CellChange] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    drift: str = ""  # one line: the machine-wide shift of the absolute view

    def to_json(self) -> dict:
        return {"baseline": self.baseline, "other": self.other, "drift": self.drift,
                "cells": [c.to_json() for c in self.cells], "differences": [asdict(d) for d in self.differences]}

    def slowdowns(self, threshold: float, view: str = "absolute") -> list[CellChange]:
        """Cells significantly slower by more than `threshold` (CI lower end above 1, estimate above 1+threshold)."""
        return [c for c in self.cells if getattr(c, view).low > 1 and getattr(c, view).value > 1 + threshold]


# ---------------------------------------------------------------- ratios with CIs


def _bootstrap(samples: list[np.ndarray], combine) -> Ratio:
    if any(len(s) < estimates.MIN_BOOTSTRAP for s in samples):
        medians = [float(np.median(s)) for s in samples]
        return Ratio(combine(*medians), math.nan, math.nan)
    rng = np.random.default_rng(estimates.SEED)
    resampled = [np.median(s[rng.integers(0, len(s), size=(estimates.RESAMPLES, len(s)))], axis=1) for s in samples]
    values = combine(*resampled)
    tail = (1 - estimates.CONFIDENCE) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return Ratio(float(combine(*[np.median(s) for s in samples])), float(low), float(high))


def absolute(a: np.ndarray, b: np.ndarray) -> Ratio:
    return _bootstrap([b, a], lambda b_, a_: b_ / a_)


def normalised(a: np.ndarray, a_base: np.ndarray, b: np.ndarray, b_base: np.ndarray) -> Ratio:
    return _bootstrap([b, b_base, a, a_base], lambda b_, bb, a_, ab: (b_ / bb) / (a_ / ab))


# ---------------------------------------------------------------- matching cells


@dataclass
class Side:
    """One archive as the diff needs it: summary rows, process means and baseline cells by key."""

    data: archive.Archive
    summary: dict = field(default_factory=dict)
    means: dict = field(default_factory=dict)
    baselines: dict = field(default_factory=dict)  # (workload, size) -> baseline cell key

    @classmethod
    def of(cls, data: archive.Archive) -> Side:
        frame = stats.summarise(data.records, data.roles)
        rows = {tuple(r[k] for k in stats.CELL_KEYS): r for r in frame.to_dict("records")} if not frame.empty else {}
        bases = {k: tuple(row[c] for c in stats.CELL_KEYS) for k, row in stats.baseline_cells(frame, data.roles).items()} \
            if not frame.empty else {}
        return cls(data, rows, stats.process_means(data.records), bases)

    def base_means(self, key: tuple) -> np.ndarray | None:
        base = self.baselines.get((key[0], key[4]))
        return self.means.get(base) if base else None


def compare_cell(key: tuple, a: Side, b: Side) -> CellChange:
    row_a, row_b = a.summary.get(key), b.summary.get(key)
    if row_a is None or row_b is None:
        return CellChange(key, "only in A" if row_b is None else "only in B")
    disturbed = "; ".join(f"{side}: {row['disturbed']}" for side, row in (("A", row_a), ("B", row_b))
                          if row.get("disturbed"))
    if not (row_a["verified"] and row_b["verified"]):
        return CellChange(key, "not comparable", disturbed=disturbed)
    ma, mb = a.means[key], b.means[key]
    base_a, base_b = a.base_means(key), b.base_means(key)
    if key == a.baselines.get((key[0], key[4])) == b.baselines.get((key[0], key[4])):
        norm = Ratio(1.0, 1.0, 1.0)  # the baseline itself: 1 by definition
    elif base_a is not None and base_b is not None:
        norm = normalised(ma, base_a, mb, base_b)
    else:
        norm = NO_RATIO
    test = estimates.mann_whitney(ma, mb)
    ratio = absolute(ma, mb)
    return CellChange(key, norm.verdict_word if norm is not NO_RATIO else ratio.verdict_word, ratio, norm,
                      float(np.median(ma)), float(np.median(mb)), test.p_value if test else None, disturbed)


def compare(a: archive.Archive, b: archive.Archive) -> Comparison:
    side_a, side_b = Side.of(a), Side.of(b)
    keys = sorted(set(side_a.summary) | set(side_b.summary), key=lambda k: tuple(map(str, k)))
    result = Comparison(str(a.manifest.get("run_id")), str(b.manifest.get("run_id")),
                        [compare_cell(k, side_a, side_b) for k in keys], what_differs(a, b))
    result.drift = drift_line(result)
    return result


def drift_line(result: Comparison) -> str:
    ratios = [c.absolute.value for c in result.cells if not math.isnan(c.absolute.value)]
    if not ratios:
        return "no cell verified in both archives"
    median = float(np.median(ratios))
    direction = "slower" if median > 1 else "faster"
    return (f"absolute view: B is {abs(median - 1):.1%} {direction} than A at the median over {len(ratios)} cells "
            f"(range {min(ratios):.3f}–{max(ratios):.3f}×); the normalised view cancels this machine-wide shift")


# ---------------------------------------------------------------- what differs


def _pins(data: archive.Archive) -> dict[str, str]:
    pins = {}
    for relative in data.manifest.get("files", {}):
        if relative.startswith("locks/") and relative.endswith(".txt"):
            env = relative[len("locks/"):-len(".txt")]
            for line in data.text(relative).splitlines():
                match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line.strip())
                if match:
                    pins[f"{env}: {match.group(1).lower()}"] = match.group(2)
    return pins


def _facts(data: archive.Archive) -> dict[str, str]:
    meta = data.metadata
    machine = meta.get("machine") or {}
    cpu = machine.get("cpu") or {}
    facts = {
        "CPU model": str(cpu.get("model")), "CPU count": str(cpu.get("logical_cpus")),
        "CPU flags": " ".join(cpu.get("flags") or []), "kernel": str(machine.get("kernel")),
        "governor": str(cpu.get("governor")), "hostname": str(machine.get("hostname")),
        "git commit": str((meta.get("git") or {}).get("commit")), "git dirty": str((meta.get("git") or {}).get("dirty")),
        "method": ", ".join(f"{k}={v}" for k, v in sorted((meta.get("method") or {}).items())),
        "compilers": ", ".join(f"{k}: {v}" for k, v in sorted((machine.get("compilers") or {}).items())),
        "load before workers (median)": _load(data),
    }
    for interp in meta.get("interpreters") or []:
        facts[f"interpreter {interp.get('name')}"] = f"{interp.get('implementation')} {interp.get('version')}"
    for build in data.builds:
        facts[f"flags {build.get('env')}/{build.get('variant')}"] = " ".join(build.get("flags") or [])
    facts.update({f"package {k}": v for k, v in _pins(data).items()})
    return facts


def _load(data: archive.Archive) -> str:
    loads = [r.get("load_before") for r in data.records if isinstance(r.get("load_before"), (int, float))]
    disturbed = sum(1 for r in data.records if stats.interference(r))
    if not loads:
        return "not recorded"
    return f"{float(np.median(loads)):.2f} (max {max(loads):.2f}); {disturbed} disturbed processes"


def what_differs(a: archive.Archive, b: archive.Archive) -> list[Difference]:
    fa, fb = _facts(a), _facts(b)
    out = []
    for what in sorted(set(fa) | set(fb)):
        va, vb = fa.get(what, "(absent)"), fb.get(what, "(absent)")
        if va != vb:
            if what == "CPU flags":
                sa, sb = set(va.split()), set(vb.split())
                va, vb = "only A: " + (" ".join(sorted(sa - sb)) or "-"), "only B: " + (" ".join(sorted(sb - sa)) or "-")
            out.append(Difference(what, va, vb))
    return out
