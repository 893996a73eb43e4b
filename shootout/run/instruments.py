"""The instruments beside the wall clock (`compare --instruments instructions`): which processes count
instructions, at which size, with how many calls, and running them (after the timed workers, so a valgrind
process never shares the machine with a timed one).

One counting process per cell, two for each baseline-variant cell at 1 thread on every column (the second
shows, in every archive, how far two counts of the same code agree). Each runs at the workload's quick
parameters: Callgrind makes a call 20-100x slower, and a count per work unit carries across sizes far better
than a time does. Every process sets its first calls apart uncounted (AOT_UNCOUNTED), a JIT cell (PyPy, Numba)
its warm-up (compiling, then bridges: JIT_UNCOUNTED), then counts COUNTED_CALLS calls.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..results.records import Record
from ..results.warmup import is_jit
from .counting import Counter
from .matrix import CallPlan, Cell, ParamSet, PlannedCell
from .runner import Job

# call 1 set apart, as in every timed process, and call 2: a compiled kernel's call 2 counts several per cent
# more than its later calls at the quick size (docs/instructions.md)
AOT_UNCOUNTED = 2
# a pure-Python kernel on PyPy reaches a steady count (within 0.01%) from its 4th call at the quick size
# (docs/instructions.md); Numba compiles in call 1
JIT_UNCOUNTED = 3
COUNTED_CALLS = 2  # the second shows the call-to-call spread within a process
DETERMINISM_PROCESSES = 2  # for each baseline-variant cell


@dataclass(frozen=True)
class CountTarget:
    """A cell to count (at the counting size) and how many processes it gets."""

    planned: PlannedCell
    processes: int

    @property
    def uncounted(self) -> int:
        jit = is_jit(self.planned.implementation, self.planned.technology)
        return JIT_UNCOUNTED if jit else AOT_UNCOUNTED

    def jobs(self, counter: Counter) -> list[Job]:
        calls = self.uncounted + COUNTED_CALLS
        return [Job(self.planned, index, CallPlan(calls, calls, 0.0, "counting instructions"),
                    counter=counter, uncounted_calls=self.uncounted)
                for index in range(self.processes)]


def count_targets(planned: list[PlannedCell], sizes: dict[str, list[ParamSet]], baselines: dict[str, str]
                  ) -> list[CountTarget]:
    """One target per runnable (workload, variant, interpreter, threads) at each of its workload's counting
    sizes; `baselines`: workload -> its baseline variant (counted twice at 1 thread)."""
    seen: dict[Cell, CountTarget] = {}
    for p in planned:
        c = p.cell
        for size in sizes.get(c.workload, []) if p.status == "pending" else []:
            cell = Cell(c.workload, c.variant, c.interpreter, c.threads, size)
            twice = c.variant == baselines.get(c.workload) and c.threads == 1
            seen.setdefault(cell, CountTarget(PlannedCell(cell, p.technology, p.implementation, p.parallel,
                                                          "pending"),
                                              DETERMINISM_PROCESSES if twice else 1))
    return list(seen.values())


def count_all(targets: list[CountTarget], counter: Counter, run: Callable[[Job], Record | None],
              stopped: Callable[[], bool], say: Callable[[str], None], parallel: int = 1) -> list[Record]:
    """Every counting process, `parallel` at a time (a count does not depend on what runs beside it), in
    the targets' order; none started once `stopped()`."""

    def one(job: Job) -> Record | None:
        if stopped():
            return None
        record = run(job)
        if record is not None:
            say(f"  counted {job.planned.cell.key} p{job.process_index}: {describe(record)}")
        return record

    jobs = [job for target in targets for job in target.jobs(counter)]
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return [record for record in pool.map(one, jobs) if record is not None]


def describe(record: Record) -> str:
    counts = [n for n in record.instructions or [] if n is not None]
    if not record.ok or not counts:
        first = (record.error or "").strip().splitlines()
        return f"{record.status}: {first[0][:120] if first else 'no count'}"
    return f"{min(counts):,} instructions per call ({record.process_wall_seconds or 0:.1f} s under valgrind)"
