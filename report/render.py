"""Turn one archive into one self-contained HTML file, from the archive's files alone (deterministic bytes).

render_archive(path) -> bytes is the entry point (shootout's compare and report commands call it).

Every string read from an archive is untrusted: Jinja2 autoescape renders it as text in HTML; figure data goes
through report.figures.to_spec (JSON with <, >, & escaped) and is parsed with JSON.parse; files named by records
(build logs) are only read when the manifest lists them, i.e. when archive.read verified their path and sha256.
Nothing depends on the render time, the host, random ids or set ordering, so re-rendering gives the same bytes.

Sections: headline, speedup chart, all cells, warm-up, the Julia set, failures; then, each only when the archive
has data for it, PyPy vs CPython per variant, kernel quality, thread scaling, size scaling (report/analysis.py) and
where the time goes (profiles/, report/profiles.py); then machine and reproduce.
"""

from __future__ import annotations

import math
import shlex
from pathlib import Path

import jinja2
import markupsafe
import pandas as pd
import plotly
import plotly.offline

from shootout import archive as archive_mod
from shootout import stats

from . import analysis, figures
from .julia_image import load_images
from .profiles import TUTORIAL_ABS_CALLS, profiles_context

TEMPLATES = Path(__file__).parent / "templates"
LOG_TAIL_CHARS = 20_000
ERROR_CHARS = 6_000
FAILED = ("build_failed", "crashed", "timeout", "wrong_output")
NOT_RUN = ("unsupported", "skipped")


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
    env.filters["ratio"] = format_ratio
    env.filters["pvalue"] = format_pvalue
    env.filters["wbr"] = break_at_underscores
    env.filters["percent"] = format_percent
    return env


def break_at_underscores(value) -> markupsafe.Markup:
    """Escaped text with <wbr> after each '_', so long variant names wrap at word joints, not mid-word."""
    return markupsafe.Markup("_<wbr>").join(markupsafe.escape(part) for part in str(value).split("_"))


