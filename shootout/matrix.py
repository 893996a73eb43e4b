"""The cells of a comparison (workload × variant × interpreter × threads × size) and how each is measured."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .interpreters import Interpreter
from .workloads import VariantInfo


@dataclass(frozen=True)
class Method:
    """How many fresh processes and calls per cell; JIT cells (PyPy, Numba) get more calls to reach steady state."""

    name: str
    processes: int
    warmups: int  # leading calls of an AOT cell not used for steady state (the JIT ones are detected instead)
    calls: int  # timed calls per process after the warmups (AOT cells)
    jit_calls: int  # at most this many calls per process for JIT cells...
    jit_seconds: float = 20.0  # ...but no more calls once this much time went into them (after warmups+calls)

    @staticmethod
    def is_jit(implementation: str, technology: str) -> bool:
        return implementation == "pypy" or technology == "numba"

    def calls_for(self, implementation: str, technology: str) -> int:
        if self.is_jit(implementation, technology):
            return max(self.jit_calls, self.warmups + self.calls)
        return self.warmups + self.calls

    def to_json(self) -> dict:
        return asdict(self)


METHODS = {
    "quick": Method("quick", processes=2, warmups=1, calls=3, jit_calls=8, jit_seconds=3.0),
    "default": Method("default", processes=10, warmups=1, calls=5, jit_calls=20, jit_seconds=20.0),
    "rigorous": Method("rigorous", processes=20, warmups=1, calls=10, jit_calls=40, jit_seconds=60.0),
}

QUICK_SIZE = (300, 300)


@dataclass(frozen=True, order=True)
class Cell:
    workload: str
    variant: str
    interpreter: str  # env / column name, e.g. "pypy3.9"
    threads: int
    width: int
    max_iterations: int

    @classmethod
    def of_record(cls, record: dict) -> Cell:
        """The cell a worker record belongs to (records carry it spread over several fields)."""
        return cls(
            record["workload"], record["variant"], record["interpreter"]["name"], record.get("threads", 1),
            record["params"]["width"], record["params"]["max_iterations"],
        )

    @property
    def key(self) -> str:
        return (
            f"{self.workload}-{self.variant}-{self.interpreter}-t{self.threads}-"
            f"{self.width}x{self.max_iterations}"
        )

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class PlannedCell:
    cell: Cell
    technology: str
    implementation: str | None
    parallel: bool
    status: str  # "pending" (to build and run) | "unsupported" | "skipped"
    reason: str | None = None


def plan(
    workload: str,
    variants: dict[str, VariantInfo],
    interpreters: list[Interpreter],
    threads: list[int],
    sizes: list[tuple[int, int]],
) -> list[PlannedCell]:
    """Every requested cell, including those that cannot run (with the reason), so nothing silently vanishes."""
    cells: list[PlannedCell] = []
    for variant in variants.values():
        for interp in interpreters:
            for thread_count in threads if variant.parallel else [1]:
                for width, max_iterations in sizes:
                    cell = Cell(workload, variant.name, interp.name, thread_count, width, max_iterations)
                    status, reason = "pending", None
                    if not interp.available:
                        status = "skipped"
                        reason = f"{interp.reason}; install: {interp.install_hint}"
                    elif variant.reason_unsupported(interp.implementation):
                        status = "unsupported"
                        reason = variant.reason_unsupported(interp.implementation)
                    cells.append(
                        PlannedCell(
                            cell, variant.technology, interp.implementation, variant.parallel, status, reason
                        )
                    )
    return cells
