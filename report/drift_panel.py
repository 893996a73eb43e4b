"""The machine over the run (shootout/results/drift.py): every process's mean ÷ its cell's median against when
it started, and, for each baseline cell, whether its processes drifted together (lag-1 autocorrelation in run
order).

A drift longer than one process makes a CI that treats processes as independent narrower than it should be:
summaries widens the cell's median CI by its effective sample size (estimates.Dependence, the same numbers as
here) and pairs speedups by round where the records carry rounds. The panel says what was found and done, and
shows the chart so a reader can see the machine's episodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from shootout.results import drift, summaries
from shootout.results.records import Record
from shootout.results.snapshot import RolesSnapshot

from . import figures

DIV_ID = "drift-0"  # the house pattern for plot ids: a name and a number


@dataclass(frozen=True)
class BaselineDrift:
    label: str  # '<baseline variant> on <interpreter>, <workload> <size label>'
    serial: drift.SerialCorrelation

    @property
    def widening(self) -> str:
        """What the baseline's median CI was widened by (estimates.Dependence.text)."""
        return self.serial.dependence.text()


@dataclass(frozen=True)
class DriftView:
    figure: figures.Chart
    processes: int
    baselines: list[BaselineDrift]
    min_serial: int = drift.MIN_SERIAL


def _trace(points: list[drift.ProcessPoint], name: str, colour: str, symbol: str) -> go.Scatter:
    return go.Scatter(
        x=[p.minutes for p in points], y=[p.relative for p in points], mode="markers",
        name=figures.text(name),
        marker={"color": colour, "size": 5, "symbol": symbol, "opacity": 0.7},
        text=[figures.text(" ".join(str(k) for k in p.cell)) for p in points],
        hovertemplate="%{text}<br>%{x:.1f} min: %{y:.3f}× its median<extra></extra>")


def _figure(points: list[drift.ProcessPoint]) -> figures.Chart:
    fig = go.Figure()
    fig.add_trace(_trace([p for p in points if not p.interpreted], "compiled code and numpy",
                         figures.PALETTE[0],
                         "circle"))
    fig.add_trace(_trace([p for p in points if p.interpreted], "pure Python (the interpreter's own loop)",
                         figures.PALETTE[1], "diamond"))
    fig.add_hline(y=1, line_color="#888", line_width=1)
    return figures.finish(DIV_ID, fig, 340, margin={"l": 60, "r": 20, "t": 10, "b": 45},
                          xaxis={"title": {"text": "minutes since the run's first process"},
                                 "gridcolor": figures.GRID},
                          yaxis={"title": {"text": "process mean ÷ its cell's median"},
                                 "gridcolor": figures.GRID},
                          legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"})


def _baselines(records: list[Record], summary: pd.DataFrame,
               roles: dict[str, RolesSnapshot]) -> list[BaselineDrift]:
    found = []
    for (workload, size), row in sorted(summaries.baseline_cells(summary, roles).items()):
        serial = drift.serial_correlation(records, tuple(row[k] for k in summaries.CELL_KEYS))
        if serial is not None:
            found.append(BaselineDrift(f"{row['variant']} on {row['interpreter']}, {workload} {size}",
                                       serial))
    return found


def view(records: list[Record], summary: pd.DataFrame, roles: dict[str, RolesSnapshot]) -> DriftView | None:
    """None for archives whose records do not say when they started (before `started_at`), or without
    cells."""
    points = drift.timeline(records)
    if not points or summary.empty:
        return None
    return DriftView(_figure(points), len(points), _baselines(records, summary, roles))