# ---------------------------------------------------------------- formatting


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return isinstance(value, float) and math.isnan(value) or (not isinstance(value, str) and pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_seconds(value) -> str:
    if _missing(value):
        return "–"
    value = float(value)
    if value >= 100:
        return f"{value:.0f} s"
    if value >= 1:
        return f"{value:.3g} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"


def format_number(value, digits: int = 3) -> str:
    if _missing(value):
        return "–"
    value = float(value)
    if abs(value) >= 10 ** digits:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def format_ratio(value) -> str:
    return "–" if _missing(value) else f"{format_number(value)}×"


def format_pvalue(value) -> str:
    if _missing(value):
        return "–"
    value = float(value)
    return "< 0.001" if value < 0.001 else f"= {value:.3f}"


def seconds_range(low, high) -> str:
    """'1.21–1.25 ms': both ends in the unit of the upper end."""
    if _missing(low) or _missing(high):
        return "–"
    high_text = format_seconds(high)
    unit = high_text.split(" ")[-1]
    if format_seconds(low).split(" ")[-1] != unit:
        return f"{format_seconds(low)}–{high_text}"
    scale = {"s": 1.0, "ms": 1e3, "µs": 1e6}[unit]
    low_value = float(low) * scale
    low_text = f"{low_value:.0f}" if low_value >= 100 else f"{low_value:.3g}"
    return f"{low_text}–{high_text}"


def _rows(frame: pd.DataFrame) -> list[dict]:
    return [{k: (None if _missing(v) else v) for k, v in row.items()} for row in frame.to_dict("records")]


def flatten(value, prefix: str = "") -> list[tuple[str, str]]:
    """Nested metadata → sorted (dotted key, text) pairs for a two-column table."""
    out: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key in sorted(value, key=str):
            out.extend(flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list) and value and all(not isinstance(v, (dict, list)) for v in value):
        out.append((prefix, ", ".join("–" if v is None else str(v) for v in value)))
    elif isinstance(value, list):
        if not value:
            out.append((prefix, "(none)"))
        for index, item in enumerate(value):
            out.extend(flatten(item, f"{prefix}[{index}]"))
    else:
        out.append((prefix, "–" if value is None else str(value)))
    return out


# ---------------------------------------------------------------- context


def _variant_order(meta: dict, rows: list[dict]) -> dict[str, int]:
    declared = [str(v) for v in (meta.get("variants") or []) if isinstance(v, str)]
    order = {name: i for i, name in enumerate(declared)}
    for name in sorted({str(r["variant"]) for r in rows}):
        order.setdefault(name, len(order))
    return order


def _interpreter_order(meta: dict, rows: list[dict]) -> list[str]:
    """CPython interpreters first, then PyPy, then anything else; by name within each."""
    impl = {}
    for r in rows:
        impl.setdefault(str(r["interpreter"]), str(r.get("implementation") or ""))
    for i in meta.get("interpreters") or []:
        if isinstance(i, dict) and i.get("name"):
            impl.setdefault(str(i["name"]), str(i.get("implementation") or ""))
    rank = {"cpython": 0, "pypy": 1}
    return sorted((name for name in impl if any(str(r["interpreter"]) == name for r in rows)),
                  key=lambda name: (rank.get(impl[name], 2), name))


def format_percent(value) -> str:
    return "–" if _missing(value) else f"{float(value):.3g}%"


def _environment_text(value) -> str:
    if _missing(value):
        return "–"
    return "reused" if float(value) == 0 else format_seconds(value)


def _table(summary: pd.DataFrame, multi_size: bool) -> list[dict]:
    """The full table as display strings, one dict per cell (a pandas frame of text, rendered by Jinja)."""
    table = pd.DataFrame(
        {
            "variant": summary["variant"].astype(str),
            "technology": summary["technology"].fillna("").astype(str),
            "interpreter": summary["interpreter"].astype(str),
            "threads": summary["threads"].astype(int),
            "size": [f"{w}×{m}" for w, m in zip(summary["width"], summary["max_iterations"])],
            "median": summary["median_seconds"].map(format_seconds),
            "ci": [seconds_range(lo, hi) for lo, hi in zip(summary["ci_low"], summary["ci_high"])],
            "speedup": summary["speedup"].map(format_ratio),
            "ns_per_iter": summary["ns_per_inner_iteration"].map(lambda v: format_number(v)),
            "pct_limit": summary["percent_of_limit"].map(format_percent),
            "vs_c": summary["vs_cffi_c"].map(format_ratio),
            "vs_c_slow": summary["vs_cffi_c"].map(lambda v: not _missing(v) and v > stats.KERNEL_QUALITY_BOUND),
            "environment": summary["environment_seconds"].map(_environment_text),
            "import": summary["import_seconds"].map(format_seconds),
            "first_call": summary["first_call_seconds"].map(format_seconds),
            "process": summary["process_seconds"].map(format_seconds),
            "build": summary["build_seconds"].map(format_seconds),
            "status": summary["status"].astype(str),
            "verified": summary["verified"].astype(bool),
            "unstable": summary["unstable"].astype(bool),
            "warmup": summary["warmup_classes"].fillna("").astype(str),
            "processes": summary["processes"].astype(int),
        }
    )
    table["row_class"] = [
        "bad" if s in FAILED else ("muted" if s != "ok" else ("" if v else "bad"))
        for s, v in zip(table["status"], table["verified"])
    ]
    table["multi_size"] = multi_size
    return table.to_dict("records")


def _log_text(data: archive_mod.Archive, rel: str | None) -> tuple[str | None, str | None, int]:
    """(relative path, tail of the text, characters omitted) for a log the manifest lists, else Nones."""
    if not rel or not isinstance(rel, str) or rel not in data.manifest.get("files", {}):
        return None, None, 0
    text = data.text(rel)
    omitted = max(0, len(text) - LOG_TAIL_CHARS)
    return rel, text[omitted:], omitted


def _in_cell(record: dict, cell: dict) -> bool:
    return (
        record.get("workload") == cell["workload"]
        and record.get("variant") == cell["variant"]
        and (record.get("interpreter") or {}).get("name") == cell["interpreter"]
        and record.get("threads", 1) == cell["threads"]
        and (record.get("params") or {}).get("width") == cell["width"]
        and (record.get("params") or {}).get("max_iterations") == cell["max_iterations"]
    )


def _problems(data: archive_mod.Archive, rows: list[dict], variant_rank: dict, interpreters: list[str]) -> list[dict]:
    builds = {
        (str(b.get("env")), str(b.get("variant"))): b for b in data.builds if isinstance(b, dict)
    }
    out = []
    for row in rows:
        if row["status"] == "ok" and row["verified"]:
            continue
        cell = {k: row[k] for k in stats.CELL_KEYS}
        mine = sorted((r for r in data.records if _in_cell(r, cell)), key=lambda r: r.get("process_index", 0))
        statuses: dict[str, int] = {}
        for r in mine:
            statuses[str(r.get("status"))] = statuses.get(str(r.get("status")), 0) + 1
        errors: list[str] = []
        for r in mine:
            if r.get("error") and str(r["error"]) not in errors:
                errors.append(str(r["error"]))
        build = builds.get((str(row["interpreter"]), str(row["variant"]))) or {}
        log_rel = next((r.get("build_log") for r in mine if r.get("build_log")), None) or build.get("log_file")
        if row["status"] == "build_failed" and build.get("error") and str(build["error"]) not in errors:
            errors.append(str(build["error"]))
        rel, log, omitted = _log_text(data, log_rel)
        error = "\n\n".join(errors) or "(no error text recorded)"
        out.append(
            {
                "label": figures.cell_label(row),
                "variant": str(row["variant"]),
                "interpreter": str(row["interpreter"]),
                "size": f"{row['width']}×{row['max_iterations']}",
                "status": str(row["status"]),
                "severity": "bad" if row["status"] in FAILED or row["status"] == "ok" else "muted",
                "processes": ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())),
                "error": error[:ERROR_CHARS] + ("\n… (truncated)" if len(error) > ERROR_CHARS else ""),
                "log_rel": rel,
                "log": log,
                "log_omitted": omitted,
                "log_missing": log_rel if (log_rel and rel is None) else None,
                "_key": (
                    0 if row["status"] in FAILED else 1, row["width"], row["max_iterations"],
                    variant_rank.get(str(row["variant"]), 999), row["threads"],
                    interpreters.index(str(row["interpreter"])) if str(row["interpreter"]) in interpreters else 99,
                ),
            }
        )
    out.sort(key=lambda p: p["_key"])
    for p in out:
        del p["_key"]
    return out


