"""Warm-up panels: per-call time against call number for every verified JIT cell (PyPy, Numba), one thin line
per worker process, the median across processes in bold, and a dashed marker where the steady state starts
(the median over processes of where shootout.results.summaries puts each process's steady state).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from shootout.results import summaries, warmup
from shootout.results.cells import CellSummary
from shootout.results.records import Record

from .figures import PALETTE, Chart, finish, interpreter_colours, vline

HEIGHT = 220
STEADY = "#b00020"


@dataclass(frozen=True)
class WarmupPanel:
    figure: Chart
    cell: CellSummary
    steady_call: int | None  # 1-based call number where the steady state starts (median over processes)
    processes: int
    calls: int
    first_over_steady: float | None


def _series(records: list[Record], cell: CellSummary) -> list[tuple[int, list[float], int]]:
    """(process index, per-call times, steady start) of the cell's verified processes, in process order."""
    mine = sorted((r for r in records if r.ok and r.cell_key == cell.key), key=lambda r: r.process_index)
    return [(r.process_index, [float(t) for t in r.times_seconds], summaries.split(r).steady_start)
            for r in mine]


def _first_over_steady(series: list[tuple[int, list[float], int]]) -> float | None:
    steady = [t for _, times, start in series for t in times[start:]]
    if not steady or np.median(steady) <= 0:
        return None
    return float(np.median([times[0] for _, times, _ in series])) / float(np.median(steady))


def _figure(div_id: str, series: list[tuple[int, list[float], int]],
            colour: str) -> tuple[Chart, int | None]:
    calls = max(len(times) for _, times, _ in series)
    traces = [go.Scatter(
        x=list(range(1, len(times) + 1)), y=times, mode="lines", line_color="#b9b9b9", line_width=1,
        showlegend=False, hovertemplate=f"process {process}: call %{{x}}, %{{y:.3g}} s<extra></extra>")
        for process, times, _ in series]
    medians = [float(np.median([t[k] for _, t, _ in series if len(t) > k])) for k in range(calls)]
    traces.append(go.Scatter(
        x=list(range(1, calls + 1)), y=medians, mode="lines+markers", line_color=colour, line_width=2.2,
        marker={"size": 4}, name="median over processes", showlegend=False,
        hovertemplate="median: call %{x}, %{y:.3g} s<extra></extra>"))
    fig = go.Figure(data=traces)  # at once: add_trace re-validates the figure per trace
    steady_index = int(np.median([start for _, _, start in series]))
    steady_call = steady_index + 1 if steady_index < calls else None
    shapes, notes = [], []
    if steady_call is not None:
        shapes.append(vline(steady_call, STEADY, 1.5, "dash"))
        notes.append({"x": steady_call, "xref": "x", "y": 1, "yref": "paper", "yanchor": "bottom",
                      "xanchor": "left", "showarrow": False, "text": f"steady from call {steady_call}",
                      "font": {"size": 10, "color": STEADY}})
    positive = [t for _, times, _ in series for t in times if t > 0]
    decades = np.log10(max(positive) / min(positive)) if positive else 0.0
    figure = finish(
        div_id, fig, HEIGHT, margin={"l": 10, "r": 10, "t": 22, "b": 36}, showlegend=False,
        xaxis={"title": {"text": "call number", "standoff": 4}, "range": [0.6, calls + 0.4],
               "dtick": 1 if calls <= 12 else None, "gridcolor": "#eee", "zeroline": False,
               "automargin": True},
        yaxis={"type": "log", "title": {"text": "seconds per call", "standoff": 4}, "gridcolor": "#eee",
               "automargin": True, "dtick": "D2" if decades <= 2.5 else 1, "tickformat": "~s"},
        shapes=shapes, annotations=notes,
    )
    return figure, steady_call


def panels(records: list[Record], cells: list[CellSummary], prefix: str, interpreters) -> list[WarmupPanel]:
    """A panel for every verified PyPy cell and every verified Numba cell (the JIT cells) of `cells`."""
    colours = interpreter_colours(interpreters)
    out = []
    for cell in (c for c in cells if c.ok and warmup.is_jit(c.implementation, c.technology)):
        series = _series(records, cell)
        if not series:
            continue
        figure, steady_call = _figure(f"{prefix}-{len(out)}", series,
                                      colours.get(cell.interpreter, PALETTE[0]))
        out.append(WarmupPanel(figure, cell, steady_call, len(series), max(len(t) for _, t, _ in series),
                               _first_over_steady(series)))
    return out
