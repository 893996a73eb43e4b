"""The report's analysis sections, built from the summary rows and records alone (no workloads/ import):
PyPy vs CPython per variant, kernel quality against cffi_c, thread scaling, size scaling.

Only ok+verified cells enter any of these tables or charts; failed or wrong cells stay in the main table and
under Failures. Everything returned is plain data (numbers and archive strings) for the autoescaping template.
"""

from __future__ import annotations

import math

import numpy as np

from shootout import stats

from . import figures

# OpenMP schedule of each parallel variant, by variant name. The report must not import workloads/ and the
# archive's builds.json does not record it, so it lives here; keep it in step with workloads/julia/spec.py
# (the "schedule" key of the cffi_openmp* entries) and the C / Cython / Pythran sources.
SCHEDULES = {
    "cffi_openmp": "guided",
    "cffi_openmp_static": "static",
    "cffi_openmp_dynamic": "dynamic",
    "cython_openmp": "guided",
    "pythran_openmp": "guided",
    "numba_parallel": "numba default",
    "cffi_simd_openmp": "dynamic,16 blocks",
}
SCHEDULE_TRIO = [("static", "cffi_openmp_static"), ("dynamic", "cffi_openmp_dynamic"), ("guided", "cffi_openmp")]

COMPILED = ("cython", "pythran", "numba", "cffi")
QUALITY_TECHNOLOGIES = COMPILED + ("numpy",)

# Why a single-thread kernel is more than KERNEL_QUALITY_BOUND × slower than cffi_c: by (variant, implementation),
# then (technology, implementation), then technology. Known mechanisms, stated as the likely reason.
SLOW_REASONS = {
    ("cython_lists", "pypy"): "Cython on PyPy goes through cpyext, PyPy's emulation of the CPython C API: this "
    "variant reads zs[i] and cs[i] from Python lists and writes output[i] back, so every item is a PyObject "
    "crossing the cpyext boundary (boxed, converted, unboxed) inside the kernel.",
    ("cython_lists", "cpython"): "the loop is typed, but its inputs are Python lists: every item is fetched "
    "as a complex object and unboxed, and every result boxed into an int, per point.",
    ("numpy", "pypy"): "numpy on PyPy runs through cpyext: each of the many small ufunc calls per iteration "
    "crosses the C-API emulation, on top of the masked whole-array passes (no early exit per point).",
    ("numpy", "cpython"): "the vectorised version makes whole-array masked passes with temporary arrays on every "
    "iteration (memory-bound, no early exit per point), so it does more work than the scalar C loop.",
    ("cython", "pypy"): "Cython extensions on PyPy are loaded through cpyext: the buffer/argument conversion "
    "per call is a fixed cost that dominates at small sizes.",
    ("pythran", "pypy"): "Pythran modules on PyPy are loaded through cpyext: argument conversion per call is a "
    "fixed cost that dominates at small sizes.",
    "numba": "Numba's dispatcher checks and unboxes the arguments on every call: a fixed cost per call that "
    "dominates at small sizes.",
    "cffi_openmp_dynamic": "schedule(dynamic) with its default chunk of 1 hands out one point at a time through "
    "the OpenMP runtime's shared counter: a cost per point, even at 1 thread.",
}
OVERHEAD_REASON = ("the steady slope (ns per inner iteration) is within {bound}× of cffi_c's, so the gap is the "
                   "fixed cost per call ({overhead}), which dominates at this size.")
GENERIC_REASON = ("no known mechanism recorded for this variant; compare its measured call overhead and slope "
                  "(needs a size sweep) and its build flags.")


def _ok(row: dict) -> bool:
    return row["status"] == "ok" and bool(row["verified"]) and row.get("median_seconds") is not None


def size_text(width, max_iterations) -> str:
    return f"{int(width)}×{int(max_iterations)}"


def interpreter_pairs(interpreters: list[str], implementations: dict[str, str]) -> list[tuple[str, str]]:
    """(pypy, cpython) name pairs present in the run, in display order."""
    cpythons = [i for i in interpreters if implementations.get(i) == "cpython"]
    pypys = [i for i in interpreters if implementations.get(i) == "pypy"]
    return [(p, c) for c in cpythons for p in pypys]


# ---------------------------------------------------------------- PyPy vs CPython


