"""Archives side by side: A is the baseline, B, C, ... are compared with it cell by cell, in three views.

drift-cancelled  a cell's B/A ÷ the median B/A over every cell verified in both archives (the machine-wide
                 drift): "did this cell change beyond what the whole machine did?". Verdicts and the gate read
                 it.
normalised       (cell ÷ its archive's baseline cell) in B ÷ the same in A: relative to one reference cell,
                 whose own noise, or own change, moves every other cell the other way.
absolute         time in B ÷ time in A (> 1: slower in B): "is machine/run B faster?".

Every ratio is a ratio of medians of process means. Its 95% CI is a percentile bootstrap: every cell's process
means in A and in B are resampled (RESAMPLES times, seeded by cell and side, so the same archives give the
same numbers), and every ratio, the median over cells included, is recomputed from the same resamples: the
drift-cancelled CI carries the uncertainty of the cell and of the median. The same resamples give each cell
one-sided p-values of "not slower (faster) by more than the threshold"; twice the smaller is adjusted by
Holm's step-down across the cells of the view, and a cell is slower / faster when that is at most ALPHA (its
95% CI then lies beyond 1 ± threshold). Holm bounds the family-wise error rate, the chance that a diff with no
change calls any cell slower or faster, which is what a gate promises; an FDR procedure (Benjamini-Hochberg)
would bound only the expected share of false verdicts among those called. docs/diff-gate.md measures both
rates by simulation.

With fewer than MIN_DRIFT_CELLS matched cells a median is no estimate of the machine's drift (a changed cell
moves it): there is no drift-cancelled view, and verdicts and the gate read the absolute view, which drift
alone can fire; the output says so. Cells are matched by workload, variant, interpreter column, threads and
size. "What differs" between the archives comes from their metadata: CPU, kernel, governor, interpreter
versions, package pins (locks), compilers and flags, git commit, method, and the load seen by the workers.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from . import archive, estimates, summaries

THRESHOLD = 0.01  # default: a change within ±1% is "no significant change" however narrow its CI
ALPHA = 1 - estimates.CONFIDENCE  # family-wise error rate of each view's verdicts
MIN_DRIFT_CELLS = 5  # below this many matched cells, no drift-cancelled view (the median is one of few cells)
SLOWER, FASTER, SAME, NO_CI = "slower", "faster", "no significant change", "no CI"
BASELINE = "baseline (1 by definition)"
NOT_RECORDED = "not recorded"  # an older comparison (reproduction.json) without per-view verdicts
UNMATCHED = ("only in A", "only in B", "not comparable")
LEGACY_METHOD = ("Stored by an older pyshootout: its cell verdicts are the normalised view's (CI excluding "
                 "1, a change of at least 1%, no correction across cells); per-view verdicts were not "
                 "recorded.")


@dataclass(frozen=True)
class View:
    name: str  # the CellChange attribute
    label: str
    question: str


VIEWS = (
    View("drift_cancelled", "drift-cancelled", "cell B/A ÷ median B/A over the matched cells: did this cell "
                                               "change beyond the machine's drift?"),
    View("normalised", "normalised", "(cell ÷ its archive's baseline cell) in B ÷ the same in A"),
    View("absolute", "absolute", "time in B ÷ time in A: is B's machine or run faster?"),
)
VIEW_LABELS = {v.name: v.label for v in VIEWS}


def threshold_of(text: str) -> float:
    """--fail-on-slowdown 5% or 0.05: a relative change in [0, 100%); ValueError names the bad value."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise ValueError(f"--fail-on-slowdown {text!r} is not a percentage (e.g. 5% or 0.05)") from None
    if not 0 <= value < 1:
        raise ValueError(f"--fail-on-slowdown {text!r} must be at least 0 and below 100%")
    return value


# ---------------------------------------------------------------- bootstrap replicates and ratios


