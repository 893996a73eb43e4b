"""Plotly figures of the report, as JSON specs the template embeds (Plotly.js itself is inlined once).

Every figure is built with plotly.graph_objects (validated), then serialised by us: fixed div ids, floats rounded
to 4 significant digits, keys sorted, and '<', '>', '&' written as JSON escapes so no archive string can close the
<script type="application/json"> it lives in. Archive strings shown by Plotly (labels, hover text) are
HTML-escaped first, because Plotly renders a small subset of HTML in text.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from shootout import stats

# Okabe-Ito: colour-blind safe, prints in grey distinguishably
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12, "color": "#222"}
CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "showLink": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
}


@dataclass(frozen=True)
class Figure:
    div_id: str
    spec: str  # JSON text, safe inside <script type="application/json">
    height: int


def text(value) -> str:
    """An archive string as Plotly should show it: literally (Plotly parses a subset of HTML)."""
    return html.escape(str(value), quote=True)


def _ms(seconds):
    """Milliseconds for hover text; None (a one-process cell has no CI) stays None."""
    return None if seconds is None else sig(float(seconds) * 1e3)


def sig(value, digits: int = 4):
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    if value == 0:
        return 0.0
    return float(f"{value:.{digits}g}")


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


def _layout(**extra) -> dict:
    return {
        "template": "none",
        "font": FONT,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hoverlabel": {"font": {"family": FONT["family"], "size": 12}},
        **extra,
    }


def cell_label(row: dict) -> str:
    label = str(row["variant"])
    if row.get("threads", 1) and int(row["threads"]) > 1:
        label += f" ({int(row['threads'])} threads)"
    return label


def interpreter_colours(interpreters: list[str]) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(interpreters)}


def speedup_figure(div_id: str, rows: list[dict], interpreters: list[str], baseline: str) -> Figure | None:
    """Horizontal grouped bars, log x: speedup of every ok+verified cell over pure Python on CPython."""
    good = [r for r in rows if r["status"] == "ok" and r["verified"] and r.get("speedup") is not None]
    if not good:
        return None
    best: dict[str, float] = {}
    for r in good:
        best[cell_label(r)] = max(best.get(cell_label(r), 0.0), float(r["speedup"]))
    # plotly draws the first category at the bottom: ascending order puts the fastest on top
    order = sorted(best, key=lambda label: (best[label], label))
    colours = interpreter_colours(interpreters)
    fig = go.Figure()
    present = [i for i in interpreters if any(r["interpreter"] == i for r in good)]
    for interp in present:
        mine = sorted((r for r in good if r["interpreter"] == interp), key=lambda r: order.index(cell_label(r)))
        speed = [float(r["speedup"]) for r in mine]
        base_times = [float(r["speedup"]) * float(r["median_seconds"]) for r in mine]
        high = [b / r["ci_low"] if r.get("ci_low") else s for b, r, s in zip(base_times, mine, speed)]
        low = [b / r["ci_high"] if r.get("ci_high") else s for b, r, s in zip(base_times, mine, speed)]
        fig.add_trace(
            go.Bar(
                name=text(interp),
                orientation="h",
                y=[text(cell_label(r)) for r in mine],
                x=speed,
                marker={"color": colours[interp]},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [max(h - s, 0.0) for h, s in zip(high, speed)],
                    "arrayminus": [max(s - lo, 0.0) for lo, s in zip(low, speed)],
                    "thickness": 1.2,
                    "width": 3,
                    "color": "#444",
                },
                # outside the bar, padded past the CI whisker (which starts at the bar end)
                text=[("\u2002" * (2 + min(6, int(6 * math.log10(h / s)) if s > 0 and h > s else 0)))
                      + f"{sig(s, 3):g}×" for h, s in zip(high, speed)],
                textposition="outside",
                textfont={"size": 11},
                cliponaxis=False,
                customdata=[[_ms(r["median_seconds"]), _ms(r.get("ci_low")), _ms(r.get("ci_high")),
                              sig(r.get("ns_per_inner_iteration"), 3)] for r in mine],
                hovertemplate=(
                    "%{y} on " + text(interp) + "<br>speedup %{x:.3g}×<br>median %{customdata[0]} ms"
                    " (95% CI %{customdata[1]}–%{customdata[2]} ms)<br>%{customdata[3]} ns per inner iteration"
                    "<extra></extra>"
                ),
            )
        )
    height = int(110 + len(order) * max(22, 15 * len(present) + 8))
    fig.update_layout(
        **_layout(
            barmode="group",
            bargap=0.22,
            bargroupgap=0.05,
            height=height,
            margin={"l": 10, "r": 40, "t": 30, "b": 50},
            legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "title": {"text": "interpreter "}},
            xaxis={
                "type": "log",
                "title": {"text": f"speedup over {text(baseline)} (× faster, log scale; bars: 95% CI)"},
                "gridcolor": "#e5e5e5",
                "zeroline": False,
                "automargin": True,
                "dtick": "D2",  # 1, 2, 5, 10, 20, 50 ...
                "tickformat": "~g",
                "ticksuffix": "×",
            },
            yaxis={
                "type": "category",
                "categoryorder": "array",
                "categoryarray": [text(label) for label in order],
                "automargin": True,
                "ticksuffix": " ",
            },
            shapes=[
                {"type": "line", "xref": "x", "yref": "paper", "x0": 1, "x1": 1, "y0": 0, "y1": 1,
                 "line": {"color": "#888", "width": 1, "dash": "dot"}}
            ],
        )
    )
    return Figure(div_id, to_spec(fig), height)


def time_figure(div_id: str, rows: list[dict], interpreters: list[str]) -> Figure | None:
    """Fallback when there is no pure-Python-on-CPython baseline: steady median seconds, log x."""
    good = [r for r in rows if r["status"] == "ok" and r["verified"] and r.get("median_seconds") is not None]
    if not good:
        return None
    best: dict[str, float] = {}
    for r in good:
        best[cell_label(r)] = min(best.get(cell_label(r), math.inf), float(r["median_seconds"]))
    order = sorted(best, key=lambda label: (-best[label], label))
    colours = interpreter_colours(interpreters)
    fig = go.Figure()
    present = [i for i in interpreters if any(r["interpreter"] == i for r in good)]
    for interp in present:
        mine = sorted((r for r in good if r["interpreter"] == interp), key=lambda r: order.index(cell_label(r)))
        fig.add_trace(
            go.Bar(
                name=text(interp), orientation="h", y=[text(cell_label(r)) for r in mine],
                x=[r["median_seconds"] for r in mine], marker={"color": colours[interp]},
                hovertemplate="%{y}: %{x:.3g} s<extra>" + text(interp) + "</extra>",
            )
        )
    height = int(110 + len(order) * max(22, 15 * len(present) + 8))
    fig.update_layout(
        **_layout(
            barmode="group", height=height, margin={"l": 10, "r": 40, "t": 30, "b": 50},
            legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
            xaxis={"type": "log", "title": {"text": "steady-state median seconds per call (log scale)"},
                   "gridcolor": "#e5e5e5", "automargin": True, "dtick": "D2", "tickformat": "~s"},
            yaxis={"type": "category", "categoryorder": "array",
                   "categoryarray": [text(label) for label in order], "automargin": True},
        )
    )
    return Figure(div_id, to_spec(fig), height)


@dataclass(frozen=True)
class WarmupPanel:
    figure: Figure
    title: str
    interpreter: str
    variant: str
    threads: int
    classes: str
    steady_call: int | None  # 1-based call number where the steady state starts (median over processes)
    processes: int
    calls: int
    first_over_steady: float | None


def warmup_panels(records: list[dict], rows: list[dict], size: tuple[int, int], prefix: str,
                  interpreters: list[str]) -> list[WarmupPanel]:
    """Per-call time against call number, one thin line per process and the median across processes in bold,
    with a dashed marker where the steady state starts: for every verified PyPy cell and every Numba cell."""
    colours = interpreter_colours(interpreters)
    wanted = [
        r for r in rows
        if r["status"] == "ok" and r["verified"] and (r["width"], r["max_iterations"]) == size
        and (r["implementation"] == "pypy" or r["technology"] == "numba")
    ]
    panels = []
    for index, row in enumerate(wanted):
        mine = sorted(
            (
                rec for rec in records
                if rec.get("status") == "ok" and rec.get("verified")
                and rec["variant"] == row["variant"] and rec["workload"] == row["workload"]
                and rec["interpreter"].get("name") == row["interpreter"]
                and rec.get("threads", 1) == row["threads"]
                and rec["params"]["width"] == row["width"]
                and rec["params"]["max_iterations"] == row["max_iterations"]
                and rec.get("times_seconds")
            ),
            key=lambda rec: rec.get("process_index", 0),
        )
        if not mine:
            continue
        series = [[float(t) for t in rec["times_seconds"]] for rec in mine]
        starts = [stats.classify(times).steady_start for times in series]
        calls = max(len(s) for s in series)
        fig = go.Figure()
        for rec, times in zip(mine, series):
            fig.add_trace(
                go.Scatter(
                    x=list(range(1, len(times) + 1)), y=times, mode="lines",
                    line={"color": "#b9b9b9", "width": 1}, showlegend=False,
                    hovertemplate=f"process {int(rec.get('process_index', 0))}: call %{{x}}, %{{y:.3g}} s<extra></extra>",
                )
            )
        medians = []
        for k in range(calls):
            values = [s[k] for s in series if len(s) > k]
            medians.append(float(np.median(values)))
        fig.add_trace(
            go.Scatter(
                x=list(range(1, calls + 1)), y=medians, mode="lines+markers",
                line={"color": colours.get(row["interpreter"], PALETTE[0]), "width": 2.2},
                marker={"size": 4}, name="median over processes", showlegend=False,
                hovertemplate="median: call %{x}, %{y:.3g} s<extra></extra>",
            )
        )
        steady_index = int(np.median(starts)) if starts else None
        shapes, annotations = [], []
        steady_call = None
        if steady_index is not None and steady_index < calls:
            steady_call = steady_index + 1
            shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": steady_call, "x1": steady_call,
                           "y0": 0, "y1": 1, "line": {"color": "#b00020", "width": 1.5, "dash": "dash"}})
            annotations.append({"x": steady_call, "xref": "x", "y": 1, "yref": "paper", "yanchor": "bottom",
                                "xanchor": "left", "showarrow": False, "text": f"steady from call {steady_call}",
                                "font": {"size": 10, "color": "#b00020"}})
        steady_values = [t for times, start in zip(series, starts) for t in times[start:]]
        first_over = (float(np.median([s[0] for s in series])) / float(np.median(steady_values))
                      if steady_values and np.median(steady_values) > 0 else None)
        positive = [t for times in series for t in times if t > 0]
        decades = math.log10(max(positive) / min(positive)) if positive else 0.0
        fig.update_layout(
            **_layout(
                height=220, margin={"l": 10, "r": 10, "t": 22, "b": 36}, showlegend=False,
                xaxis={"title": {"text": "call number", "standoff": 4}, "range": [0.6, calls + 0.4],
                       "dtick": 1 if calls <= 12 else None, "gridcolor": "#eee", "zeroline": False,
                       "automargin": True},
                yaxis={"type": "log", "title": {"text": "seconds per call", "standoff": 4}, "gridcolor": "#eee",
                       "automargin": True, "dtick": "D2" if decades <= 2.5 else 1, "tickformat": "~s"},
                shapes=shapes, annotations=annotations,
            )
        )
        div_id = f"{prefix}-{index}"
        panels.append(
            WarmupPanel(
                figure=Figure(div_id, to_spec(fig), 220),
                title=cell_label(row),
                interpreter=str(row["interpreter"]),
                variant=str(row["variant"]),
                threads=int(row["threads"]),
                classes=str(row.get("warmup_classes") or ""),
                steady_call=steady_call,
                processes=len(series),
                calls=calls,
                first_over_steady=first_over,
            )
        )
    return panels


# ------------------------------------------------------------------ analysis sections

DASHES = ["solid", "dash", "dot", "dashdot"]
SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "cross", "star", "triangle-down"]


def _style(index: int) -> tuple[str, str]:
    """Colour and marker symbol for the index-th series: 8 colours × 8 symbols before anything repeats."""
    return PALETTE[index % len(PALETTE)], SYMBOLS[(index // len(PALETTE)) % len(SYMBOLS)]


def thread_figures(speed_id: str, eff_id: str, lines: list[dict], interpreters: list[str]) -> tuple[Figure, Figure]:
    """Speedup and parallel efficiency against thread count: one line per parallel variant × interpreter
    (colour per variant, dash per interpreter), with the ideal line."""
    variants = sorted({line["variant"] for line in lines}, key=[line["variant"] for line in lines].index)
    max_threads = max((p[0] for line in lines for p in line["points"]), default=2)
    ticks = sorted({p[0] for line in lines for p in line["points"]})
    figs = []
    for div_id, column, title in ((speed_id, 1, "speedup over the same variant at 1 thread (×)"),
                                  (eff_id, 2, "parallel efficiency (speedup ÷ threads)")):
        fig = go.Figure()
        ideal_y = [float(t) for t in ticks] if column == 1 else [1.0 for _ in ticks]
        fig.add_trace(go.Scatter(x=ticks, y=ideal_y, mode="lines", name="ideal",
                                 line={"color": "#999", "width": 1.5, "dash": "dot"}, hoverinfo="skip"))
        for line in lines:
            colour, symbol = _style(variants.index(line["variant"]))
            dash = DASHES[interpreters.index(line["interpreter"]) % len(DASHES)] if line["interpreter"] in \
                interpreters else "solid"
            name = f"{text(line['variant'])} · {text(line['interpreter'])}"
            fig.add_trace(go.Scatter(
                x=[p[0] for p in line["points"]], y=[p[column] for p in line["points"]], mode="lines+markers",
                name=name, line={"color": colour, "width": 2, "dash": dash}, marker={"symbol": symbol, "size": 7},
                customdata=[[_ms(p[3]), sig(p[1], 3), sig(p[2], 3)] for p in line["points"]],
                hovertemplate=(name + " (" + text(line["schedule"]) + ")<br>%{x} threads: median %{customdata[0]} ms"
                               "<br>speedup %{customdata[1]}×, efficiency %{customdata[2]}<extra></extra>"),
            ))
        fig.update_layout(**_layout(
            height=380, margin={"l": 10, "r": 10, "t": 30, "b": 50},
            legend={"font": {"size": 10.5}, "x": 1.0, "xanchor": "left", "y": 1.0},
            xaxis={"title": {"text": "threads"}, "tickvals": ticks, "range": [0.8, max_threads + 0.2],
                   "gridcolor": "#e5e5e5", "zeroline": False, "automargin": True},
            yaxis={"title": {"text": title}, "gridcolor": "#e5e5e5", "zeroline": False, "automargin": True,
                   "rangemode": "tozero"},
        ))
        figs.append(Figure(div_id, to_spec(fig), 380))
    return figs[0], figs[1]


def _seconds_label(value: float) -> str:
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")):
        if value >= scale * 0.999:
            return f"{value / scale:.3g} {unit}"
    return f"{value:.3g} s"


def _time_ticks(values: list[float]) -> dict:
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


def size_figure(div_id: str, interpreter: str, series: list[dict], styles: dict[str, int]) -> Figure | None:
    """Log-log median time against work (inner iterations), one line per single-thread variant: a straight line of
    slope 1 is pure per-iteration cost, a flattening at the small end is a fixed cost per call."""
    series = [s for s in series if s["points"]]
    if not series:
        return None
    fig = go.Figure()
    xs = sorted({p[0] for s in series for p in s["points"]})
    for s in series:
        colour, symbol = _style(styles.get(s["variant"], 0))  # same variant, same style in every chart
        fig.add_trace(go.Scatter(
            x=[p[0] for p in s["points"]], y=[p[1] for p in s["points"]], mode="lines+markers",
            name=text(s["variant"]), line={"color": colour, "width": 1.8}, marker={"symbol": symbol, "size": 7},
            customdata=[[text(p[3]), _ms(p[1]), sig(p[2], 3)] for p in s["points"]],
            hovertemplate=(text(s["variant"]) + " on " + text(interpreter) + " at %{customdata[0]}"
                           "<br>%{x:,} inner iterations: median %{customdata[1]} ms"
                           "<br>%{customdata[2]} ns per inner iteration<extra></extra>"),
        ))
    # a slope-1 guide above the slowest line (never on top of a series): parallel to it = time ∝ work
    top = max((p for s in series for p in s["points"]), key=lambda p: (p[1], p[0]))
    level = 2.5 * max(p[1] * top[0] / p[0] for s in series for p in s["points"])
    guide_x = [xs[0], xs[-1]]
    fig.add_trace(go.Scatter(x=guide_x, y=[level * x / top[0] for x in guide_x], mode="lines",
                             name="∝ work (slope 1)", line={"color": "#999", "width": 1, "dash": "dot"},
                             hoverinfo="skip"))
    fig.update_layout(**_layout(
        height=420, margin={"l": 10, "r": 10, "t": 30, "b": 50},
        title={"text": text(interpreter), "x": 0.01, "font": {"size": 13}},
        legend={"font": {"size": 10.5}, "x": 1.0, "xanchor": "left", "y": 1.0},
        xaxis={"type": "log", "title": {"text": "work: inner iterations (z = z·z + c steps), log scale"},
               "gridcolor": "#e5e5e5", "automargin": True, "tickformat": "~s"},
        yaxis={"type": "log", "title": {"text": "median time per call (log scale)"}, "gridcolor": "#e5e5e5",
               "automargin": True, **_time_ticks([p[1] for s in series for p in s["points"]] + [level])},
    ))
    return Figure(div_id, to_spec(fig), 420)


def memory_figure(div_id: str, runs: list[dict], interpreters: list[str]) -> Figure | None:
    """RSS (MB) over time of the tutorial's driver, one line per profiled interpreter, with dashed markers at
    the phases the driver reported (grid built, kernel done)."""
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
            line={"color": colour, "width": 2, "shape": "hv"},
            hovertemplate=label + "<br>%{x:.3g} s: %{y:.4g} MB RSS<extra></extra>",
        ))
        for n, (name, seconds) in enumerate(p for p in run["phases"] if p[0] != "start"):
            shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": seconds, "x1": seconds, "y0": 0,
                           "y1": 1, "line": {"color": colour, "width": 1.2, "dash": "dash"}})
            annotations.append({"x": seconds, "xref": "x", "y": 1 - 0.07 * (2 * index + n), "yref": "paper",
                                "xanchor": "left", "yanchor": "top", "showarrow": False,
                                "text": f"{text(name)} ({text(run['env'])})", "font": {"size": 10, "color": colour},
                                "bgcolor": "rgba(255,255,255,0.8)"})
    fig.update_layout(**_layout(
        height=360, margin={"l": 10, "r": 10, "t": 30, "b": 50},
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        xaxis={"title": {"text": "seconds since the process started"}, "gridcolor": "#e5e5e5", "zeroline": False,
               "automargin": True, "rangemode": "tozero"},
        yaxis={"title": {"text": "resident memory (MB)"}, "gridcolor": "#e5e5e5", "automargin": True,
               "rangemode": "tozero"},
        shapes=shapes, annotations=annotations,
    ))
    return Figure(div_id, to_spec(fig), 360)