def interpreter_comparison(records: list[dict], rows: list[dict], interpreters: list[str],
                           implementations: dict[str, str], variant_rank: dict[str, int]) -> list[dict]:
    """Per (pypy, cpython) pair: Mann-Whitney U per (variant, threads, size), verified cells on both sides only."""
    verified = {(r["variant"], r["interpreter"], int(r["threads"]), int(r["width"]), int(r["max_iterations"]))
                for r in rows if _ok(r)}
    out = []
    for pypy, cpython in interpreter_pairs(interpreters, implementations):
        test = stats.compare_interpreters(records, pypy, cpython)
        table = []
        for t in ([] if test.empty else test.to_dict("records")):
            cell = (str(t["variant"]), int(t["threads"]), int(t["width"]), int(t["max_iterations"]))
            if (cell[0], pypy, *cell[1:]) not in verified or (cell[0], cpython, *cell[1:]) not in verified:
                continue
            ratio = float(t["ratio_a_over_b"])  # PyPy time / CPython time
            table.append({
                "variant": cell[0], "threads": cell[1], "size": size_text(cell[2], cell[3]),
                "median_pypy": float(t["median_a"]), "median_cpython": float(t["median_b"]),
                "faster": "PyPy" if ratio < 1 else "CPython",
                "factor": (1 / ratio) if ratio < 1 else ratio,
                "u": float(t["mann_whitney_u"]), "p_value": float(t["p_value"]),
                "significant": bool(t["significant"]),
                "_key": (-cell[2] * cell[3], variant_rank.get(cell[0], 999), cell[1]),
            })
        table.sort(key=lambda r: r["_key"])
        for r in table:
            del r["_key"]
        out.append({
            "pypy": pypy, "cpython": cpython, "rows": table,
            "pypy_faster": sum(1 for r in table if r["faster"] == "PyPy"),
            "significant": sum(1 for r in table if r["significant"]),
            "min_processes": _min_processes(rows, {pypy, cpython}),
            "min_p": 2 / math.comb(2 * n, n) if (n := _min_processes(rows, {pypy, cpython})) else 1.0,
        })
    return out


def _min_processes(rows: list[dict], names: set[str]) -> int:
    values = [int(r["processes"]) for r in rows if r["interpreter"] in names and _ok(r)]
    return min(values) if values else 0


# ---------------------------------------------------------------- size sweep fits


def size_fits(rows: list[dict]) -> dict[tuple[str, str, int], dict]:
    """time = a + b · inner_iterations per (variant, interpreter, threads), over the verified sizes (≥ 2 distinct
    work amounts). a is the fixed cost per call, b the marginal seconds per inner iteration."""
    families: dict[tuple[str, str, int], list[tuple[float, float]]] = {}
    for r in rows:
        if _ok(r) and r.get("inner_iterations"):
            key = (str(r["variant"]), str(r["interpreter"]), int(r["threads"]))
            families.setdefault(key, []).append((float(r["inner_iterations"]), float(r["median_seconds"])))
    fits = {}
    for key, points in families.items():
        xs = np.array(sorted({x for x, _ in points}))
        if len(xs) < 2:
            continue
        points.sort()
        x = np.array([p[0] for p in points])
        y = np.array([p[1] for p in points])
        slope, intercept = np.polyfit(x, y, 1)
        fits[key] = {"a": float(intercept), "b_ns": float(slope) * 1e9, "sizes": len(xs)}
    return fits


def overhead_text(fit: dict | None) -> str:
    if fit is None:
        return "–"
    a = fit["a"]
    if a <= 0:
        return "≈ 0"
    from .render import format_seconds  # local: render imports this module

    return format_seconds(a)


# ---------------------------------------------------------------- kernel quality


def _reason(variant: str, technology: str, implementation: str) -> str | None:
    return (SLOW_REASONS.get((variant, implementation)) or SLOW_REASONS.get(variant)
            or SLOW_REASONS.get((technology, implementation)) or SLOW_REASONS.get(technology))


