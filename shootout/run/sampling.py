"""Which worker process runs next: rounds of every cell up to its minimum, then processes where they narrow
the speedup CIs most, until each speedup is known well enough or the run's time is spent.

Phase 1: each round runs every cell still below its minimum, per_round() times (a baseline cell whose minimum
is twice the others' runs twice in every round, so its processes span the run as every other cell's do), and
one process of each workload's plain program beside each baseline-variant cell (the harness-overhead check,
`method.plain_check`), in an order shuffled by the run's seed. The minimum is `method.processes`, and
`method.baseline_processes` for a baseline cell (every speedup's CI contains the baseline's). Below 6
processes a median has no 95% CI, so this phase is never cut short by a time budget.

Phase 2 (precision p set): a cell is done when the 95% CI of its speedup (summaries.ratio over its baseline
cell, as the report computes it: paired by round) has a relative half-width within p, or when its own median's
CI (estimates.median_ci, widened when its processes drifted together) is within p/2: the two CIs combine to
about √(h_cell² + h_base²), so past that point more processes of this cell barely narrow its speedup, and the
rest is the baseline's. The baseline is done at p/2 of its own, which leaves √(p² − p²/4) ≈ 0.87p to every
cell. A cell without a baseline in the run is done at p of its own. Any cell is also done at
`method.max_processes`, or once `method.cell_seconds` of worker time went into it; a baseline's two caps are
√k times larger, as its share is. The next process goes to the cell furthest behind its share of the phase's
time (deficit scheduling: cells stay interleaved, in an order the allocation decides, not a random one), the
share being a Neyman allocation: time ∝ w·s·√c, with s the relative spread of the cell's process means
(1.4826·MAD/median), c its seconds per process and w = √k for a baseline that k speedups divide by (1 for the
others). That minimises the sum of the squared speedup half-widths for the time spent, which is why a noisy
baseline gets most of it. Phase 2's processes are numbered in rounds too: a round closes when the picked cell
already had its per_round() processes in it. A process that would end after `method.run_seconds` of sampling
is not started: its cell stops with "run budget spent".

A failed process stops its cell at once (a failed cell is not ranked; more processes would not change that).
With no precision (a fixed design, `--processes N` or --quick) every cell gets exactly `method.processes`.
Each cell's stop reason goes into the archive, and every process's round into its record.
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..results import estimates, summaries, warmup
from ..results.records import PlainRecord, Record
from .interrupts import StopRequest
from .matrix import Method, PlannedCell
from .runner import Job


@dataclass
class CellSampling:
    planned: PlannedCell
    records: list[Record] = field(default_factory=list)
    seconds: float = 0.0
    stopped: str | None = None  # why it stopped getting processes; None while active
    # relative half-width of its median's CI, kept up to date past the minimum
    half_width: float | None = None
    # its process means with their rounds (the unit of every CI)
    sample: summaries.ProcessSample | None = None
    spread: float = 0.5  # relative spread of its process means (1.4826·MAD/median); 50% until known
    usable: int = 0  # records that give a number (summaries.process_mean): what the minimum counts
    warmup_end: int | None = None  # JIT cells: where the warm-up ends, learned from a process (see add)

    def add(self, record: Record) -> None:
        """Keep a worker's record, and what the sampler reads of it, split once (a JIT record's split runs
        change-point detection: the progress line, after every process, must not redo it for every record).
        The warm-up end comes from the cell's first process classed flat or warmup: the first call of its
        first segment at the final level (warmup.classify). Until one is, later processes explore too: one
        with no steady state, or one that slowed down late, says nothing about how long the others need to
        warm up."""
        self.records.append(record)
        self.usable += summaries.process_mean(record) is not None
        if self.warmup_end is None and record.status == "ok" and record.verified:
            split = summaries.split(record)
            if split.classification in ("flat", "warmup"):
                self.warmup_end = split.reached

    @property
    def key(self) -> tuple:
        c = self.planned.cell
        return (c.workload, c.variant, c.interpreter, c.threads, c.size.label)


@dataclass(frozen=True)
class PlainTarget:
    """Where the harness-overhead check runs a workload's plain program: beside the baseline variant's cell of
    one interpreter column and size (the cell whose calls it is compared with)."""

    beside: PlannedCell


class Sampler:
    def __init__(self, planned: list[PlannedCell], method: Method, seed: int,
                 run_one: Callable[[Job], Record | None], stop: StopRequest,
                 baselines: dict[str, int] | None = None,
                 plain: list[PlainTarget] | None = None,
                 run_plain: Callable[[PlainTarget, int, int, int], PlainRecord | None] | None = None):
        """`baselines`: cell key -> how many speedups divide by that cell (their weight in phase 2); `plain`:
        the plain-program targets, run by `run_plain(target, process index, round, layout padding)` in every
        round of the minimum."""
        self.cells = [CellSampling(p) for p in planned if p.status == "pending"]
        self.method, self.seed, self.run_one, self.stop = method, seed, run_one, stop
        self.baselines = baselines or {}
        self.plain = list(plain or []) if run_plain is not None else []
        self.run_plain = run_plain
        self.plain_records: list[PlainRecord] = []
        self.round_index = 0  # the current round: phase 1's, then blocks of phase 2 in which no cell repeats
        self._in_round: dict[tuple, int] = {}  # phase 2: processes of each cell in the current round
        by_place = {(c.planned.cell.workload, c.planned.cell.size): c
                    for c in self.cells if self.is_baseline(c)}
        self._baseline_of = {c.key: by_place.get((c.planned.cell.workload, c.planned.cell.size))
                             for c in self.cells if not self.is_baseline(c)}
        self.done = 0
        self.started = time.monotonic()
        self.extra_seconds: dict[tuple, float] = {}  # phase 2: wall seconds given to each cell
        self.progress = Progress(self)

    # ------------------------------------------------------------ the loop

    def run(self) -> list[Record]:
        with self.progress:
            self._minimum_rounds()
            if self.method.precision is not None:
                self._decide()
                while not self.stop.requested and self._next_extra():
                    pass
        if self.stop.requested:
            self.progress.line(f"interrupted after {self.done} worker processes; archiving what finished")
        return [r for cell in self.cells for r in cell.records]

    def minimum(self, cell: CellSampling) -> int:
        """Processes before any stop rule but a failure: `processes`, or `baseline_processes` for a cell that
        speedups divide by (with a precision target): its CI is part of every speedup's."""
        m = self.method
        if m.precision is not None and m.baseline_processes and cell.planned.cell.key in self.baselines:
            return max(m.processes, m.baseline_processes)
        return m.processes

    def owed(self, cell: CellSampling) -> int:
        """Processes the cell's minimum still needs. With a precision target the minimum counts processes that
        give a number (a JIT process with no steady state is counted apart: summaries.process_mean), up to
        twice the minimum in all; a fixed design counts every process."""
        least = self.minimum(cell)
        if self.method.precision is None:
            return max(0, least - len(cell.records))
        return max(0, min(least - cell.usable, 2 * least - len(cell.records)))

    def per_round(self, cell: CellSampling) -> int:
        """Processes of a cell per round: a baseline whose minimum is twice the others' gets two in every
        round, so that its processes spread over the run as every other cell's do."""
        return max(1, math.ceil(self.minimum(cell) / self.method.processes))

    def _minimum_rounds(self) -> None:
        """Phase 1: rounds of every cell still below its minimum (per_round times; owed) and, in the minimum's
        `processes` rounds, one plain-program process per target (method.plain_check), in an order shuffled by
        the seed."""
        while not self.stop.requested:
            order: list = []
            for cell in self.active():
                order += [cell] * min(self.per_round(cell), self.owed(cell))
            if not order:
                return
            if self.round_index < self.method.processes:  # the minimum's rounds, not those a cell adds
                order += self.plain
            random.Random(self.seed * 1000 + self.round_index).shuffle(order)
            for item in order:
                if self.stop.requested:
                    return
                ran = self._run_plain(item) if isinstance(item, PlainTarget) else self._run_process(item)
                if not ran:
                    return
            self.round_index += 1

    def _run_plain(self, target: PlainTarget) -> bool:
        index = sum(1 for r in self.plain_records if r.beside == target.beside.cell.key)
        padding = self.layout_padding(target.beside, f"plain-{target.beside.cell.key}-p{index}")
        record = self.run_plain(target, index, self.round_index, padding)
        if record is None:  # stopped by a signal: not counted
            return False
        self.plain_records.append(record)
        self.progress.plain(target, record)
        return True

    def _next_round_if_repeated(self, cell: CellSampling) -> None:
        """Phase 2: a round closes when the picked cell already had its per_round processes in it."""
        if self._in_round.get(cell.key, 0) >= self.per_round(cell):
            self.round_index += 1
            self._in_round = {}
        self._in_round[cell.key] = self._in_round.get(cell.key, 0) + 1

    def _next_extra(self) -> bool:
        """Run one phase-2 process; False when every cell is done."""
        active = self.active()
        if not active:
            return False
        fits = [c for c in active if self._fits_budget(c)]
        for cell in active:
            if cell not in fits:
                cell.stopped = (f"run budget of {self.method.run_seconds:g} s spent after "
                                f"{len(cell.records)} processes")
        if not fits:
            return False
        weights = {c.key: self.allocation_weight(c) for c in active}
        total, spent = sum(weights.values()), sum(self.extra_seconds.get(key, 0.0) for key in weights)
        shares = {key: w / total if total > 0 else 1 / len(weights) for key, w in weights.items()}
        cell = max(fits, key=lambda c: self._deficit(c, shares[c.key], spent))
        if self.baseline_of(cell) is not None:  # the baseline's processes since its last one may have done it
            cell.stopped = self._stop_reason(cell)
            if cell.stopped is not None:
                return True
        before = cell.seconds
        self._next_round_if_repeated(cell)
        if self._run_process(cell):
            self.extra_seconds[cell.key] = self.extra_seconds.get(cell.key, 0.0) + cell.seconds - before
            if cell.stopped is None:
                cell.stopped = self._stop_reason(cell)
        return True

    def _fits_budget(self, cell: CellSampling) -> bool:
        budget = self.method.run_seconds
        return budget is None or time.monotonic() - self.started + self.per_process(cell) <= budget

    def _deficit(self, cell: CellSampling, share: float, spent: float) -> tuple[float, float]:
        """How far the cell is behind its Neyman `share` of the `spent` phase-2 time of the active cells; ties
        go by the seeded order."""
        tie = random.Random(f"{self.seed}-{self.done}-{cell.key}").random()
        return share * (spent + self.per_process(cell)) - self.extra_seconds.get(cell.key, 0.0), tie

    def allocation_weight(self, cell: CellSampling) -> float:
        """w·s·√c (see the module docstring)."""
        return (math.sqrt(self.baselines.get(cell.planned.cell.key, 1)) * cell.spread
                * math.sqrt(self.per_process(cell)))

    def per_process(self, cell: CellSampling) -> float:
        if cell.records:
            return cell.seconds / len(cell.records)
        known = [c.seconds / len(c.records) for c in self.cells if c.records]
        return sum(known) / len(known) if known else 10.0

    def active(self) -> list[CellSampling]:
        return [c for c in self.cells if c.stopped is None]

    def _job(self, cell: CellSampling) -> Job:
        p = cell.planned
        rule = warmup.rule_for(p.implementation, p.technology)
        index = len(cell.records)
        return Job(p, index, self.method.calls_for(rule, cell.warmup_end), warmup_rule=rule,
                   round_index=self.round_index,
                   layout_padding=self.layout_padding(p, f"{p.cell.key}-p{index}"))

    def layout_padding(self, planned: PlannedCell, name: str) -> int:
        """The small loops a PyPy process compiles before its kernel, drawn by the seed (0 elsewhere)."""
        if planned.implementation != "pypy" or not self.method.layout_paddings:
            return 0
        return random.Random(f"{self.seed}-{name}").randrange(self.method.layout_paddings)

    def _run_process(self, cell: CellSampling) -> bool:
        started = time.monotonic()
        record = self.run_one(self._job(cell))
        if record is None:  # stopped by a signal: not counted
            return False
        cell.seconds += time.monotonic() - started
        cell.add(record)
        self.done += 1
        if len(cell.records) >= self.method.processes and self.method.precision is not None:
            self._update_estimates(cell)
        if record.status != "ok":
            cell.stopped = f"process {record.process_index} {record.status}"
        elif self.method.precision is None and len(cell.records) >= self.method.processes:
            cell.stopped = f"fixed design: {len(cell.records)} processes"
        self.progress.process(cell, record)
        return True

    # ------------------------------------------------------------ when a cell has enough

    def _decide(self) -> None:
        for cell in self.active():
            cell.stopped = self._stop_reason(cell)

    def _stop_reason(self, cell: CellSampling) -> str | None:
        n = len(cell.records)
        most, seconds = self.caps(cell)
        if n >= most:
            return f"cap of {most} processes reached"
        if cell.seconds >= seconds:
            return f"time budget of {seconds:g} s reached after {n} processes"
        return self._precise_enough(cell)

    def caps(self, cell: CellSampling) -> tuple[int, float]:
        """(most processes, most worker seconds) for this cell: √k times the method's for a baseline that k
        speedups divide by."""
        scale = math.sqrt(self.baselines.get(cell.planned.cell.key, 1)) if self.by_speedup else 1
        return math.ceil(self.method.max_processes * scale), self.method.cell_seconds * scale

    def _precise_enough(self, cell: CellSampling) -> str | None:
        """The precision rule of the module docstring, as a stop reason (None: not yet)."""
        p, n, half = self.method.precision, len(cell.records), cell.half_width
        base = self.baseline_of(cell) if self.by_speedup else None
        own_target = p / 2 if self.by_speedup and (base is not None or self.is_baseline(cell)) else p
        if base is not None and base.sample is not None and cell.sample is not None:
            speedup = summaries.ratio(base.sample, cell.sample, ("baseline", "cell"))[1].relative_half_width
            if speedup is not None and speedup <= p:
                return f"speedup CI ±{speedup:.2%} within ±{p:.2%} after {n} processes"
        if half is not None and half <= own_target:
            rest = " (the rest of its speedup CI is the baseline's)" if base is not None else ""
            return f"median CI ±{half:.2%} within ±{own_target:.2%} after {n} processes{rest}"
        return None

    @property
    def by_speedup(self) -> bool:
        """The "speedup" stop rule; else "median" (older archives): a cell's own CI within p, plain caps."""
        return self.method.stop_rule == "speedup"

    def is_baseline(self, cell: CellSampling) -> bool:
        return cell.planned.cell.key in self.baselines

    def baseline_of(self, cell: CellSampling) -> CellSampling | None:
        """The baseline cell this cell's speedup divides by (same workload and size), None for a baseline."""
        return self._baseline_of.get(cell.key)

    def _update_estimates(self, cell: CellSampling) -> None:
        """The cell's process sample, the relative half-width of its median's 95% CI as the report computes it
        (widened when its processes drifted together; None: n too small), and the relative spread of its
        means."""
        sample = summaries.process_samples(cell.records).get(cell.key)
        if sample is None or len(sample.means) == 0:
            return
        cell.sample = sample
        spread = estimates.relative_spread(sample.means)
        if not math.isnan(spread):
            cell.spread = spread
        cell.half_width = estimates.median_ci(sample.means, dependence=sample.dependence).relative_half_width

    def stop_reasons(self) -> dict[str, str]:
        """cell key -> why it stopped (cells still active when a signal came have none)."""
        return {c.planned.cell.key: c.stopped for c in self.cells if c.stopped}

    def eta_seconds(self) -> tuple[float, float]:
        """(at least, at most) seconds left: every active cell still needs its minimum; at most, each goes on
        to its cap or its time budget, and never past the run's budget once the minimum is done."""
        m = self.method
        least = most = 0.0
        for c in self.active():
            per = self.per_process(c)
            least += per * self.owed(c)
            cap, seconds = self.caps(c)
            most += max(per, min(per * (cap - len(c.records)), seconds - c.seconds + per))
        if m.precision is None:
            return least, least
        if m.run_seconds is not None:
            most = min(most, max(least, m.run_seconds - (time.monotonic() - self.started)))
        return least, max(least, most)

    def processes_left(self) -> int:
        """Worker processes still owed to the active cells' minimums and to the plain programs (phase 1); 0
        once every minimum is met."""
        owed = {c.key: self.owed(c) for c in self.active()}
        rounds = max((math.ceil(n / self.per_round(c)) for c in self.active() if (n := owed[c.key])),
                     default=0)
        done_this_round = sum(1 for r in self.plain_records if r.round == self.round_index)
        rounds = min(rounds, max(0, self.method.processes - self.round_index))
        return sum(owed.values()) + max(0, len(self.plain) * rounds - done_this_round)