def _headline(summary_rows: list[dict], records: list[dict], size: tuple[int, int], interpreters: list[str],
              implementations: dict[str, str]) -> dict:
    rows = [r for r in summary_rows if (r["width"], r["max_iterations"]) == size]
    ranked = [r for r in rows if r["status"] == "ok" and r["verified"] and r.get("median_seconds") is not None]
    fastest = []
    for interp in interpreters:
        candidates = [r for r in ranked if r["interpreter"] == interp]
        if candidates:
            best = min(candidates, key=lambda r: (r["median_seconds"], str(r["variant"]), r["threads"]))
            fastest.append({**best, "label": figures.cell_label(best)})
    pure = {r["interpreter"]: r for r in ranked if r["variant"] == "pure_python" and r["threads"] == 1}
    comparisons = []
    cpythons = [i for i in interpreters if implementations.get(i) == "cpython" and i in pure]
    pypys = [i for i in interpreters if implementations.get(i) == "pypy" and i in pure]
    for c in cpythons:
        for p in pypys:
            test = stats.compare_interpreters(records, p, c)
            match = test[
                (test["variant"] == "pure_python") & (test["width"] == size[0])
                & (test["max_iterations"] == size[1]) & (test["threads"] == 1)
            ] if not test.empty else test
            p_value = float(match["p_value"].iloc[0]) if len(match) else None
            faster = pure[c]["median_seconds"] / pure[p]["median_seconds"]
            comparisons.append(
                {
                    "cpython": pure[c],
                    "pypy": pure[p],
                    "ratio": faster,
                    "pypy_faster": faster >= 1,
                    "p_value": p_value,
                    "significant": p_value is not None and p_value < 0.05,
                }
            )
    failed = sorted(
        {f"{figures.cell_label(r)} on {r['interpreter']}" for r in rows if r["status"] in FAILED
         or (r["status"] == "ok" and not r["verified"])}
    )
    not_run = sum(1 for r in rows if r["status"] in NOT_RUN)
    return {"fastest": fastest, "comparisons": comparisons, "failed": failed, "not_run": not_run,
            "verified": len(ranked), "cells": len(rows)}


