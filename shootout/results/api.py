"""The results library's front door for a notebook or a script: `load(path)` reads one archive into a `Run`.

A Run holds the archive as written (records, builds, metadata, the tidy `timings` table) and the numbers the
report states, computed by the same functions: `cells` (one typed CellSummary per cell: median, CI, speedup
over the workload's baseline cell, warm-up, flags), the same as a table in `summary`, and `ratios(a, b)` (each
variant's time on interpreter a over b, with its CI and Holm-adjusted test). docs/api.md walks through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import archive, counts, summaries
from .cells import CellSummary, cell_summaries


@dataclass(frozen=True)
class Run:
    """One archive, read and summarised once."""

    archive: archive.Archive
    summary: pd.DataFrame = field(repr=False)  # summaries.summarise: one row per cell, for group-bys
    cells: list[CellSummary] = field(repr=False)  # the same cells, typed, in the summary's order

    @property
    def run_id(self) -> str:
        return str(self.archive.metadata.get("run_id") or self.archive.path.name)

    @property
    def records(self) -> list:
        """The worker records (one per process, plus one per cell that produced none)."""
        return self.archive.records

    @property
    def timings(self) -> pd.DataFrame:
        """One row per timed call of every process (timings.csv.gz): the table to group by."""
        return self.archive.timings

    @property
    def instructions(self) -> pd.DataFrame:
        """One row per counted call of every counting process (instructions.csv; empty without
        --instruments instructions); `counted_cells` has them per cell."""
        return counts.count_rows(self.archive.counts)

    @property
    def counted_cells(self) -> dict[tuple, counts.CellCount]:
        """Each counted cell's instructions per call and per work unit, by cell key."""
        return counts.cell_counts(self.archive.counts)

    @property
    def interpreters(self) -> list[str]:
        """The interpreter columns of the run, in the order it planned them."""
        return [i["name"] for i in self.archive.metadata.get("interpreters", []) if isinstance(i, dict)]

    def cell(self, workload: str, variant: str, interpreter: str, threads: int = 1,
             size: str | None = None) -> CellSummary:
        """One cell of `cells`; `size` may be left out when the workload ran at one size."""
        wanted = (workload, variant, interpreter, threads)
        found = [c for c in self.cells
                 if (c.workload, c.variant, c.interpreter, c.threads) == wanted and size in (None, c.size)]
        if len(found) != 1:
            raise KeyError(f"{len(found)} cells match {workload}/{variant} on {interpreter} at {threads} "
                           f"thread(s){'' if size is None else ' size ' + size}")
        return found[0]

    def ratios(self, a: str, b: str) -> pd.DataFrame:
        """Per variant run on both: time on `a` over time on `b` (below 1: `a` is faster), its CI and test."""
        return summaries.compare_interpreters(self.records, a, b)


def load(path: str | Path) -> Run:
    """Read and check one archive (archive.read: raises archive.ArchiveError with one line if it does not
    hold)."""
    data = archive.read(Path(path))
    summary = summaries.summarise(data.records, data.roles) if data.records else pd.DataFrame()
    planned = data.metadata.get("planned_cells")
    cells = cell_summaries(summary, data.roles, planned if isinstance(planned, list) else None)
    return Run(data, summary, cells)
