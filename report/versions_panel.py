"""The "Across interpreter versions" section: per variant, its time on every interpreter version, what changed
between consecutive releases of each implementation, and PyPy's gain over the CPython of its language level.

shootout/results/versions.py computes the ratios; this words them and draws one chart per variant (the
versions on the x axis, one colour per implementation). Shown when a run has two releases of one
implementation, or a PyPy and a CPython of one language level.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from shootout.results import archive as archive_mod
from shootout.results import versions
from shootout.results.cells import CellSummary

from .figures import GRID, PALETTE, Chart, finish, text

IMPLEMENTATION_NAMES = {"cpython": "CPython", "pypy": "PyPy"}


@dataclass(frozen=True)
class RatioRow:
    workload: str
    variant: str
    threads: int
    size: str
    newer: str  # the column on top of the ratio
    older: str
    ratio: float
    low: float | None
    high: float | None
    p_holm: float | None
    toolchains_differ: bool


@dataclass(frozen=True)
class VersionsView:
    columns: list[str]  # the study's order, labelled
    figures: list[Chart]  # one per (workload, variant, size) verified at one thread somewhere
    several_workloads: bool  # then every chart title and table row names its workload
    steps: list[RatioRow]
    gains: list[RatioRow]


def column_label(column: versions.VersionColumn) -> str:
    """'CPython 3.14.10', 'PyPy 8.0.1 (3.11)'; free-threaded builds end in 't'."""
    name = IMPLEMENTATION_NAMES.get(column.implementation, column.implementation)
    if column.implementation == "pypy":
        return f"{name} {column.release} ({column.language})"
    return f"{name} {column.version}{'t' if column.free_threaded else ''}"


def _rows(frame: pd.DataFrame) -> list[RatioRow]:
    def number(value):
        return None if value is None or pd.isna(value) else float(value)
    return [RatioRow(str(r.workload), str(r.variant), int(r.threads), str(r.size), str(r.a), str(r.b),
                     float(r.ratio_a_over_b), number(r.ratio_low), number(r.ratio_high), number(r.p_holm),
                     bool(r.toolchains_differ))
            for r in frame.itertuples()] if not frame.empty else []


def _error_bars(points: list[tuple[str, CellSummary]]) -> dict:
    """The CI of each point's median as Plotly's asymmetric error bars (none where a cell has no CI)."""
    def reach(cell: CellSummary, end: float | None) -> float | None:
        return None if end is None or cell.median is None else abs(end - cell.median)
    return {"type": "data", "symmetric": False, "array": [reach(c, c.ci_high) for _, c in points],
            "arrayminus": [reach(c, c.ci_low) for _, c in points]}


def _figure(index: int, title: str, mine: dict[str, CellSummary],
            found: list[versions.VersionColumn]) -> Chart:
    """One (workload, variant, size): `mine` its verified 1-thread cell on each column, by column name."""
    labels = {c.name: column_label(c) for c in found}
    fig = go.Figure()
    for colour, implementation in zip(PALETTE, sorted({c.implementation for c in found})):
        points = [(labels[c.name], mine[c.name]) for c in found
                  if c.implementation == implementation and c.name in mine]
        if not points:
            continue
        fig.add_trace(go.Scatter(
            name=IMPLEMENTATION_NAMES.get(implementation, implementation), mode="lines+markers",
            x=[x for x, _ in points], y=[cell.median for _, cell in points], marker_color=colour,
            error_y=_error_bars(points),
            hovertemplate="%{x}: %{y:.3g} s<extra>" + text(title) + "</extra>"))
    return finish(f"versions-{index}", fig, 300, title={"text": text(title), "x": 0},
                  margin={"l": 10, "r": 20, "t": 40, "b": 60},
                  xaxis={"type": "category", "categoryorder": "array",
                         "categoryarray": [labels[c.name] for c in found], "automargin": True},
                  yaxis={"type": "log", "title": {"text": "median seconds per call"}, "gridcolor": GRID,
                         "automargin": True})


def view(data: archive_mod.Archive, cells: list[CellSummary]) -> VersionsView | None:
    """None unless the run compares versions: two releases of one implementation, or PyPy and CPython of one
    language level. `cells`: the run's cell summaries (the report's)."""
    found = versions.columns(data.metadata)
    steps, gains = versions.steps(data.records, found), versions.pypy_gains(data.records, found)
    if steps.empty and gains.empty:
        return None
    charted = _charted(cells)
    figures = [_figure(i, title, mine, found) for i, (title, mine) in enumerate(charted)]
    several = len({c.workload for c in cells}) > 1
    return VersionsView([column_label(c) for c in found], figures, several, _rows(steps), _rows(gains))


def _charted(cells: list[CellSummary]) -> list[tuple[str, dict[str, CellSummary]]]:
    """Per (workload, variant, size) with a verified 1-thread cell: its title and its cells by column; the
    title names the workload and the size only where the run has several."""
    groups: dict[tuple[str, str, str], dict[str, CellSummary]] = {}
    for c in cells:
        if c.ok and c.threads == 1:
            groups.setdefault((c.workload, c.variant, c.size), {})[c.interpreter] = c
    workloads = {c.workload for c in cells}
    sizes = {w: {c.size for c in cells if c.workload == w} for w in workloads}
    out = []
    for (workload, variant, size), mine in sorted(groups.items()):
        title = variant + (f" · {workload}" if len(workloads) > 1 else "")
        out.append((title + (f" at {size}" if len(sizes[workload]) > 1 else ""), mine))
    return out
