"""A comparison as text: a terminal table in the style of `pyperf compare_to --table`, or Markdown for a pull
request. Same rows either way: one per cell, the two views with their CIs and verdicts, then what differs."""

from __future__ import annotations

import math

from .diff import Comparison, Ratio


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
    return f"{r.value:.3f}x{ci} {r.verdict_word}"


def rows(comparison: Comparison) -> list[list[str]]:
    out = []
    for c in comparison.cells:
        name = " ".join(str(part) for part in c.key[1:3]) + f" t{c.key[3]} {c.key[4]}"
        if c.verdict in ("only in A", "only in B", "not comparable"):
            out.append([name, seconds(c.median_a), seconds(c.median_b), c.verdict, c.verdict, c.disturbed])
        else:
            out.append([name, seconds(c.median_a), seconds(c.median_b), ratio_text(c.absolute),
                        ratio_text(c.normalised), c.disturbed])
    return out


HEADER = ["cell", "A", "B", "absolute B/A [95% CI]", "normalised B/A [95% CI]", "disturbed"]


def table(comparison: Comparison) -> str:
    """An ASCII grid like pyperf's --table."""
    body = rows(comparison)
    widths = [max(len(r[i]) for r in [HEADER, *body]) for i in range(len(HEADER))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"

    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    double = rule.replace("-", "=")
    text = [rule, line(HEADER), double, *[line(r) for r in body], rule]
    return "\n".join(text) + "\n" + footer(comparison)


def markdown(comparison: Comparison) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    text = [f"**{comparison.other}** (B) vs **{comparison.baseline}** (A)", "",
            line(HEADER), line(["---"] * len(HEADER)), *[line(r) for r in rows(comparison)], ""]
    if comparison.differences:
        text += ["What differs:", "", line(["", "A", "B"]), line(["---"] * 3)]
        text += [line([d.what, d.a, d.b]) for d in comparison.differences]
    return "\n".join(text) + "\n\n" + footer(comparison)


def footer(comparison: Comparison) -> str:
    counts: dict[str, int] = {}
    for c in comparison.cells:
        word = c.normalised.verdict_word if c.verdict not in ("only in A", "only in B", "not comparable") \
            else c.verdict
        counts[word] = counts.get(word, 0) + 1
    summary = ", ".join(f"{n} {word}" for word, n in sorted(counts.items()))
    return f"normalised view: {summary}\n{comparison.drift}\n"


def differences(comparison: Comparison, limit: int = 40) -> str:
    if not comparison.differences:
        return "what differs: nothing in the metadata\n"
    shown = comparison.differences[:limit]
    lines = [f"  {d.what}: A {d.a[:70]} | B {d.b[:70]}" for d in shown]
    more = len(comparison.differences) - len(shown)
    return "what differs:\n" + "\n".join(lines) + (f"\n  ... and {more} more" if more else "") + "\n"
