"""The HTML comparison of archives (`diff`) and the reproduction section of a report: a forest plot of ratios
with their CIs, the cell table with the three views, and what differs. Every ratio, CI and verdict is diff's
own (shootout.results.diff: the drift-cancelled view, the joint bootstrap, Holm); this module only lays them
out. Same rules as report.html: self-contained, offline, deterministic, every archive string escaped (Jinja2
autoescape; figure specs through figures.to_spec).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import markupsafe
import plotly
import plotly.graph_objects as go

from shootout.results import archive as archive_mod
from shootout.results.diff import UNMATCHED, VIEWS, CellChange, Comparison, Ratio

from . import figures, formatting
from .pages import environment, plotly_js


@dataclass(frozen=True)
class RatioCell:
    text: str  # "1.031× [1.020–1.043]"
    verdict: str


@dataclass(frozen=True)
class ChangeRow:
    cell: str
    verdict: str  # the gate view's verdict, or only in A | only in B | not comparable
    time_a: str
    time_b: str
    ratios: list[RatioCell]  # in VIEWS order
    disturbed: str


@dataclass(frozen=True)
class ViewSummary:
    label: str
    question: str
    gate: bool  # the view verdicts and --fail-on-slowdown read
    counts: str


@dataclass(frozen=True)
class Pair:
    baseline: str
    other: str
    drift: str
    method: list[str]
    views: list[ViewSummary]
    rows: list[ChangeRow]
    differences: list[tuple[str, str, str]]
    figure: figures.Chart | None
    section_id: str


def _cell_name(key: tuple) -> str:
    workload, variant, interpreter, threads, size = key
    return f"{workload} · {variant} · {interpreter} · t{threads} · {size}"


def _ratio_text(ratio: Ratio) -> str:
    if formatting.missing(ratio.value):
        return formatting.DASH
    ci = "" if formatting.missing(ratio.low) else f" [{ratio.low:.3f}–{ratio.high:.3f}]"
    return f"{ratio.value:.3f}×{ci}"


def _row(c: CellChange) -> ChangeRow:
    unmatched = c.verdict in UNMATCHED
    ratios = [RatioCell(formatting.DASH, c.verdict) if unmatched else
              RatioCell(_ratio_text(getattr(c, v.name)), getattr(c, v.name).verdict) for v in VIEWS]
    return ChangeRow(_cell_name(c.key), c.verdict, formatting.seconds(c.median_a),
                     formatting.seconds(c.median_b), ratios,
               c.disturbed)


def _views(comparison: Comparison) -> list[ViewSummary]:
    out = []
    for v in VIEWS:
        if v.name == "drift_cancelled" and comparison.gate_view != v.name:
            counts = "not computed (too few matched cells)"
        else:
            counts = ", ".join(f"{n} {word}" for word, n in comparison.counts(v.name).items())
        out.append(ViewSummary(v.label, v.question, v.name == comparison.gate_view, counts))
    return out


def _error_bars(ratios: list[Ratio]) -> tuple[list[float], list[float]]:
    low = [r.value - r.low if r.has_ci else 0 for r in ratios]
    high = [r.high - r.value if r.has_ci else 0 for r in ratios]
    return low, high


def forest(div_id: str, cells: list[CellChange]) -> figures.Chart | None:
    """Every view's ratios with their 95% CIs, one row per matched cell, log axis centred on 1."""
    matched = [c for c in cells if not formatting.missing(c.absolute.value)]
    if not matched:
        return None
    names = [figures.text(_cell_name(c.key)) for c in matched]
    fig = go.Figure()
    for index, view in enumerate(VIEWS):
        ratios = [getattr(c, view.name) for c in matched]
        if all(formatting.missing(r.value) for r in ratios):
            continue
        low, high = _error_bars(ratios)
        colour = figures.PALETTE[index]
        fig.add_trace(go.Scatter(
            x=[None if formatting.missing(r.value) else r.value for r in ratios], y=names, mode="markers",
            name=figures.text(f"{view.label}: {view.question}"), marker={"color": colour, "size": 8},
            error_x={"type": "data", "array": high, "arrayminus": low, "color": colour, "thickness": 1.5},
        ))
    fig.add_shape(figures.vline(1.0, "#444", 1, "dash"))
    height = 140 + 26 * len(matched)
    return figures.finish(div_id, fig, height, xaxis={"type": "log", "title": {"text": "B ÷ A (log scale)"}},
                          yaxis={"autorange": "reversed", "automargin": True}, legend={"orientation": "h"})


def pair(comparison: Comparison, index: int) -> Pair:
    return Pair(comparison.baseline, comparison.other, comparison.drift_line(), comparison.method_lines(),
                _views(comparison), [_row(c) for c in comparison.cells],
                [(d.what, d.a, d.b) for d in comparison.differences],
                forest(f"forest-{index}", comparison.cells),
                f"pair-{index}")


def render_comparison(archives: list[archive_mod.Archive], comparisons: list[Comparison]) -> bytes:
    """The `diff` page: A against each of B, C, ... (each machine against its own drift and baseline cell)."""
    template = environment().get_template("comparison.html.j2")
    html = template.render(
        names=[str(a.manifest.get("run_id") or a.path.name) for a in archives],
        pairs=[pair(c, i) for i, c in enumerate(comparisons)], views=VIEWS,
        plotly_version=plotly.__version__, plotly_js=markupsafe.Markup(plotly_js()),
    )
    return html.encode("utf-8")


def reproduction_section(data: archive_mod.Archive) -> Pair | None:
    """The comparison a reproduced archive carries (reproduction.json), for its report's opening section; one
    written before the drift-cancelled view shows its verdicts as 'not recorded'."""
    if "reproduction.json" not in data.manifest.get("files", {}):
        return None
    try:
        stored = json.loads(data.text("reproduction.json"))
    except ValueError:
        return None
    if not isinstance(stored, dict) or not isinstance(stored.get("cells"), list):
        return None
    if not all(isinstance(c, dict) and isinstance(c.get("key"), dict) for c in stored["cells"]):
        return None
    return pair(Comparison.from_json(stored), 99)