@dataclass(frozen=True)
class Sampled:
    """A point estimate and its RESAMPLES bootstrap replicates (None: too few processes to resample)."""

    value: float
    replicates: np.ndarray | None = None

    def __truediv__(self, other: Sampled) -> Sampled:
        if self.replicates is None or other.replicates is None:
            return Sampled(self.value / other.value)
        return Sampled(self.value / other.value, self.replicates / other.replicates)

    def filled(self) -> np.ndarray:
        """The replicates, or the point value repeated: a cell without a CI still takes part in a median."""
        return self.replicates if self.replicates is not None else np.full(estimates.RESAMPLES, self.value)


def resampled_median(values: np.ndarray, seed: list[int]) -> Sampled:
    """The median of process means and RESAMPLES medians of resamples with replacement, drawn as ratio_ci
    draws them (estimates.resampled_medians; none below estimates.MIN_BOOTSTRAP processes). The replicates are
    kept, not reduced to a CI, so every ratio and the median over cells come from the same resamples."""
    values = np.asarray(values, dtype=float)
    if len(values) < estimates.MIN_BOOTSTRAP:
        return Sampled(float(np.median(values)) if len(values) else math.nan)
    return Sampled(float(np.median(values)), estimates.resampled_medians(values, np.random.default_rng(seed)))


def median_over_cells(samples: list[Sampled]) -> Sampled:
    """The median over cells, in the point estimate and in each replicate (the joint bootstrap of the
    drift)."""
    if not samples:
        return Sampled(math.nan)
    value = float(np.median([s.value for s in samples]))
    if all(s.replicates is None for s in samples):
        return Sampled(value)
    return Sampled(value, np.median(np.vstack([s.filled() for s in samples]), axis=0))


@dataclass(frozen=True)
class Ratio:
    """B/A with its 95% percentile-bootstrap CI; p_slower (p_faster) is the one-sided bootstrap p-value of
    "not slower (faster) than 1 ± threshold", (1 + replicates on that side) / (1 + RESAMPLES); p_adjusted is
    Holm's adjustment of 2·min(p_slower, p_faster) across the view's cells, and the verdict follows from
    it."""

    value: float
    low: float = math.nan
    high: float = math.nan
    p_slower: float = math.nan
    p_faster: float = math.nan
    p_adjusted: float = math.nan
    verdict: str = NO_CI

    @property
    def has_ci(self) -> bool:
        return not math.isnan(self.low)

    @classmethod
    def from_json(cls, data) -> Ratio:
        data = data if isinstance(data, dict) else {}
        numbers = {k: _number(data.get(k))
                   for k in ("value", "low", "high", "p_slower", "p_faster", "p_adjusted")}
        return cls(**numbers, verdict=str(data.get("verdict") or NOT_RECORDED))


NO_RATIO = Ratio(math.nan)


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def ratio_of(sample: Sampled, threshold: float) -> Ratio:
    """Point value, 95% CI and one-sided p-values from the replicates; the verdict comes from
    with_verdicts."""
    if sample.replicates is None or math.isnan(sample.value):
        return Ratio(sample.value)
    replicates = sample.replicates
    low, high = estimates.percentile_interval(replicates)
    count = len(replicates) + 1
    return Ratio(sample.value, low, high,
                 float(1 + np.count_nonzero(replicates <= 1 + threshold)) / count,
                 float(1 + np.count_nonzero(replicates >= 1 - threshold)) / count)


def with_verdicts(ratios: dict[tuple, Ratio], threshold: float) -> dict[tuple, Ratio]:
    """Holm's step-down across the view's cells with a CI, on two-sided p = min(1, 2·min(p_slower, p_faster)):
    a cell is slower (faster) when its adjusted p is at most ALPHA and its CI lies above 1 + threshold (below
    1 - threshold). Without the correction, 20 cells with no change give some false verdict in most diffs."""
    tested = [k for k, r in ratios.items() if r.has_ci and r.verdict != BASELINE]
    two_sided = [min(1.0, 2 * min(ratios[k].p_slower, ratios[k].p_faster)) for k in tested]
    adjusted = dict(zip(tested, estimates.holm(two_sided)))
    return {k: replace(r, p_adjusted=adjusted[k], verdict=_verdict(r, adjusted[k], threshold))
            if k in adjusted else r for k, r in ratios.items()}


