"""Turn one archive into one self-contained HTML file, from the archive's files alone (deterministic bytes)."""

from __future__ import annotations

import math
from pathlib import Path

import jinja2
import pandas as pd

from shootout import archive as archive_mod
from shootout import stats

TEMPLATES = Path(__file__).parent / "templates"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every archive string (hostname, package names, errors) is untrusted text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["seconds"] = format_seconds
    env.filters["num"] = format_number
    return env


def format_seconds(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = float(value)
    if value >= 1:
        return f"{value:.3g} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"


def format_number(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):.{digits}g}"


def _rows(frame: pd.DataFrame) -> list[dict]:
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def context(data: archive_mod.Archive) -> dict:
    summary = stats.summarise(data.records)
    meta = data.metadata
    builds = {(b["env"], b["variant"]): b for b in data.builds}
    if not summary.empty:
        summary = summary.sort_values(["width", "max_iterations", "variant", "interpreter", "threads"], kind="stable")
        summary["build_log"] = [
            (builds.get((row.interpreter, row.variant)) or {}).get("log_file") for row in summary.itertuples()
        ]
    rows = _rows(summary) if not summary.empty else []
    ranked = [r for r in rows if r["status"] == "ok" and r["verified"]]
    interpreters = sorted({r["interpreter"] for r in rows})
    fastest = []
    for interp in interpreters:
        candidates = [r for r in ranked if r["interpreter"] == interp and r["median_seconds"] is not None]
        if candidates:
            fastest.append(min(candidates, key=lambda r: r["median_seconds"]))
    problems = [r for r in rows if r["status"] != "ok"]
    logs = {}
    for r in problems:
        rel = r.get("build_log")
        if rel and (data.path / rel).is_file() and rel not in logs:
            logs[rel] = data.text(rel)[-20000:]
    return {
        "run_id": data.manifest.get("run_id"),
        "manifest": data.manifest,
        "meta": meta,
        "rows": rows,
        "fastest": fastest,
        "problems": problems,
        "logs": logs,
        "interpreters": interpreters,
        "locks": {
            rel.removeprefix("locks/").removesuffix(".txt"): data.text(rel)
            for rel in sorted(data.manifest["files"])
            if rel.startswith("locks/")
        },
        "builds": data.builds,
        "command": " ".join(meta.get("command_line") or []),
    }


def render_archive(path: Path) -> bytes:
    data = archive_mod.read(Path(path))
    template = _environment().get_template("report.html.j2")
    return template.render(**context(data)).encode("utf-8")
