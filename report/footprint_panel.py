"""A workload's memory and start-up section: per size, a chart of each verified cell's resident memory (what
the interpreter held before call 1, and what the calls added at their peak) and a table of start-up against
steady state with the break-even number of calls. shootout/results/memory.py and startup.py compute every
number; this module only words and draws them."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from shootout.results.cells import CellSummary

from . import figures, formatting

MIB = float(1 << 20)


@dataclass(frozen=True)
class StartupRow:
    cell: CellSummary
    break_even: str  # '1 call', '37 calls', 'never', 'baseline', '–'
    why: str  # the results library's note, for a tooltip


@dataclass(frozen=True)
class FootprintSize:
    size: str
    chart: figures.Figure | None
    rows: list[StartupRow]


@dataclass(frozen=True)
class Footprint:
    sizes: list[FootprintSize]
    lifetime_peaks: list[str]  # '<variant> on <interp>' of cells with ru_maxrss (lifetime) peaks

    @property
    def has_memory(self) -> bool:
        return any(s.chart is not None for s in self.sizes)

    @property
    def has_startup(self) -> bool:
        return any(s.rows for s in self.sizes)


def break_even_text(cell: CellSummary) -> str:
    if cell.break_even_note == "the baseline":
        return "baseline"
    if cell.break_even_calls is not None:
        calls = int(cell.break_even_calls)
        return f"{calls:,} call{'s' if calls != 1 else ''}"
    return "never" if cell.break_even_note.startswith("never") else formatting.DASH


def _bars(cells: list[CellSummary], colour: str, name: str, group: str) -> list[go.Bar]:
    """The pale part (before call 1) and, stacked on it, the growth: the bar ends at the peak."""
    y = [figures.text(c.label) for c in cells]
    before = [(c.memory_before or 0.0) / MIB for c in cells]
    growth = [(c.memory_growth or 0.0) / MIB for c in cells]
    hover = [[figures.sig(b, 3), figures.sig(g, 3), figures.sig((c.memory_peak or 0.0) / MIB, 3)]
             for c, b, g in zip(cells, before, growth)]
    template = ("%{y} on " + name + "<br>before call 1 %{customdata[0]} MiB<br>growth %{customdata[1]} MiB"
                "<br>peak %{customdata[2]} MiB<extra></extra>")
    return [
        go.Bar(name=name, orientation="h", y=y, x=before, offsetgroup=group, legendgroup=group,
               showlegend=False, marker={"color": colour, "opacity": 0.3}, customdata=hover,
               hovertemplate=template),
        go.Bar(name=name, orientation="h", y=y, x=growth, base=before, offsetgroup=group, legendgroup=group,
               marker_color=colour, customdata=hover, hovertemplate=template),
    ]


def memory_figure(div_id: str, cells: list[CellSummary], interpreters, labels: dict) -> figures.Figure | None:
    """Horizontal bars per variant, one per interpreter: resident memory before call 1 (pale) and the calls'
    growth on top of it (the bar's end is the peak), MiB, linear."""
    good = [c for c in cells if c.ok and c.memory_peak is not None]
    if not good:
        return None
    order = list(dict.fromkeys(c.label for c in good))[::-1]  # Plotly draws the first category lowest
    colours = figures.interpreter_colours(interpreters)
    fig = go.Figure()
    present = [i for i in interpreters if any(c.interpreter == i for c in good)]
    for interp in present:
        mine = [c for c in good if c.interpreter == interp]
        for bar in _bars(mine, colours[interp], figures.text(labels.get(interp, interp)), interp):
            fig.add_trace(bar)
    return figures.finish(
        div_id, fig, int(110 + len(order) * max(22, 15 * len(present) + 8)),
        barmode="group", bargap=0.22, bargroupgap=0.05, margin={"l": 10, "r": 40, "t": 30, "b": 60},
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "title": {"text": "interpreter "}},
        xaxis={"title": {"text": "resident memory, MiB (pale: before call 1; full: the calls' growth; "
                                 "bar end: peak)"},
               "gridcolor": figures.GRID, "zeroline": False, "automargin": True, "rangemode": "tozero"},
        yaxis={"type": "category", "categoryorder": "array",
               "categoryarray": [figures.text(label) for label in order], "automargin": True,
               "ticksuffix": " "},
    )



def _rows(cells: list[CellSummary]) -> list[StartupRow]:
    """The verified cells whose start-up was recorded (older archives: none)."""
    return [StartupRow(c, break_even_text(c), c.break_even_note)
            for c in cells if c.ok and c.interpreter_start is not None]


def view(cells: list[CellSummary], sizes: list[str], interpreters, labels: dict,
         ids: str) -> Footprint | None:
    """None when no cell recorded its memory or its start-up (archives made before them)."""
    found = [FootprintSize(size, memory_figure(f"memory-{ids}-{n}", [c for c in cells if c.size == size],
                                               interpreters, labels),
                           _rows([c for c in cells if c.size == size]))
             for n, size in enumerate(sizes)]
    if not any(s.chart is not None or s.rows for s in found):
        return None
    lifetime = [f"{c.label} on {c.interpreter}" for c in cells if c.ok and c.memory_method.startswith("ru_")]
    return Footprint(found, lifetime)
