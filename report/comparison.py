"""The HTML comparison of archives (`diff`) and the reproduction section of a report: a forest plot of ratios with
their CIs, the cell table with both views, and what differs. Same rules as report.html: self-contained, offline,
deterministic, every archive string escaped (Jinja2 autoescape; figure specs through figures.to_spec).
"""

from __future__ import annotations

from dataclasses import dataclass

import markupsafe
import plotly
import plotly.graph_objects as go

from shootout import archive as archive_mod
from shootout.diff import Comparison

from . import figures, formatting
from .pages import environment, plotly_js

VIEWS = (("normalised", "normalised: (cell ÷ its run's baseline) in B ÷ the same in A"),
         ("absolute", "absolute: time in B ÷ time in A"))


@dataclass(frozen=True)
class Row:
    cell: str
    verdict: str
    time_a: str
    time_b: str
    absolute: str
    absolute_verdict: str
    normalised: str
    normalised_verdict: str
    disturbed: str


@dataclass(frozen=True)
class Pair:
    baseline: str
    other: str
    drift: str
    counts: str
    rows: list
    differences: list
    figure: figures.Figure | None
    section_id: str


def _cell_name(key: dict) -> str:
    return f"{key['workload']} · {key['variant']} · {key['interpreter']} · t{key['threads']} · {key['size']}"


def _ratio_text(ratio: dict) -> str:
    if formatting.missing(ratio.get("value")):
        return formatting.DASH
    ci = "" if formatting.missing(ratio.get("low")) else f" [{ratio['low']:.3f}–{ratio['high']:.3f}]"
    return f"{ratio['value']:.3f}×{ci}"


def _verdict(ratio: dict) -> str:
    value, low, high = (ratio.get(k) for k in ("value", "low", "high"))
    if any(formatting.missing(v) for v in (value, low, high)):
        return "no CI"
    if low > 1 and value > 1.01:
        return "slower"
    if high < 1 and value < 0.99:
        return "faster"
    return "no significant change"


def rows(cells: list[dict]) -> list[Row]:
    out = []
    for c in cells:
        unmatched = c["verdict"] in ("only in A", "only in B", "not comparable")
        out.append(Row(
            _cell_name(c["key"]), c["verdict"], formatting.seconds(c.get("median_a")),
            formatting.seconds(c.get("median_b")), formatting.DASH if unmatched else _ratio_text(c["absolute"]),
            c["verdict"] if unmatched else _verdict(c["absolute"]),
            formatting.DASH if unmatched else _ratio_text(c["normalised"]),
            c["verdict"] if unmatched else _verdict(c["normalised"]), str(c.get("disturbed") or ""),
        ))
    return out


def forest(div_id: str, cells: list[dict]) -> figures.Figure | None:
    """Both views' ratios with their 95% CIs, one row per matched cell, log axis centred on 1."""
    matched = [c for c in cells if not formatting.missing((c.get("absolute") or {}).get("value"))]
    if not matched:
        return None
    names = [figures.text(_cell_name(c["key"])) for c in matched]
    fig = go.Figure()
    for index, (view, label) in enumerate(VIEWS):
        values = [c[view] for c in matched]
        low = [v["value"] - v["low"] if not formatting.missing(v.get("low")) else 0 for v in values]
        high = [v["high"] - v["value"] if not formatting.missing(v.get("high")) else 0 for v in values]
        colour = figures.PALETTE[index]
        fig.add_trace(go.Scatter(
            x=[v["value"] if not formatting.missing(v.get("value")) else None for v in values], y=names,
            mode="markers", name=figures.text(label), marker={"color": colour, "size": 8},
            error_x={"type": "data", "array": high, "arrayminus": low, "color": colour, "thickness": 1.5},
        ))
    fig.add_shape(figures.vline(1.0, "#444", 1, "dash"))
    height = 120 + 26 * len(matched)
    return figures.finish(div_id, fig, height, xaxis={"type": "log", "title": {"text": "B ÷ A (log scale)"}},
                          yaxis={"autorange": "reversed", "automargin": True}, legend={"orientation": "h"})


def pair(comparison: dict, index: int) -> Pair:
    cells = comparison.get("cells") or []
    counts: dict[str, int] = {}
    for row in rows(cells):
        counts[row.normalised_verdict] = counts.get(row.normalised_verdict, 0) + 1
    return Pair(str(comparison.get("baseline")), str(comparison.get("other")), str(comparison.get("drift") or ""),
                ", ".join(f"{n} {word}" for word, n in sorted(counts.items())), rows(cells),
                [(str(d["what"]), str(d["a"]), str(d["b"])) for d in comparison.get("differences") or []],
                forest(f"forest-{index}", cells), f"pair-{index}")


def render_comparison(archives: list[archive_mod.Archive], comparisons: list[Comparison]) -> bytes:
    """The `diff` page: A against each of B, C, ... (each machine against its own baseline in the normalised view)."""
    template = environment().get_template("comparison.html.j2")
    html = template.render(
        names=[str(a.manifest.get("run_id") or a.path.name) for a in archives],
        pairs=[pair(c.to_json(), i) for i, c in enumerate(comparisons)],
        views=VIEWS, plotly_version=plotly.__version__, plotly_js=markupsafe.Markup(plotly_js()),
    )
    return html.encode("utf-8")


def reproduction_section(data: archive_mod.Archive) -> Pair | None:
    """The comparison a reproduced archive carries (reproduction.json), for its report's opening section."""
    if "reproduction.json" not in data.manifest.get("files", {}):
        return None
    import json

    try:
        comparison = json.loads(data.text("reproduction.json"))
    except ValueError:
        return None
    if not isinstance(comparison, dict) or not isinstance(comparison.get("cells"), list):
        return None
    return pair(comparison, 99) if all(isinstance(c, dict) and isinstance(c.get("key"), dict)
                                      for c in comparison["cells"]) else None