def _baseline_name(rows: list[dict], size: tuple[int, int], implementations: dict[str, str]) -> str:
    base = sorted(
        r["interpreter"] for r in rows
        if (r["width"], r["max_iterations"]) == size and r["variant"] == "pure_python" and r["verified"]
        and implementations.get(r["interpreter"]) == "cpython"
    )
    return f"pure_python on {base[0]}" if base else "pure_python on CPython"


def context(data: archive_mod.Archive) -> dict:
    meta = data.metadata if isinstance(data.metadata, dict) else {}
    summary = stats.summarise(data.records)
    rows: list[dict] = []
    if not summary.empty:
        rows = _rows(summary)
    variant_rank = _variant_order(meta, rows)
    interpreters = _interpreter_order(meta, rows)
    implementations = {str(r["interpreter"]): str(r.get("implementation") or "") for r in rows}
    inter_rank = {name: i for i, name in enumerate(interpreters)}
    if not summary.empty:
        summary = summary.assign(
            _v=summary["variant"].map(lambda v: variant_rank.get(str(v), 999)),
            _i=summary["interpreter"].map(lambda i: inter_rank.get(str(i), 99)),
        ).sort_values(["width", "max_iterations", "_v", "threads", "_i"], kind="stable")
        summary = summary.drop(columns=["_v", "_i"]).reset_index(drop=True)
        rows = _rows(summary)
    sizes = sorted({(int(r["width"]), int(r["max_iterations"])) for r in rows})
    multi_size = len(sizes) > 1

    sections = []
    for n, size in enumerate(sizes):
        size_rows = [r for r in rows if (r["width"], r["max_iterations"]) == size]
        baseline = _baseline_name(rows, size, implementations)
        chart = figures.speedup_figure(f"speedup-{n}", size_rows, interpreters, baseline)
        chart_kind = "speedup"
        if chart is None:
            chart = figures.time_figure(f"times-{n}", size_rows, interpreters)
            chart_kind = "time"
        sections.append(
            {
                "size": size,
                "label": f"{size[0]}×{size[0]} grid, {size[1]} iterations",
                "headline": _headline(rows, data.records, size, interpreters, implementations),
                "chart": chart,
                "chart_kind": chart_kind,
                "baseline": baseline,
                "not_charted": sum(1 for r in size_rows if not (r["status"] == "ok" and r["verified"])),
                "warmup": figures.warmup_panels(data.records, rows, size, f"warmup-{n}", interpreters),
            }
        )

    fits = analysis.size_fits(rows)
    quality = analysis.kernel_quality(rows, interpreters, sizes, fits, variant_rank)
    analyses = {
        "pairs": analysis.interpreter_comparison(data.records, rows, interpreters, implementations, variant_rank),
        "quality": quality if quality["rows"] else None,
        "threads": analysis.thread_scaling(summary if not summary.empty else None, rows, interpreters, variant_rank),
        "size_scaling": analysis.size_scaling(rows, interpreters, sizes, fits, variant_rank),
    }
    profiles = profiles_context(data)

    images, image_problems = load_images(data.path, data.manifest.get("files", {}), data.records)
    machine = meta.get("machine") if isinstance(meta.get("machine"), dict) else {}
    environments = meta.get("environments") if isinstance(meta.get("environments"), dict) else {}
    command_line = meta.get("command_line") or data.manifest.get("command_line") or []
    if isinstance(command_line, list):
        command = shlex.join(str(part) for part in command_line)
    else:
        command = str(command_line)
    git = meta.get("git") if isinstance(meta.get("git"), dict) else {}
    method = meta.get("method") if isinstance(meta.get("method"), dict) else {}
    missing_interpreters = [
        i for i in (meta.get("interpreters") or []) if isinstance(i, dict) and i.get("available") is False
    ]
    env_failures = meta.get("environment_failures") if isinstance(meta.get("environment_failures"), dict) else {}
    return {
        "run_id": str(data.manifest.get("run_id") or meta.get("run_id") or data.path.name),
        "workload": str(meta.get("workload") or "?"),
        "manifest": data.manifest,
        "archive_status": str(data.manifest.get("status") or "unknown"),
        "missing_cells": [str(c) for c in data.manifest.get("missing_cells") or []],
        "meta": meta,
        "method": method,
        "sizes": sizes,
        "size_labels": [analysis.size_text(*size) for size in sizes],
        "multi_size": multi_size,
        "has_cells": bool(rows),
        "profile_only": not rows and str(meta.get("kind") or "") == "profile",
        "analysis": analyses,
        "profiles": profiles,
        "quality_bound": stats.KERNEL_QUALITY_BOUND,
        "tutorial_abs": TUTORIAL_ABS_CALLS,
        "sections": sections,
        "table": _table(summary, multi_size) if not summary.empty else [],
        "problems": _problems(data, rows, variant_rank, interpreters),
        "missing_interpreters": missing_interpreters,
        "env_failures": sorted((str(k), str(v)) for k, v in env_failures.items()),
        "images": images,
        "image_problems": image_problems,
        "interpreters": interpreters,
        "machine": machine,
        "machine_rows": flatten(machine),
        "machine_summary": _machine_summary(machine),
        "interpreter_rows": [
            {"name": str(i.get("name")), "implementation": str(i.get("implementation") or "–"),
             "version": str(i.get("version") or "–"), "executable": str(i.get("executable") or "–"),
             "available": bool(i.get("available")), "reason": str(i.get("reason") or ""),
             "details": flatten(i.get("info") or {})}
            for i in (meta.get("interpreters") or []) if isinstance(i, dict)
        ],
        "environment_rows": [
            {"name": str(name), "details": flatten({k: v for k, v in env.items() if k != "lock"})
             if isinstance(env, dict) else [("", str(env))]}
            for name, env in sorted(environments.items(), key=lambda kv: str(kv[0]))
        ],
        "locks": [
            (rel.removeprefix("locks/").removesuffix(".txt"), data.text(rel))
            for rel in sorted(data.manifest.get("files", {}))
            if rel.startswith("locks/")
        ],
        "build_rows": [
            {"env": str(b.get("env")), "variant": str(b.get("variant")), "status": str(b.get("status")),
             "seconds": b.get("seconds"), "compiler": str(b.get("compiler_version") or b.get("compiler") or "–"),
             "flags": " ".join(str(f) for f in b.get("flags") or []),
             "sha256": str(b.get("extension_sha256") or "–")[:16]}
            for b in sorted((b for b in data.builds if isinstance(b, dict)),
                            key=lambda b: (str(b.get("env")), variant_rank.get(str(b.get("variant")), 999)))
        ],
        "command": command,
        "rerender": f"nox -s report -- results/{data.manifest.get('run_id') or data.path.name}",
        "git_commit": str(git.get("commit") or "unknown"),
        "git_dirty": bool(git.get("dirty")),
        "started_at": str(meta.get("started_at") or data.manifest.get("started_at") or "?"),
        "finished_at": str(meta.get("finished_at") or data.manifest.get("finished_at") or "?"),
        "wall_seconds": meta.get("wall_seconds"),
        "seed": meta.get("seed"),
        "plotly_version": plotly.__version__,
        "tolerance": stats.TOLERANCE,
        "unstable_ci": stats.UNSTABLE_CI,
    }