def _verdict(ratio: Ratio, p_adjusted: float, threshold: float) -> str:
    if p_adjusted > ALPHA:
        return SAME
    if ratio.p_slower < ratio.p_faster and ratio.low > 1 + threshold:
        return SLOWER
    if ratio.p_faster < ratio.p_slower and ratio.high < 1 - threshold:
        return FASTER
    return SAME


# ---------------------------------------------------------------- the two archives, cell by cell


@dataclass(frozen=True)
class SideCell:
    verified: bool
    means: np.ndarray  # one steady-state mean per process (empty unless verified)
    disturbed: str = ""


@dataclass
class Side:
    """One archive as the diff needs it: its cells and each (workload, size)'s baseline cell. A cell's
    bootstrap medians are drawn once, seeded by the cell and the side's role, and shared by every view."""

    role: str  # "A" (the baseline archive) or "B": part of the seed, so A and B never share resamples
    cells: dict[tuple, SideCell]
    baselines: dict[tuple, tuple] = field(default_factory=dict)  # (workload, size) -> baseline cell key
    _medians: dict[tuple, Sampled] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, data: archive.Archive, role: str) -> Side:
        frame = summaries.summarise(data.records, data.roles)
        if frame.empty:
            return cls(role, {})
        means = summaries.process_means(data.records)
        cells = {}
        for row in frame.to_dict("records"):
            key = tuple(row[k] for k in summaries.CELL_KEYS)
            cells[key] = SideCell(bool(row["verified"]), means.get(key, np.array([])),
                                  row.get("disturbed") or "")
        bases = {k: tuple(row[c] for c in summaries.CELL_KEYS)
                 for k, row in summaries.baseline_cells(frame, data.roles).items()}
        return cls(role, cells, bases)

    @classmethod
    def of_means(cls, role: str, means: dict[tuple, np.ndarray], baselines: dict[tuple, tuple]) -> Side:
        """Verified cells from process means alone (what benchmarks/simulate_diff_gate.py feeds the diff)."""
        return cls(role, {k: SideCell(True, np.asarray(v, dtype=float)) for k, v in means.items()}, baselines)

    def baseline_of(self, key: tuple) -> tuple | None:
        return self.baselines.get((key[0], key[4]))

    def median(self, key: tuple) -> Sampled:
        if key not in self._medians:
            seed = [estimates.SEED, zlib.crc32("|".join(map(str, key)).encode()), ord(self.role[0])]
            self._medians[key] = resampled_median(self.cells[key].means, seed)
        return self._medians[key]


@dataclass
class CellChange:
    key: tuple  # summaries.CELL_KEYS values
    verdict: str  # the gate view's verdict, or only in A | only in B | not comparable
    drift_cancelled: Ratio = NO_RATIO
    normalised: Ratio = NO_RATIO
    absolute: Ratio = NO_RATIO
    median_a: float = math.nan
    median_b: float = math.nan
    disturbed: str = ""  # evidence from either side

    def to_json(self) -> dict:
        data = asdict(self)
        data["key"] = dict(zip(summaries.CELL_KEYS, self.key))
        return data

    @classmethod
    def from_json(cls, data: dict) -> CellChange:
        ratios = {v.name: Ratio.from_json(data.get(v.name)) for v in VIEWS}
        return cls(tuple(data["key"].get(k) for k in summaries.CELL_KEYS), str(data.get("verdict")), **ratios,
                   median_a=_number(data.get("median_a")), median_b=_number(data.get("median_b")),
                   disturbed=str(data.get("disturbed") or ""))


@dataclass
class Difference:
    what: str
    a: str
    b: str


