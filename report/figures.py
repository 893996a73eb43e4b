"""Plotly figures of the report, as JSON specs the template embeds (Plotly.js itself is inlined once).

Every figure is built with plotly.graph_objects (validated), then serialised by us: fixed div ids, floats
rounded to 4 significant digits, keys sorted, and '<', '>', '&' written as JSON escapes so no archive string
can close the <script type="application/json"> it lives in. Archive strings shown by Plotly (labels, hover
text) are HTML-escaped first, because Plotly renders a small subset of HTML in text.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from shootout.results.cells import CellSummary

from . import formatting

# Okabe-Ito: colour-blind safe, prints in grey distinguishably
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
DASHES = ["solid", "dash", "dot", "dashdot"]
SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "cross", "star", "triangle-down"]
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12, "color": "#222"}
GRID = "#e5e5e5"
CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "showLink": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
}


@dataclass(frozen=True)
class Chart:
    """A Plotly figure placed in the page: the div it is drawn into, its JSON spec, its height."""

    div_id: str
    spec: str  # JSON text, safe inside <script type="application/json">
    height: int


@dataclass(frozen=True)
class Series:
    """One line of a chart: a variant on one interpreter, its points as the tuples that chart's docstring
    describes, and (thread scaling) how the variant shares out work."""

    variant: str
    interpreter: str
    points: list
    schedule: str = ""


def text(value) -> str:
    """An archive string as Plotly should show it: literally (Plotly parses a subset of HTML)."""
    return html.escape(str(value), quote=True)


def sig(value, digits: int = 4):
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    if value == 0:
        return 0.0
    return float(f"{value:.{digits}g}")


def ms(seconds):
    """Milliseconds for hover text; None stays None."""
    return None if seconds is None else sig(float(seconds) * 1e3)


def _plain(obj):
    """Plotly JSON → plain Python with rounded floats (numpy arrays and scalars included)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_plain(v) for v in obj.tolist()]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return sig(obj)
    return obj


def to_spec(fig: go.Figure) -> str:
    payload = _plain({**fig.to_plotly_json(), "config": CONFIG})
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return raw.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def finish(div_id: str, fig: go.Figure, height: int, **layout) -> Chart:
    """Apply the house layout (fonts, white background, no template) and serialise."""
    fig.update_layout(template="none", font=FONT, paper_bgcolor="white", plot_bgcolor="white",
                      hoverlabel={"font": {"family": FONT["family"], "size": 12}}, height=height, **layout)
    return Chart(div_id, to_spec(fig), height)


def vline(x, colour: str, size: float, dash: str) -> go.layout.Shape:
    """A vertical line across the plot at data x."""
    return go.layout.Shape(type="line", xref="x", yref="paper", x0=x, x1=x, y0=0, y1=1, line_color=colour,
                           line_width=size, line_dash=dash)


def interpreter_colours(interpreters) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(interpreters)}


