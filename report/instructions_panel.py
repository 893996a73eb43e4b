"""The instructions section: each counted cell's instructions per call and per work unit, and, where the same
cell was timed at the same size, its time per instruction (shootout/results/counts.py counts; this only words
them)."""

from __future__ import annotations

from dataclasses import dataclass

from shootout.results import archive as archive_mod
from shootout.results import counts
from shootout.results.cells import CellSummary


@dataclass(frozen=True)
class InstructionsRow:
    workload: str
    variant: str
    interpreter: str
    threads: int
    size: str
    instructions: float | None
    per_work_unit: float | None
    spread: float | None  # between processes; None with one process
    ps_per_instruction: float | None  # the timed cell's median over its count: how well it uses the machine
    parallel: bool  # threads > 1: the count is every thread's work, not parallel time
    error: str | None


@dataclass(frozen=True)
class InstructionsView:
    rows: list[InstructionsRow]
    counter: str  # 'valgrind-3.19.0, callgrind --instr-atstart=no ...'
    uncounted: str  # 'calls 1–2 uncounted (1–3 on JIT cells), then 2 counted'


def view(data: archive_mod.Archive, cells: list[CellSummary]) -> InstructionsView | None:
    """None for an archive without counts (made without --instruments instructions)."""
    if not data.counts:
        return None
    timed = {(c.workload, c.variant, c.interpreter, c.threads, c.size): c.median for c in cells}
    rows = [_row(cell, timed.get(key)) for key, cell in counts.cell_counts(data.counts).items()]
    meta = data.metadata.get("instructions") or {}
    options = " ".join(o for o in meta.get("options") or [] if not o.startswith("--callgrind-out-file"))
    uncounted = meta.get("uncounted_calls") or {}
    return InstructionsView(
        rows, f"{meta.get('version', 'valgrind')} {options}".strip(),
        f"calls 1–{uncounted.get('aot', '?')} uncounted (1–{uncounted.get('jit', '?')} on PyPy and Numba), "
        f"then {meta.get('counted_calls', '?')} counted")


def _row(cell: counts.CellCount, median: float | None) -> InstructionsRow:
    workload, variant, interpreter, threads, size = cell.key
    ps = median / cell.instructions * 1e12 if median and cell.instructions else None
    return InstructionsRow(workload, variant, str(interpreter), threads, str(size), cell.instructions,
                           cell.per_work_unit, cell.spread if cell.processes > 1 else None, ps, threads > 1,
                           cell.error)
