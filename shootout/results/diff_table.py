"""A comparison as text: a terminal table in the style of `pyperf compare_to --table`, or Markdown for a pull
request. Same rows either way: one per cell, the three views (diff.VIEWS) with their CIs and verdicts as diff
computed them, then per view the verdict counts, the machine's drift and how the verdicts were reached."""

from __future__ import annotations

import math

from .diff import MIN_DRIFT_CELLS, UNMATCHED, VIEWS, Comparison, Ratio


def seconds(value: float) -> str:
    if math.isnan(value):
        return "-"
    for unit, scale in (("s", 1), ("ms", 1e3), ("us", 1e6)):
        if value * scale >= 1 or unit == "us":
            return f"{value * scale:.3g} {unit}"
    return f"{value:.3g} s"


def ratio_text(r: Ratio) -> str:
    if math.isnan(r.value):
        return "-"
    ci = "" if math.isnan(r.low) else f" [{r.low:.3f}-{r.high:.3f}]"
    return f"{r.value:.3f}x{ci} {r.verdict}"


def header(comparison: Comparison) -> list[str]:
    """The view the gate reads is marked; it comes first."""
    return ["cell", "A", "B",
            *[f"{v.label}{' (gate)' if v.name == comparison.gate_view else ''} B/A [95% CI]" for v in VIEWS],
            "disturbed"]


def rows(comparison: Comparison) -> list[list[str]]:
    out = []
    for c in comparison.cells:
        name = " ".join(str(part) for part in c.key[1:3]) + f" t{c.key[3]} {c.key[4]}"
        views = [c.verdict if c.verdict in UNMATCHED else ratio_text(getattr(c, v.name)) for v in VIEWS]
        out.append([name, seconds(c.median_a), seconds(c.median_b), *views, c.disturbed])
    return out


def table(comparison: Comparison) -> str:
    """An ASCII grid like pyperf's --table."""
    head, body = header(comparison), rows(comparison)
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"

    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    double = rule.replace("-", "=")
    text = [rule, line(head), double, *[line(r) for r in body], rule]
    return "\n".join(text) + "\n" + footer(comparison)


def markdown(comparison: Comparison) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    head = header(comparison)
    text = [f"**{comparison.other}** (B) vs **{comparison.baseline}** (A)", "",
            line(head), line(["---"] * len(head)), *[line(r) for r in rows(comparison)], ""]
    if comparison.differences:
        text += ["What differs:", "", line(["", "A", "B"]), line(["---"] * 3)]
        text += [line([d.what, d.a, d.b]) for d in comparison.differences]
    return "\n".join(text) + "\n\n" + footer(comparison)


def counts_line(comparison: Comparison, view: str) -> str:
    if view == "drift_cancelled" and comparison.gate_view != view:
        return f"not computed (fewer than {MIN_DRIFT_CELLS} matched cells)"
    return ", ".join(f"{n} {word}" for word, n in comparison.counts(view).items())


def footer(comparison: Comparison) -> str:
    """One line of verdict counts per view, the drift line, then how verdicts and the gate were computed."""
    lines = [f"{v.label} view{' (gate)' if v.name == comparison.gate_view else ''}: "
             f"{counts_line(comparison, v.name)}"
             for v in VIEWS]
    return "\n".join([*lines, comparison.drift_line(), *comparison.method_lines()]) + "\n"


def differences(comparison: Comparison, limit: int = 40) -> str:
    if not comparison.differences:
        return "what differs: nothing in the metadata\n"
    shown = comparison.differences[:limit]
    lines = [f"  {d.what}: A {d.a[:70]} | B {d.b[:70]}" for d in shown]
    more = len(comparison.differences) - len(shown)
    return "what differs:\n" + "\n".join(lines) + (f"\n  ... and {more} more" if more else "") + "\n"