def style(index: int) -> tuple[str, str]:
    """Colour and marker symbol for the index-th series: 8 colours × 8 symbols before anything repeats."""
    return PALETTE[index % len(PALETTE)], SYMBOLS[(index // len(PALETTE)) % len(SYMBOLS)]


# ---------------------------------------------------------------- the main chart of each size


def _bar_order(cells: list[CellSummary], value) -> list[str]:
    """Category labels, best value last (Plotly draws the first category at the bottom: the best on top)."""
    best: dict[str, float] = {}
    for c in cells:
        best[c.label] = max(best.get(c.label, -math.inf), value(c))
    return sorted(best, key=lambda label: (best[label], label))


def _speedup_bar(interp: str, mine: list[CellSummary], colour: str, work_unit: str) -> go.Bar:
    """interp: the column's label ('cpython3.13t (free-threaded, GIL off)'), as the legend names it."""
    speed = [c.speedup for c in mine]
    high = [c.speedup_high if c.speedup_high is not None else s for c, s in zip(mine, speed)]
    low = [c.speedup_low if c.speedup_low is not None else s for c, s in zip(mine, speed)]
    return go.Bar(
        name=text(interp), orientation="h", y=[text(c.label) for c in mine], x=speed, marker_color=colour,
        error_x={"type": "data", "symmetric": False, "array": [max(h - s, 0.0) for h, s in zip(high, speed)],
                 "arrayminus": [max(s - lo, 0.0) for lo, s in zip(low, speed)], "thickness": 1.2,
                 "color": "#444"},
        error_x_width=3,
        # outside the bar, padded past the CI whisker (which starts at the bar end)
        text=[("\u2002" * (2 + min(6, int(6 * math.log10(h / s)) if s > 0 and h > s else 0)))
              + f"{sig(s, 3):g}×" for h, s in zip(high, speed)],
        textposition="outside", textfont={"size": 11}, cliponaxis=False,
        customdata=[[formatting.seconds(c.median), text(_ci_text(c)), sig(c.ns_per_unit, 3)] for c in mine],
        hovertemplate=("%{y} on " + text(interp) + "<br>speedup %{x:.3g}×<br>median %{customdata[0]} "
                       "(%{customdata[1]})<br>%{customdata[2]} ns per " + text(work_unit)
                       + "<extra></extra>"),
    )


def _ci_text(cell: CellSummary) -> str:
    if cell.ci_low is None or cell.ci_high is None:
        return "no CI: too few processes"
    return f"95% CI {formatting.seconds_range(cell.ci_low, cell.ci_high)}"


def speedup_figure(div_id: str, cells: list[CellSummary], interpreters, baseline: str, work_unit: str,
                   labels: dict | None = None) -> Chart | None:
    """Horizontal grouped bars, log x: speedup of every ok cell over the baseline, with the ratio's CI; the
    legend names each interpreter by its label (labels: name -> label, report/columns.py)."""
    good = [c for c in cells if c.ok and c.speedup is not None]
    if not good:
        return None
    order = _bar_order(good, lambda c: c.speedup)
    colours = interpreter_colours(interpreters)
    fig = go.Figure()
    present = [i for i in interpreters if any(c.interpreter == i for c in good)]
    for interp in present:
        mine = sorted((c for c in good if c.interpreter == interp), key=lambda c: order.index(c.label))
        fig.add_trace(_speedup_bar((labels or {}).get(interp, interp), mine, colours[interp], work_unit))
    return finish(
        div_id, fig, int(110 + len(order) * max(22, 15 * len(present) + 8)),
        barmode="group", bargap=0.22, bargroupgap=0.05, margin={"l": 10, "r": 40, "t": 30, "b": 50},
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "title": {"text": "interpreter "}},
        xaxis={"type": "log",
               "title": {"text": f"speedup over {text(baseline)} (× faster, log scale; bars: 95% CI)"},
               "gridcolor": GRID, "zeroline": False, "automargin": True, "dtick": "D2", "tickformat": "~g",
               "ticksuffix": "×"},
        yaxis={"type": "category", "categoryorder": "array",
               "categoryarray": [text(label) for label in order],
               "automargin": True, "ticksuffix": " "},
        shapes=[vline(1, "#888", 1, "dot")],
    )


def time_figure(div_id: str, cells: list[CellSummary], interpreters,
                labels: dict | None = None) -> Chart | None:
    """Fallback when there is no verified baseline: steady median seconds, log x."""
    good = [c for c in cells if c.ok]
    if not good:
        return None
    order = _bar_order(good, lambda c: -c.median)
    colours = interpreter_colours(interpreters)
    fig = go.Figure()
    present = [i for i in interpreters if any(c.interpreter == i for c in good)]
    for interp in present:
        mine = sorted((c for c in good if c.interpreter == interp), key=lambda c: order.index(c.label))
        name = text((labels or {}).get(interp, interp))
        fig.add_trace(go.Bar(name=name, orientation="h", y=[text(c.label) for c in mine],
                             x=[c.median for c in mine], marker_color=colours[interp],
                             hovertemplate="%{y}: %{x:.3g} s<extra>" + name + "</extra>"))
    return finish(
        div_id, fig, int(110 + len(order) * max(22, 15 * len(present) + 8)),
        barmode="group", margin={"l": 10, "r": 40, "t": 30, "b": 50},
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        xaxis={"type": "log", "title": {"text": "steady-state median seconds per call (log scale)"},
               "gridcolor": GRID, "automargin": True, "dtick": "D2", "tickformat": "~s"},
        yaxis={"type": "category", "categoryorder": "array",
               "categoryarray": [text(label) for label in order],
               "automargin": True},
    )


# ---------------------------------------------------------------- analysis sections


def thread_figures(speed_id: str, eff_id: str, lines: list[Series], interpreters,
                   labels: dict | None = None) -> tuple[Chart, Chart]:
    """Speedup and parallel efficiency against thread count: one line per parallel variant × interpreter
    (colour per variant, dash per interpreter), with the ideal line. Points: (threads, speedup, efficiency,
    median seconds)."""
    variants = list(dict.fromkeys(line.variant for line in lines))
    ticks = sorted({p[0] for line in lines for p in line.points})
    max_threads = max(ticks, default=2)
    figs = []
    for div_id, column, title in ((speed_id, 1, "speedup over the same variant at 1 thread (×)"),
                                  (eff_id, 2, "parallel efficiency (speedup ÷ threads)")):
        fig = go.Figure()
        fig.add_trace(go.Scatter(x=ticks, y=[float(t) if column == 1 else 1.0 for t in ticks], mode="lines",
                                 name="ideal", line_color="#999", line_width=1.5, line_dash="dot",
                                 hoverinfo="skip"))
        for line in lines:
            colour, symbol = style(variants.index(line.variant))
            interp_index = (list(interpreters).index(line.interpreter) if line.interpreter in interpreters
                            else 0)
            name = f"{text(line.variant)} · {text((labels or {}).get(line.interpreter, line.interpreter))}"
            fig.add_trace(go.Scatter(
                x=[p[0] for p in line.points], y=[p[column] for p in line.points], mode="lines+markers",
                name=name,
                line_color=colour, line_width=2, line_dash=DASHES[interp_index % len(DASHES)],
                marker={"symbol": symbol, "size": 7},
                customdata=[[ms(p[3]), sig(p[1], 3), sig(p[2], 3)] for p in line.points],
                hovertemplate=(name + " (" + text(line.schedule or "–") + ")<br>%{x} threads: median "
                               "%{customdata[0]} ms<br>speedup %{customdata[1]}×, efficiency %{customdata[2]}"
                               "<extra></extra>"),
            ))
        figs.append(finish(
            div_id, fig, 380, margin={"l": 10, "r": 10, "t": 30, "b": 50},
            legend={"font": {"size": 10.5}, "x": 1.0, "xanchor": "left", "y": 1.0},
            xaxis={"title": {"text": "threads"}, "tickvals": ticks, "range": [0.8, max_threads + 0.2],
                   "gridcolor": GRID, "zeroline": False, "automargin": True},
            yaxis={"title": {"text": title}, "gridcolor": GRID, "zeroline": False, "automargin": True,
                   "rangemode": "tozero"},
        ))
    return figs[0], figs[1]


def _seconds_label(value: float) -> str:
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")):
        if value >= scale * 0.999:
            return f"{value / scale:.3g} {unit}"
    return f"{value:.3g} s"


def time_ticks(values: list[float]) -> dict:
    """1-2-5 ticks over the data, labelled '2 ms', '500 µs' (log axis)."""
    positive = [v for v in values if v and v > 0]
    if not positive:
        return {}
    low, high = min(positive) / 1.3, max(positive) * 1.3
    ticks = []
    for exponent in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
        for mantissa in (1, 2, 5):
            value = mantissa * 10.0 ** exponent
            if low <= value <= high:
                ticks.append(sig(value))
    return {"tickvals": ticks, "ticktext": [_seconds_label(v) for v in ticks]}


def size_figure(div_id: str, interpreter: str, series: list[Series], styles: dict[str, int],
                work_unit: str) -> Chart | None:
    """Log-log median time against work (work units per call), one line per single-thread variant: a straight
    line of slope 1 is pure per-unit cost, a flattening at the small end is a fixed cost per call. Points:
    (work units, median seconds, ns per unit, size label)."""
    series = [s for s in series if s.points]
    if not series:
        return None
    fig = go.Figure()
    unit = text(work_unit)
    for s in series:
        colour, symbol = style(styles.get(s.variant, 0))  # same variant, same style in every chart
        fig.add_trace(go.Scatter(
            x=[p[0] for p in s.points], y=[p[1] for p in s.points], mode="lines+markers",
            name=text(s.variant),
            line_color=colour, line_width=1.8, marker={"symbol": symbol, "size": 7},
            customdata=[[text(p[3]), ms(p[1]), sig(p[2], 3)] for p in s.points],
            hovertemplate=(text(s.variant) + " on " + text(interpreter) + " at %{customdata[0]}<br>%{x:,} "
                           + unit + "s: median %{customdata[1]} ms<br>%{customdata[2]} ns per " + unit
                           + "<extra></extra>"),
        ))
    # a slope-1 guide above the slowest line (never on top of a series): parallel to it = time ∝ work
    points = [p for s in series for p in s.points]
    top = max(points, key=lambda p: (p[1], p[0]))
    level = 2.5 * max(p[1] * top[0] / p[0] for p in points)
    guide_x = [min(p[0] for p in points), max(p[0] for p in points)]
    fig.add_trace(go.Scatter(x=guide_x, y=[level * x / top[0] for x in guide_x], mode="lines",
                             name="∝ work (slope 1)", line_color="#999", line_width=1, line_dash="dot",
                             hoverinfo="skip"))
    return finish(
        div_id, fig, 420, margin={"l": 10, "r": 10, "t": 30, "b": 50},
        title={"text": text(interpreter), "x": 0.01, "font": {"size": 13}},
        legend={"font": {"size": 10.5}, "x": 1.0, "xanchor": "left", "y": 1.0},
        xaxis={"type": "log", "title": {"text": f"work per call: {unit}s (log scale)"}, "gridcolor": GRID,
               "automargin": True, "tickformat": "~s"},
        yaxis={"type": "log", "title": {"text": "median time per call (log scale)"}, "gridcolor": GRID,
               "automargin": True, **time_ticks([p[1] for p in points] + [level])},
    )


def memory_figure(div_id: str, runs: list[dict], interpreters: list[str]) -> Chart | None:
    """RSS (MB) over time of a profiled driver, one line per profiled interpreter, with dashed markers at the
    phases the driver reported."""
    if not runs:
        return None
    colours = interpreter_colours(interpreters)
    fig = go.Figure()
    shapes, annotations = [], []
    for index, run in enumerate(runs):
        colour = colours.get(run["env"], PALETTE[index % len(PALETTE)])
        label = f"{text(run['env'])} ({text(run['implementation'])})"
        fig.add_trace(go.Scatter(
            x=[s[0] for s in run["samples"]], y=[s[1] for s in run["samples"]], mode="lines", name=label,
            line_color=colour, line_width=2, line_shape="hv",
            hovertemplate=label + "<br>%{x:.3g} s: %{y:.4g} MB RSS<extra></extra>",
        ))
        for n, (name, seconds) in enumerate(p for p in run["phases"] if p[0] != "start"):
            shapes.append(vline(seconds, colour, 1.2, "dash"))
            annotations.append({"x": seconds, "xref": "x", "y": 1 - 0.07 * (2 * index + n), "yref": "paper",
                                "xanchor": "left", "yanchor": "top", "showarrow": False,
                                "text": f"{text(name)} ({text(run['env'])})",
                                "font": {"size": 10, "color": colour},
                                "bgcolor": "rgba(255,255,255,0.8)"})
    return finish(
        div_id, fig, 360, margin={"l": 10, "r": 10, "t": 30, "b": 50},
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        xaxis={"title": {"text": "seconds since the process started"}, "gridcolor": GRID, "zeroline": False,
               "automargin": True, "rangemode": "tozero"},
        yaxis={"title": {"text": "resident memory (MB)"}, "gridcolor": GRID, "automargin": True,
               "rangemode": "tozero"},
        shapes=shapes, annotations=annotations,
    )