@dataclass
class Comparison:
    baseline: str  # run id of A
    other: str  # run id of B
    threshold: float = THRESHOLD
    gate_view: str = "drift_cancelled"  # or "absolute" below MIN_DRIFT_CELLS matched cells
    drift: Ratio = NO_RATIO  # the median B/A over the matched cells, with its bootstrap CI
    matched: int = 0  # cells verified in both archives
    cells: list[CellChange] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    # the drift line of a comparison stored before this rule (its verdicts are the old ones)
    legacy_drift: str = ""

    def slowdowns(self) -> list[CellChange]:
        """What --fail-on-slowdown fails on: cells whose gate-view verdict is slower (at this threshold),
        unless a process of theirs, in either archive, saw interference (summaries.interference: CPU pressure,
        steal, a serial process short of its CPU): a slowdown a neighbour can explain is not the code's."""
        return [c for c in self.cells if c.verdict == SLOWER and not c.disturbed]

    def disturbed_slowdowns(self) -> list[CellChange]:
        """Cells the gate would fail on but for the interference their processes saw: said, not failed."""
        return [c for c in self.cells if c.verdict == SLOWER and c.disturbed]

    def unjudged_warning(self) -> str:
        """A gate with nothing to judge passes; say so (e.g. --quick archives: no cell has a CI)."""
        judged = sum(getattr(c, self.gate_view).has_ci for c in self.cells if c.verdict not in UNMATCHED)
        if judged:
            return ""
        return (f"warning: {self.other}: no cell has a CI in the {VIEW_LABELS[self.gate_view]} view "
                f"(each needs {estimates.MIN_BOOTSTRAP} processes a side in both archives): "
                f"--fail-on-slowdown judged nothing")

    def counts(self, view: str) -> dict[str, int]:
        """How many cells got each verdict in this view (unmatched cells by their status)."""
        found = Counter(c.verdict if c.verdict in UNMATCHED else getattr(c, view).verdict for c in self.cells)
        order = [SLOWER, FASTER, SAME, BASELINE, NO_CI, NOT_RECORDED, *UNMATCHED]
        return {word: found[word]
                for word in sorted(found, key=lambda w: order.index(w) if w in order else 99)}

    def drift_line(self) -> str:
        if self.legacy_drift:
            return self.legacy_drift
        ratios = [c.absolute.value for c in self.cells if not math.isnan(c.absolute.value)]
        if not ratios:
            return "no cell verified in both archives"
        direction = "slower" if self.drift.value > 1 else "faster"
        ci = f" [{self.drift.low:.3f}-{self.drift.high:.3f}]" if self.drift.has_ci else ""
        tail = ("the drift-cancelled view divides it out" if self.gate_view == "drift_cancelled" else
                f"fewer than {MIN_DRIFT_CELLS} matched cells: not divided out")
        return (f"machine drift: B is {abs(self.drift.value - 1):.1%} {direction} than A (median B/A over "
                f"{len(ratios)} matched cells {self.drift.value:.3f}x{ci}, range {min(ratios):.3f}-"
                f"{max(ratios):.3f}x); {tail}")

    def method_lines(self) -> list[str]:
        """How the verdicts and the gate were computed, from the constants that compute them."""
        if self.legacy_drift:
            return [LEGACY_METHOD]
        if self.gate_view == "drift_cancelled":
            view = (f"Verdicts and --fail-on-slowdown read the drift-cancelled view: each cell's B/A ÷ the "
                    f"median B/A over the {self.matched} matched cells.")
        else:
            view = (f"Only {self.matched} matched cells, fewer than {MIN_DRIFT_CELLS}: their median is no "
                    f"estimate of the machine's drift, so there is no drift-cancelled view; verdicts and "
                    f"--fail-on-slowdown read the absolute view, which machine drift alone can fire.")
        bootstrap = (f"95% CIs: percentile bootstrap, {estimates.RESAMPLES} resamples seeded per cell and "
                     f"archive: every cell's process means in A and in B resampled, every ratio and the "
                     f"median over cells recomputed from the same resamples (below "
                     f"{estimates.MIN_BOOTSTRAP} processes a side: no CI).")
        rule = (f"slower / faster: beyond ±{self.threshold:.1%} after Holm's correction across the cells of "
                f"each view (two-sided bootstrap p-values, family-wise error rate {ALPHA:.0%}: the chance "
                f"that a diff with no change calls any cell slower or faster); such a cell's 95% CI lies "
                f"beyond 1 ± {self.threshold:.1%}.")
        return [view, bootstrap, rule]

    def gate_message(self, cell: CellChange) -> str:
        ratio = getattr(cell, self.gate_view)
        text = (f"slower by more than {self.threshold:.1%} ({VIEW_LABELS[self.gate_view]} view, "
                f"Holm-adjusted p {ratio.p_adjusted:.2g}): {' '.join(map(str, cell.key))} in {self.other} "
                f"({ratio.value:.3f}x, CI {ratio.low:.3f}-{ratio.high:.3f})")
        return f"not failed, disturbed ({cell.disturbed}): {text}" if cell.disturbed else text

    def to_json(self) -> dict:
        return {"baseline": self.baseline, "other": self.other, "threshold": self.threshold,
                "gate_view": self.gate_view, "matched": self.matched, "drift": self.drift_line(),
                "drift_ratio": asdict(self.drift), "method": self.method_lines(),
                "cells": [c.to_json() for c in self.cells],
                "differences": [asdict(d) for d in self.differences]}

    @classmethod
    def from_json(cls, data: dict) -> Comparison:
        """What to_json wrote (reproduction.json). One stored before the drift-cancelled view has no
        gate_view: its cell verdicts are the normalised view's, per-view verdicts 'not recorded', its own
        drift line kept."""
        legacy = "gate_view" not in data
        return cls(str(data.get("baseline")), str(data.get("other")),
                   _number(data.get("threshold", THRESHOLD)),
                   "normalised" if legacy else str(data["gate_view"]),
                   Ratio.from_json(data.get("drift_ratio")),
                   int(data.get("matched") or 0), [CellChange.from_json(c) for c in data.get("cells") or []],
                   [Difference(str(d["what"]), str(d["a"]), str(d["b"]))
                    for d in data.get("differences") or []],
                   str(data.get("drift") or "no drift line recorded") if legacy else "")