def kernel_quality(rows: list[dict], interpreters: list[str], sizes: list[tuple[int, int]],
                   fits: dict, variant_rank: dict[str, int]) -> dict:
    """Single-thread compiled (and numpy, for reference) kernels against cffi_c at the same interpreter and size."""
    good = [r for r in rows if _ok(r) and int(r["threads"]) == 1]
    scalar = {(r["interpreter"], int(r["width"]), int(r["max_iterations"])): float(r["median_seconds"])
              for r in good if r["variant"] == stats.SCALAR_C}
    order = sorted(sizes, key=lambda s: -s[0] * s[1])  # largest work first
    families: dict[tuple[str, str], dict] = {}
    for r in good:
        if r["technology"] not in QUALITY_TECHNOLOGIES or r["variant"] == stats.SCALAR_C:
            continue
        base = scalar.get((r["interpreter"], int(r["width"]), int(r["max_iterations"])))
        if base is None:
            continue
        ratio = r.get("vs_cffi_c")
        if ratio is None:  # numpy: not compiled, so stats leaves it out; the same ratio, for reference
            ratio = float(r["median_seconds"]) / base
        fam = families.setdefault((r["variant"], r["interpreter"]), {
            "variant": str(r["variant"]), "interpreter": str(r["interpreter"]), "technology": str(r["technology"]),
            "implementation": str(r.get("implementation") or ""), "by_size": {},
        })
        fam["by_size"][(int(r["width"]), int(r["max_iterations"]))] = float(ratio)
    out = []
    bound = stats.KERNEL_QUALITY_BOUND
    for (variant, interp), fam in families.items():
        fit = fits.get((variant, interp, 1))
        c_fit = fits.get((stats.SCALAR_C, interp, 1))
        slope_ratio = (fit["b_ns"] / c_fit["b_ns"] if fit and c_fit and c_fit["b_ns"] > 0 and fit["b_ns"] > 0
                       else None)
        worst = max(fam["by_size"].values())
        slow = worst > bound
        reason = None
        if slow:
            if slope_ratio is not None and slope_ratio <= bound and fit and fit["a"] > 0:
                reason = OVERHEAD_REASON.format(bound=bound, overhead=overhead_text(fit))
            else:
                reason = _reason(variant, fam["technology"], fam["implementation"]) or GENERIC_REASON
        out.append({
            **fam,
            "ratios": [fam["by_size"].get(s) for s in order],
            "slow": slow,
            "slow_sizes": [size_text(*s) for s in order if (fam["by_size"].get(s) or 0) > bound],
            "reason": reason,
            "overhead": overhead_text(fit) if fit else None,
            "slope_ns": fit["b_ns"] if fit else None,
            "slope_ratio": slope_ratio,
            "reference_only": fam["technology"] not in COMPILED,
            "_key": (fam["technology"] not in COMPILED, variant_rank.get(variant, 999),
                     interpreters.index(interp) if interp in interpreters else 99),
        })
    out.sort(key=lambda r: r["_key"])
    for r in out:
        del r["_key"]
    return {"rows": out, "sizes": [size_text(*s) for s in order], "bound": bound,
            "has_fits": any(r["overhead"] is not None for r in out),
            "c_fits": [{"interpreter": i, "overhead": overhead_text(fits[(stats.SCALAR_C, i, 1)]),
                        "slope_ns": fits[(stats.SCALAR_C, i, 1)]["b_ns"]}
                       for i in interpreters if (stats.SCALAR_C, i, 1) in fits]}


# ---------------------------------------------------------------- thread scaling


def thread_scaling(summary, rows: list[dict], interpreters: list[str], variant_rank: dict[str, int]) -> dict | None:
    if summary is None or summary.empty:
        return None
    scaling = stats.thread_scaling(summary)
    if scaling.empty or int(scaling["threads"].max()) < 2:
        return None
    records = scaling.to_dict("records")
    sizes = sorted({(int(r["width"]), int(r["max_iterations"])) for r in records}, key=lambda s: -s[0] * s[1])
    chart_size = sizes[0]
    in_chart = [r for r in records if (int(r["width"]), int(r["max_iterations"])) == chart_size]
    families = sorted({(str(r["variant"]), str(r["interpreter"])) for r in in_chart},
                      key=lambda f: (variant_rank.get(f[0], 999), interpreters.index(f[1]) if f[1] in interpreters
                                     else 99))
    lines = [{"variant": v, "interpreter": i, "schedule": SCHEDULES.get(v, "?"),
              "points": [(int(r["threads"]), float(r["speedup"]), float(r["efficiency"]), float(r["median_seconds"]))
                         for r in sorted(in_chart, key=lambda r: r["threads"])
                         if r["variant"] == v and r["interpreter"] == i]}
             for v, i in families]
    speed_fig, eff_fig = figures.thread_figures("threads-0", "threads-1", lines, interpreters)
    table = []
    for r in records:
        table.append({
            "variant": str(r["variant"]), "interpreter": str(r["interpreter"]),
            "size": size_text(r["width"], r["max_iterations"]), "threads": int(r["threads"]),
            "median": float(r["median_seconds"]), "speedup": float(r["speedup"]), "efficiency": float(r["efficiency"]),
            "schedule": SCHEDULES.get(str(r["variant"]), "?"),
            "_key": (-int(r["width"]) * int(r["max_iterations"]), variant_rank.get(str(r["variant"]), 999),
                     interpreters.index(str(r["interpreter"])) if str(r["interpreter"]) in interpreters else 99,
                     int(r["threads"])),
        })
    table.sort(key=lambda r: r["_key"])
    for r in table:
        del r["_key"]
    return {"speedup_figure": speed_fig, "efficiency_figure": eff_fig, "chart_size": size_text(*chart_size),
            "multi_size": len(sizes) > 1, "table": table, "schedules": _schedule_table(rows, interpreters),
            "schedule_names": sorted(SCHEDULES.items(), key=lambda kv: variant_rank.get(kv[0], 999))}


