"""The harness-overhead table of the Method section (shootout/results/overhead.py computes it; this only words
it)."""

from __future__ import annotations

from dataclasses import dataclass

from shootout.results import archive as archive_mod
from shootout.results import overhead


@dataclass(frozen=True)
class OverheadRow:
    label: str  # '<workload> <size> on <interpreter>'
    calls: int
    first: str  # '+1.2% [−0.8%, +3.1%]'
    later: str
    processes: str  # '12 harness, 6 plain'
    flagged: bool
    failed_plain: int


@dataclass(frozen=True)
class OverheadView:
    rows: list[OverheadRow]

    @property
    def flagged(self) -> list[OverheadRow]:
        return [r for r in self.rows if r.flagged]


def view(data: archive_mod.Archive) -> OverheadView | None:
    """None for an archive without plain-program processes (made before the check, or with it off)."""
    if not data.plain:
        return None
    rows = [OverheadRow(f"{o.workload} {o.size} on {o.interpreter}", o.calls, overhead.describe(o.first),
                        overhead.describe(o.later),
                        f"{o.harness_processes} harness, {o.plain_processes} plain",
                        o.flagged, o.failed_plain)
            for o in overhead.check(data.records, data.plain)]
    return OverheadView(rows)