def _machine_summary(machine: dict) -> str:
    cpu = machine.get("cpu") if isinstance(machine.get("cpu"), dict) else {}
    memory = machine.get("memory") if isinstance(machine.get("memory"), dict) else {}
    parts = [str(cpu.get("model") or "unknown CPU")]
    if cpu.get("logical_cpus"):
        parts.append(f"{cpu['logical_cpus']} logical CPUs")
    total = str(memory.get("MemTotal") or "")
    if total.endswith(" kB") and total[:-3].strip().isdigit():
        parts.append(f"{int(total[:-3]) / 1024 / 1024:.1f} GiB RAM")
    if machine.get("kernel"):
        parts.append(str(machine["kernel"]).split(" #")[0])
    if machine.get("hostname"):
        parts.append(f"host {machine['hostname']}")
    return ", ".join(parts)


def plotly_js() -> str:
    """plotly.min.js, inlined once per report (no CDN: the report opens offline)."""
    js = plotly.offline.get_plotlyjs()
    if "</script" in js.lower():  # cannot happen with the pinned plotly; never emit a broken page if it does
        js = js.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")
    return js


def render_archive(path: Path) -> bytes:
    data = archive_mod.read(Path(path))
    template = _environment().get_template("report.html.j2")
    html = template.render(**context(data), plotly_js=markupsafe.Markup(plotly_js()))
    return html.encode("utf-8")