def _schedule_table(rows: list[dict], interpreters: list[str]) -> list[dict]:
    """static vs dynamic vs guided (the three cffi_openmp* variants) at each interpreter, size and thread count."""
    good = {(r["variant"], r["interpreter"], int(r["threads"]), int(r["width"]), int(r["max_iterations"])): r
            for r in rows if _ok(r)}
    keys = sorted({(k[1], k[2], k[3], k[4]) for k in good if k[0] in dict(SCHEDULE_TRIO).values()},
                  key=lambda k: (-k[2] * k[3], interpreters.index(k[0]) if k[0] in interpreters else 99, k[1]))
    out = []
    for interp, threads, width, max_iterations in keys:
        cells = []
        for schedule, variant in SCHEDULE_TRIO:
            r = good.get((variant, interp, threads, width, max_iterations))
            cells.append({"schedule": schedule, "variant": variant,
                          "median": float(r["median_seconds"]) if r else None})
        present = [c["median"] for c in cells if c["median"] is not None]
        if len(present) < 2:
            continue
        best = min(present)
        for c in cells:
            c["best"] = c["median"] is not None and c["median"] == best
            c["vs_best"] = None if c["median"] is None else c["median"] / best
        out.append({"interpreter": interp, "threads": threads, "size": size_text(width, max_iterations),
                    "cells": cells})
    return out


# ---------------------------------------------------------------- size scaling


def size_scaling(rows: list[dict], interpreters: list[str], sizes: list[tuple[int, int]], fits: dict,
                 variant_rank: dict[str, int]) -> dict | None:
    if len(sizes) < 2:
        return None
    good = [r for r in rows if _ok(r) and int(r["threads"]) == 1 and r.get("inner_iterations")]
    charts = []
    everywhere = sorted({str(r["variant"]) for r in good}, key=lambda v: (variant_rank.get(v, 999), v))
    styles = {v: i for i, v in enumerate(everywhere)}
    for index, interp in enumerate(i for i in interpreters if any(r["interpreter"] == i for r in good)):
        mine = [r for r in good if r["interpreter"] == interp]
        variants = sorted({str(r["variant"]) for r in mine}, key=lambda v: (variant_rank.get(v, 999), v))
        series = []
        for v in variants:
            points = sorted((float(r["inner_iterations"]), float(r["median_seconds"]),
                             float(r["ns_per_inner_iteration"]), size_text(r["width"], r["max_iterations"]))
                            for r in mine if r["variant"] == v)
            series.append({"variant": v, "points": points})
        fig = figures.size_figure(f"sizes-{index}", interp, series, styles)
        if fig is not None:
            charts.append({"interpreter": interp, "figure": fig})
    table = []
    for (variant, interp, threads), fit in fits.items():
        if threads != 1:
            continue
        table.append({"variant": variant, "interpreter": interp, "overhead": overhead_text(fit),
                      "slope_ns": fit["b_ns"], "sizes": fit["sizes"],
                      "_key": (variant_rank.get(variant, 999), interpreters.index(interp) if interp in interpreters
                               else 99)})
    table.sort(key=lambda r: r["_key"])
    for r in table:
        del r["_key"]
    if not charts:
        return None
    return {"charts": charts, "fits": table, "sizes": [size_text(*s) for s in sorted(sizes, key=lambda s: s[0] * s[1])]}