# ---------------------------------------------------------------- comparing


def _normalised(key: tuple, a: Side, b: Side) -> Sampled | None:
    """(cell ÷ baseline) in B ÷ the same in A; None for the baseline cell itself (1 by definition)."""
    base_a, base_b = a.baseline_of(key), b.baseline_of(key)
    if key == base_a == base_b:
        return None
    if (base_a not in a.cells or base_b not in b.cells
            or not (a.cells[base_a].verified and b.cells[base_b].verified)):
        return Sampled(math.nan)
    return (b.median(key) / b.median(base_b)) / (a.median(key) / a.median(base_a))


def _views(matched: list[tuple], a: Side, b: Side,
           threshold: float) -> tuple[dict[str, dict[tuple, Ratio]], Sampled]:
    """Every matched cell's ratio in each view, verdicts included, and the drift (median B/A) they divide
    by."""
    absolute = {k: b.median(k) / a.median(k) for k in matched}
    drift = median_over_cells(list(absolute.values()))
    normalised = {k: _normalised(k, a, b) for k in matched}
    samples = {"absolute": absolute, "normalised": {k: s for k, s in normalised.items() if s is not None},
               "drift_cancelled": {k: s / drift for k, s in absolute.items()}
               if len(matched) >= MIN_DRIFT_CELLS else {}}
    views = {name: with_verdicts({k: ratio_of(s, threshold) for k, s in found.items()}, threshold)
             for name, found in samples.items()}
    views["normalised"].update({k: Ratio(1.0, 1.0, 1.0, verdict=BASELINE)
                                for k, s in normalised.items() if s is None})
    return views, drift