class Progress:
    """One line per worker process on stderr (logs and tests read these), and a rich bar on a terminal: the
    processes done of those the minimum still owes (phase 1), then of those run so far, and the time left."""

    def __init__(self, sampler: Sampler):
        self.sampler = sampler
        self.bar = None
        self.task = None

    def __enter__(self):
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("worker processes"), MofNCompleteColumn(), BarColumn(),
                                TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self.bar.__enter__()
            self.task = self.bar.add_task("processes", total=self.sampler.processes_left())
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False

    def line(self, text: str) -> None:
        if self.bar is not None:
            self.bar.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=sys.stderr, flush=True)

    def where(self) -> str:
        """'57 of at least 294 worker processes, 4.1 to 8.9 min left' (phase 1), or past the minimum 'minimum
        done, 301 worker processes, 12 cells still sampling, up to 3.2 min left'."""
        s = self.sampler
        done, owed = s.done + len(s.plain_records), s.processes_left()
        least, most = s.eta_seconds()
        if owed:
            return (f"{done} of at least {done + owed} worker processes, "
                    f"{least / 60:.1f} to {most / 60:.1f} min left")
        return (f"minimum done, {done} worker processes, {len(s.active())} cells still sampling, "
                f"up to {most / 60:.1f} min left")

    def _advance(self) -> None:
        if self.bar is not None:
            s = self.sampler
            done = s.done + len(s.plain_records)
            self.bar.update(self.task, completed=done, total=done + s.processes_left() or done)

    def process(self, cell: CellSampling, record: Record) -> None:
        times = record.times_seconds
        best = f"{min(times):.4g} s" if times else "-"
        self.line(f"[{self.sampler.done}] {cell.planned.cell.key} p{record.process_index}: {record.status} "
                  f"(best {best}); {self.where()}")
        self._advance()

    def plain(self, target: PlainTarget, record: PlainRecord) -> None:
        times = record.times_seconds
        best = f"{min(times):.4g} s" if times else "-"
        self.line(f"[plain] {target.beside.cell.key}: {record.status} (best {best}); {self.where()}")
        self._advance()
