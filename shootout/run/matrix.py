"""The cells of a comparison (workload × variant × interpreter × threads × parameter set) and how each is
measured."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass

from ..results.records import Record
from ..results.warmup import JIT_RULES
from .interpreters import TargetInterpreter


@dataclass(frozen=True)
class CallPlan:
    """How many calls one worker process makes (the harness's --calls, --min-calls and --max-seconds): at
    least `least`, at most `most`, and past `least` none once `seconds` went into the kernel. `note` says
    where the number came from (kept in the record)."""

    most: int
    least: int
    seconds: float
    note: str = ""


@dataclass(frozen=True)
class Method:
    """How many fresh processes each cell gets and how many calls each process makes.

    Sequential (precision set): every cell gets `processes` in rounds; then more, allocated by
    sampling.Sampler, until its speedup's CI is within `precision` (relative half-width) or its own median's
    within half of it (`stop_rule` "speedup"; archives from before it, without the field, used "median": the
    cell's own median CI within `precision`), at most `max_processes`, `cell_seconds` of worker time per cell,
    and none past the minimum that would end after `run_seconds` of sampling (wall). Fixed (precision None):
    exactly `processes`. Per process (calls_for): every cell's call 1 is set apart, so cells that are not
    JIT-compiled make `warmups` + up to `calls` calls, stopping after the first later one once `call_seconds`
    went into the kernel (the precision comes from more processes, not more calls of one). JIT cells (PyPy,
    Numba) follow their warm-up: a cell's first process explores, up to `jit_calls` calls and, past 1 +
    `jit_steady_calls`, `jit_seconds` of kernel time; its change points say where its steady state starts
    (call s), and every later process of the cell makes s + `jit_steady_calls` calls (at most `jit_calls`).
    Archives from before `jit_steady_calls` made up to `jit_calls`, stopping after `jit_min_calls` once
    `jit_seconds` went in. `plain_check`: one process of each workload's plain program per interpreter column
    in every round of the minimum (the harness-overhead check, interleaved with the cells' processes).
    `layout_paddings`: on PyPy, every process (plain ones too) first compiles a number of small loops drawn
    from 0..n-1 by the seed, so that the kernel's machine code lands at a different place in each
    (workloads/harness.pad_jit_code).
    """

    name: str
    processes: int  # fixed design: processes per cell; sequential: the minimum
    warmups: int  # leading calls reported apart (the first call)
    calls: int  # timed calls after the warmups, at most (cells that are not JIT-compiled)
    jit_calls: int  # JIT: calls per process, at most...
    # ...and, exploring, no more once this much time went into calls past the minimum
    jit_seconds: float = 20.0
    jit_min_calls: int = 8  # archives from before jit_steady_calls: the minimum
    call_seconds: float = 3.0
    precision: float | None = None
    max_processes: int = 30
    cell_seconds: float = 120.0
    # sequential: no process past a cell's minimum would end after this (wall)
    run_seconds: float | None = None
    baseline_processes: int | None = None  # sequential: the minimum of a cell the speedups divide by
    stop_rule: str = "speedup"  # sequential: what "precise enough" means (see above)
    jit_steady_calls: int | None = None  # JIT: steady calls a process makes past its cell's learned warm-up
    plain_check: bool = False  # the harness-overhead check (archives from before it: none)
    # PyPy: each process compiles a drawn 0..n-1 small loops first (harness.pad_jit_code)
    layout_paddings: int = 0

    def calls_for(self, rule: str, steady_start: int | None = None) -> CallPlan:
        """The calls of one process of a cell under warm-up rule `rule` (warmup.rule_for); for a JIT cell
        whose warm-up was learned, `steady_start` is the index of its first steady call (None: explore)."""
        if rule not in JIT_RULES:
            warmups = 0 if rule == "interpreted" else self.warmups  # "interpreted": archives that kept call 1
            most = warmups + self.calls
            return CallPlan(most, min(warmups + 1, most), self.call_seconds)
        most = max(self.jit_calls, self.warmups + self.calls)
        if not self.jit_steady_calls:
            return CallPlan(most, min(self.jit_min_calls, most), self.jit_seconds)
        if steady_start is None:
            return CallPlan(
                most, min(1 + self.jit_steady_calls, most), self.jit_seconds, "exploring the warm-up")
        planned = min(most, steady_start + self.jit_steady_calls)
        return CallPlan(planned, planned, self.jit_seconds,
                        f"steady from call {steady_start + 1} in the cell's first process: {planned} calls")

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Method:
        """to_json() read back; an archive from before `stop_rule` stopped on the cell's own median
        (above)."""
        return cls(**{"stop_rule": "median", **data})


METHODS = {
    "quick": Method("quick", processes=2, warmups=1, calls=2, jit_calls=12, jit_seconds=1.0, jit_min_calls=5,
                    call_seconds=0.5, jit_steady_calls=4, plain_check=True, layout_paddings=16),
    "default": Method("default", processes=6, warmups=1, calls=3, jit_calls=20, jit_seconds=16.0,
                      jit_min_calls=9, call_seconds=2.0, precision=0.02, max_processes=30, cell_seconds=120.0,
                      run_seconds=540.0, baseline_processes=12, jit_steady_calls=8, plain_check=True,
                      layout_paddings=16),
    "rigorous": Method("rigorous", processes=10, warmups=1, calls=10, jit_calls=80, jit_seconds=60.0,
                       jit_min_calls=13, call_seconds=10.0, precision=0.005, max_processes=60,
                       cell_seconds=600.0, jit_steady_calls=12, plain_check=True, layout_paddings=16),
}


@dataclass(frozen=True, order=True)
class ParamSet:
    """One point of a workload's parameter space, with the workload's label for it ("1000x300")."""

    label: str
    items: tuple  # ((name, value), ...) sorted by name: hashable and comparable

    @classmethod
    def of(cls, workload, params: dict) -> ParamSet:
        return cls(workload.format_label(params), tuple(sorted(params.items())))

    @property
    def params(self) -> dict:
        return dict(self.items)


@dataclass(frozen=True, order=True)
class Cell:
    workload: str
    variant: str
    interpreter: str  # env / column name, e.g. "pypy3.9"
    threads: int
    size: ParamSet

    @classmethod
    def of_record(cls, record: Record) -> Cell:
        """The cell a worker record belongs to (Record.cell_key, with the parameters its size stands for)."""
        workload, variant, interpreter, threads, size = record.cell_key
        params = tuple(sorted(record.params.items()))
        return cls(workload, variant, str(interpreter), threads, ParamSet(str(size), params))

    @property
    def key(self) -> str:
        return f"{self.workload}-{self.variant}-{self.interpreter}-t{self.threads}-{self.size.label}"

    def to_json(self) -> dict:
        return {"workload": self.workload, "variant": self.variant, "interpreter": self.interpreter,
                "threads": self.threads, "size": self.size.label, "params": self.size.params}


@dataclass
class PlannedCell:
    cell: Cell
    technology: str
    implementation: str | None
    parallel: bool
    status: str  # "pending" (to build and run) | "unsupported" | "skipped" | "build_failed" | "resumed"
    reason: str | None = None


def parameter_sets(workload, explicit: list[dict], swept: dict[str, list], quick: bool) -> list[ParamSet]:
    """Every parameter set to run: each explicit one (--sizes shorthand), crossed with every swept value
    (--param name=a,b); parameters given neither way take the workload's default (or quick) value."""
    base = workload.defaults(quick)
    names = sorted(swept)
    sets = []
    for fixed in explicit or [{}]:
        for values in itertools.product(*(swept[n] for n in names)):
            sets.append(ParamSet.of(workload, {**base, **fixed, **dict(zip(names, values))}))
    unique = sorted(set(sets), key=sets.index)
    labels = [s.label for s in unique]
    clash = next((label for label in labels if labels.count(label) > 1), None)
    if clash is not None:
        raise ValueError(f"two parameter sets share the label {clash!r}: the workload's label must name "
                         "every parameter that varies")
    return unique


def plan(
    workload,
    variant_names: list[str],
    interpreters: list[TargetInterpreter],
    threads: list[int],
    sizes: list[ParamSet],
) -> list[PlannedCell]:
    """Every requested cell, including those that cannot run (with the reason), so nothing silently
    vanishes."""
    table = workload.table(include_fixtures=True)
    cells: list[PlannedCell] = []
    for variant in (table[name] for name in variant_names):
        for interp in interpreters:
            for thread_count in threads if variant.parallel else [1]:
                for size in sizes:
                    cell = Cell(workload.name, variant.name, interp.name, thread_count, size)
                    status, reason = "pending", None
                    if not interp.available:
                        status = "skipped"
                        reason = f"{interp.reason}; install: {interp.install_hint}"
                    elif variant.unsupported_on(interp.platform_keys):
                        status = "unsupported"
                        reason = variant.unsupported_on(interp.platform_keys)
                    cells.append(
                        PlannedCell(
                            cell, variant.technology, interp.implementation, variant.parallel, status, reason
                        )
                    )
    return cells