def _cell_change(key: tuple, a: Side, b: Side, views: dict[str, dict[tuple, Ratio]],
                 gate_view: str) -> CellChange:
    cell_a, cell_b = a.cells.get(key), b.cells.get(key)
    if cell_a is None or cell_b is None:
        return CellChange(key, "only in A" if cell_b is None else "only in B")
    disturbed = "; ".join(f"{side}: {c.disturbed}"
                          for side, c in (("A", cell_a), ("B", cell_b)) if c.disturbed)
    if not (cell_a.verified and cell_b.verified):
        return CellChange(key, "not comparable", disturbed=disturbed)
    ratios = {name: found.get(key, NO_RATIO) for name, found in views.items()}
    return CellChange(key, ratios[gate_view].verdict, **ratios, median_a=a.median(key).value,
                      median_b=b.median(key).value, disturbed=disturbed)


def compare_sides(a: Side, b: Side, threshold: float = THRESHOLD) -> Comparison:
    """Every cell of either side, in the three views, verdicts at `threshold`; run ids and differences are
    left to compare()."""
    keys = sorted(set(a.cells) | set(b.cells), key=lambda k: tuple(map(str, k)))
    matched = [k for k in keys
               if k in a.cells and k in b.cells and a.cells[k].verified and b.cells[k].verified]
    views, drift = _views(matched, a, b, threshold)
    gate_view = "drift_cancelled" if len(matched) >= MIN_DRIFT_CELLS else "absolute"
    return Comparison("A", "B", threshold, gate_view, ratio_of(drift, 0.0), len(matched),
                      [_cell_change(k, a, b, views, gate_view) for k in keys])


def compare(a: archive.Archive, b: archive.Archive, threshold: float = THRESHOLD) -> Comparison:
    result = compare_sides(Side.of(a, "A"), Side.of(b, "B"), threshold)
    result.baseline, result.other = str(a.manifest.get("run_id")), str(b.manifest.get("run_id"))
    result.differences = what_differs(a, b)
    return result


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
        "git commit": str((meta.get("git") or {}).get("commit")),
        "git dirty": str((meta.get("git") or {}).get("dirty")),
        "method": ", ".join(f"{k}={v}" for k, v in sorted((meta.get("method") or {}).items())),
        "compilers": ", ".join(f"{k}: {v}" for k, v in sorted((machine.get("compilers") or {}).items())),
        "load before workers (median)": _load(data),
    }
    for interp in meta.get("interpreters") or []:
        facts.update(_interpreter_facts(interp))
    for build in data.builds:
        facts[f"flags {build.get('env')}/{build.get('variant')}"] = " ".join(build.get("flags") or [])
    facts.update({f"package {k}": v for k, v in _pins(data).items()})
    return facts


def _interpreter_facts(interp: dict) -> dict[str, str]:
    """A column's version, the toolchain its extensions were built with, and, for a column from a Debian
    suite's root file system, the suite and each Debian package's version."""
    name = interp.get("name")
    info: dict = interp["info"] if isinstance(interp.get("info"), dict) else {}
    facts = {f"interpreter {name}": f"{interp.get('implementation')} {interp.get('version')}"}
    if info.get("build_compiler") or info.get("libc"):
        facts[f"toolchain {name}"] = f"{info.get('build_compiler') or '?'}, {info.get('libc') or '?'}"
    provision: dict = info["provision"] if isinstance(info.get("provision"), dict) else {}
    if provision.get("suite"):
        facts[f"Debian suite {name}"] = str(provision["suite"])
    for package, version in sorted((provision.get("packages") or {}).items()):
        facts[f"Debian package {name}: {package}"] = str(version)
    return facts


def _load(data: archive.Archive) -> str:
    loads = [r.load_before for r in data.records if r.load_before is not None]
    disturbed = sum(1 for r in data.records if summaries.interference(r))
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
                va, vb = ("only A: " + (" ".join(sorted(sa - sb)) or "-"),
                          "only B: " + (" ".join(sorted(sb - sa)) or "-"))
            out.append(Difference(what, va, vb))
    return out
