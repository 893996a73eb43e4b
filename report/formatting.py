"""How the report writes numbers: one module every other report module and every template filter uses.

Each function takes a value as it comes from an archive or a summary (None, NaN, a numpy scalar, a number) and
returns text; a missing value is always an en dash.
"""

from __future__ import annotations

import math

import markupsafe

DASH = "–"


def missing(value) -> bool:
    """None, NaN, or anything that is not a number (an archive may hold any JSON)."""
    if value is None or isinstance(value, (bool, str)):
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def seconds(value) -> str:
    if missing(value):
        return DASH
    value = float(value)
    if value >= 100:
        return f"{value:.0f} s"
    if value >= 1:
        return f"{value:.3g} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"


def signed_seconds(value) -> str:
    """seconds() of a difference that may be negative: '−0.92 ms'."""
    if missing(value) or float(value) >= 0:
        return seconds(value)
    return "\u2212" + seconds(-float(value))


def number(value, digits: int = 3) -> str:
    if missing(value):
        return DASH
    value = float(value)
    if abs(value) >= 10 ** digits:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def ratio(value) -> str:
    return DASH if missing(value) else f"{number(value)}×"


def percent(value) -> str:
    return DASH if missing(value) else f"{float(value):.3g}%"


def pvalue(value, equals: str = "= ") -> str:
    """'= 0.029' or '< 0.001', to follow a 'p' (in a table column: equals='')."""
    if missing(value):
        return DASH
    value = float(value)
    return "< 0.001" if value < 0.001 else f"{equals}{value:.3f}"


def faster_or_slower(time_ratio) -> str:
    """A time ratio (this ÷ that) as '4.04× faster' or '1.2× slower' (this against that)."""
    if missing(time_ratio) or float(time_ratio) <= 0:
        return DASH
    value = float(time_ratio)
    return f"{ratio(1 / value)} faster" if value <= 1 else f"{ratio(value)} slower"


def seconds_range(low, high) -> str:
    """'1.21–1.25 ms': both ends in the unit of the upper end."""
    if missing(low) or missing(high):
        return DASH
    high_text = seconds(high)
    unit = high_text.split(" ")[-1]
    if seconds(low).split(" ")[-1] != unit:
        return f"{seconds(low)}–{high_text}"
    scale = {"s": 1.0, "ms": 1e3, "µs": 1e6}[unit]
    low_value = float(low) * scale
    low_text = f"{low_value:.0f}" if low_value >= 100 else f"{low_value:.3g}"
    return f"{low_text}–{high_text}"


def ratio_range(low, high) -> str:
    """'3.9–4.2×'."""
    if missing(low) or missing(high):
        return DASH
    return f"{number(low)}–{number(high)}×"


def environment(value) -> str:
    """Seconds spent creating an environment; 0 means it was already there."""
    if missing(value):
        return DASH
    return "reused" if float(value) == 0 else seconds(value)


def overhead(value) -> str:
    """A fitted fixed cost per call; at or below zero it is lost in the noise."""
    if missing(value):
        return DASH
    return "≈ 0" if float(value) <= 0 else seconds(value)


def mebibytes(value) -> str:
    """Bytes as '123 MiB' (three significant digits, thousands separated)."""
    return DASH if missing(value) else f"{number(float(value) / (1 << 20))} MiB"


def break_at_underscores(value) -> markupsafe.Markup:
    """Escaped text with <wbr> after each '_', so long variant names wrap at word joints, not mid-word."""
    return markupsafe.Markup("_<wbr>").join(markupsafe.escape(part) for part in str(value).split("_"))


def flatten(value, prefix: str = "") -> list[tuple[str, str]]:
    """Nested metadata → sorted (dotted key, text) pairs for a two-column table."""
    if isinstance(value, dict):
        out: list[tuple[str, str]] = []
        for key in sorted(value, key=str):
            out.extend(flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value and all(not isinstance(v, (dict, list)) for v in value):
        return [(prefix, ", ".join(DASH if v is None else str(v) for v in value))]
    if isinstance(value, list):
        if not value:
            return [(prefix, "(none)")]
        return [pair for index, item in enumerate(value) for pair in flatten(item, f"{prefix}[{index}]")]
    return [(prefix, DASH if value is None else str(value))]


def params_text(params) -> str:
    """'n 80, steps 60' from a parameter set (archive data: any JSON object)."""
    if not isinstance(params, dict):
        return ""
    return ", ".join(f"{key} {params[key]}" for key in sorted(params, key=str))


def row_class(cell) -> str:
    """A cell's table row: "bad" when it failed (or ran unverified), "muted" when it did not run."""
    return "bad" if cell.failed else ("muted" if cell.status != "ok" else "")


FILTERS = {
    "seconds": seconds, "num": number, "ratio": ratio, "pvalue": pvalue, "percent": percent,
    "wbr": break_at_underscores, "seconds_range": seconds_range, "ratio_range": ratio_range,
    "environment": environment, "faster_or_slower": faster_or_slower, "params": params_text,
    "overhead": overhead, "row_class": row_class, "mebibytes": mebibytes,
    "signed_seconds": signed_seconds,
}
