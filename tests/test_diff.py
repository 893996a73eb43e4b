"""`diff`: archives with known numbers side by side; the three views, Holm-corrected verdicts, the gate and
its few-cell fallback, reproducibility, outputs."""

from __future__ import annotations

import contextlib
import io
import math

import numpy as np
import pytest
from conftest import ROOT
from factories import forge_archive, make_record

from shootout import cli
from shootout.results import diff, diff_table
from workloads.record import Interference

FIXTURE = ROOT / "tests" / "fixtures" / "archive-v2"
LEVELS = {"pure_python": 2.0, "pure_python_expanded_math": 1.6, "numpy_vectorised": 0.2, "cython_lists": 0.5,
          "cython_memoryview": 0.03, "pythran": 0.03, "numba_njit": 0.025, "cffi_c": 0.05, "cffi_simd": 0.01,
          "cffi_openmp": 0.03}
SPREAD = 0.02  # relative standard deviation of the process means
PROCESSES = 8


def _records(scale: dict, seed: int, levels: dict = LEVELS, extra: tuple = ()) -> list[dict]:
    """PROCESSES processes per cell, process means level × scale × (1 + SPREAD·N(0, 1)); first call 20%
    slower."""
    rng = np.random.default_rng(seed)
    out = []
    for variant in (*levels, *extra):
        level = levels.get(variant, 0.1) * scale.get(variant, scale.get("*", 1.0))
        for p in range(PROCESSES):
            t = level * (1 + SPREAD * rng.standard_normal())
            out.append(make_record(variant, "cpython3.11", "cpython", [t * 1.2, t, t], process_index=p,
                                   size="40x30",
                                   technology="cffi" if variant.startswith("cffi") else "python"))
    return out


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    """A; B on a machine 5% slower everywhere; C the same and cffi_c 10% slower on top; D with pure_python
    (the normalised view's baseline cell) alone 10% slower; E and F with 3 cells, F 5% slower."""
    base = tmp_path_factory.mktemp("diff")
    few = {k: LEVELS[k] for k in ("pure_python", "numpy_vectorised", "cffi_c")}
    return {
        "a": forge_archive(FIXTURE, base / "a", _records({}, 1, extra=("gone_in_b",))),
        "drifted": forge_archive(FIXTURE, base / "b", _records({"*": 1.05}, 2)),
        "slowed": forge_archive(FIXTURE, base / "c", _records({"*": 1.05, "cffi_c": 1.05 * 1.10}, 3)),
        "baseline_slowed": forge_archive(FIXTURE, base / "d", _records({"pure_python": 1.10}, 4)),
        "few_a": forge_archive(FIXTURE, base / "e", _records({}, 5, few)),
        "few_b": forge_archive(FIXTURE, base / "f", _records({"*": 1.05}, 6, few)),
    }


def _by_variant(comparison):
    return {c.key[1]: c for c in comparison.cells}


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


def _diff(archives, a, b, tmp_path, *options):
    return _run("diff", str(archives[a].path), str(archives[b].path), "--html", str(tmp_path / "d.html"),
                *options)


def test_uniform_drift_of_5_percent_passes_the_gate(archives, tmp_path):
    comparison = diff.compare(archives["a"], archives["drifted"], 0.02)
    cells = [c for c in comparison.cells if c.verdict not in diff.UNMATCHED]
    assert comparison.gate_view == "drift_cancelled" and len(cells) == len(LEVELS)
    assert all(c.verdict == diff.SAME for c in cells)
    assert all(c.absolute.value > 1.03 for c in cells)  # the drift itself shows in the absolute view
    assert (comparison.drift.value == pytest.approx(1.05, rel=0.01)
            and comparison.drift.low < 1.05 < comparison.drift.high)
    code, _out, err = _diff(archives, "a", "drifted", tmp_path, "--fail-on-slowdown", "2%")
    assert code == 0, err


def test_one_cell_10_percent_slower_fails_the_gate_naming_only_it(archives, tmp_path):
    cells = _by_variant(diff.compare(archives["a"], archives["slowed"], 0.02))
    assert [v for v, c in cells.items() if c.verdict == diff.SLOWER] == ["cffi_c"]
    assert cells["cffi_c"].drift_cancelled.value == pytest.approx(1.10, rel=0.02)
    assert cells["cffi_c"].drift_cancelled.low > 1.02
    code, _out, err = _diff(archives, "a", "slowed", tmp_path, "--fail-on-slowdown", "2%")
    named = [line for line in err.splitlines() if line.startswith("slower by more than")]
    assert code == 1 and len(named) == 1
    assert "slower by more than 2.0% (drift-cancelled view, Holm-adjusted p " in named[0]
    assert " julia cffi_c cpython3.11 1 40x30 in " in named[0]


def test_a_slowdown_its_processes_saw_a_neighbour_cause_is_said_not_failed(tmp_path):
    """A burner beside B's workers: the slowed cell's processes show CPU pressure (summaries.interference), so
    the slowdown is not the code's; the gate names it and passes."""
    records = _records({"*": 1.05, "cffi_c": 1.05 * 1.10}, 3)
    for r in records:
        if r.variant == "cffi_c":
            r.interference = Interference(wall_seconds=1.0, cpu_seconds=0.5, cpu_pressure_seconds=0.6,
                                          steal_seconds=0.0)
    base = tmp_path / "archives"
    pair = {"a": forge_archive(FIXTURE, base / "a", _records({}, 1)),
            "burner": forge_archive(FIXTURE, base / "burner", records)}
    comparison = diff.compare(pair["a"], pair["burner"], 0.02)
    assert not comparison.slowdowns()
    assert [c.key[1] for c in comparison.disturbed_slowdowns()] == ["cffi_c"]
    code, _out, err = _diff(pair, "a", "burner", tmp_path, "--fail-on-slowdown", "2%")
    spared = [line for line in err.splitlines() if line.startswith("not failed, disturbed")]
    assert code == 0 and len(spared) == 1 and "cffi_c" in spared[0] and "waited for a CPU" in spared[0]


def test_the_gate_reads_its_own_threshold(archives, tmp_path):
    """A 10% slowdown is not 'more than 20%': the same rule decides the gate and the table's verdict."""
    code, out, _err = _diff(archives, "a", "slowed", tmp_path, "--fail-on-slowdown", "20%")
    assert code == 0 and "slower" not in out.split("drift-cancelled view (gate):")[1].splitlines()[0]
    html = (tmp_path / "d.html").read_text()
    assert "beyond ±20.0% after Holm" in html and 'class="bad"' not in html


def test_holm_correction_is_applied():
    """20 cells each 1.03 [1.021-1.04] with one-sided p 0.01 (two-sided 0.02): significant one by one, not as
    20 at a family-wise 5% (Holm: 20 × 0.02 > 0.05); one with p 0.0002 stays slower."""
    ratios = {("w", f"v{i}", "c", 1, "s"): diff.Ratio(1.03, 1.021, 1.04, 0.01, 1.0) for i in range(20)}
    ratios[("w", "strong", "c", 1, "s")] = diff.Ratio(1.08, 1.05, 1.11, 0.0002, 1.0)
    judged = diff.with_verdicts(ratios, 0.01)
    assert judged[("w", "strong", "c", 1, "s")].verdict == diff.SLOWER
    assert judged[("w", "strong", "c", 1, "s")].p_adjusted == pytest.approx(21 * 0.0004)
    assert {r.verdict for k, r in judged.items() if k[1] != "strong"} == {diff.SAME}
    assert judged[("w", "v0", "c", 1, "s")].p_adjusted == pytest.approx(0.4)
    alone = diff.with_verdicts({("w", "v0", "c", 1, "s"): ratios[("w", "v0", "c", 1, "s")]}, 0.01)
    assert alone[("w", "v0", "c", 1, "s")].verdict == diff.SLOWER  # a family of one: no correction to apply


def _synthetic_side(role: str, rng: np.random.Generator, scale: float) -> diff.Side:
    means = {("w", f"v{i:02d}", "c", 1, "s"): scale * (1 + SPREAD * rng.standard_normal(8))
             for i in range(20)}
    return diff.Side.of_means(role, means, {("w", "s"): ("w", "v00", "c", 1, "s")})


def test_with_no_change_no_cell_is_called_slower_or_faster():
    """20 seeded diffs of 20 cells, B 3% slower machine-wide: no verdict in the drift-cancelled or normalised
    view at the default 1% (before Holm and the drift-cancelled view, most such diffs had one)."""
    rng = np.random.default_rng(7)
    for _ in range(20):
        comparison = diff.compare_sides(_synthetic_side("A", rng, 1.0), _synthetic_side("B", rng, 1.03))
        assert set(comparison.counts("drift_cancelled")) == {diff.SAME}
        assert set(comparison.counts("normalised")) <= {diff.SAME, diff.BASELINE}


def test_the_drift_cancelled_ci_is_reproducible_and_survives_json(archives):
    first = diff.compare(archives["a"], archives["slowed"])
    again = diff.compare(archives["a"], archives["slowed"])
    assert [c.drift_cancelled for c in first.cells] == [c.drift_cancelled for c in again.cells]
    assert first.drift == again.drift
    for c in first.cells:
        ratio = c.drift_cancelled
        assert math.isnan(ratio.value) or ratio.low <= ratio.value <= ratio.high
    restored = diff.Comparison.from_json(first.to_json())
    assert [c.drift_cancelled for c in restored.cells] == [c.drift_cancelled for c in first.cells]
    assert restored.method_lines() == first.method_lines() and restored.drift_line() == first.drift_line()


def test_a_change_of_the_baseline_cell_is_named_as_its_own(archives):
    """The normalised view shows pure_python 10% slower as every other cell faster; the drift-cancelled view
    names pure_python alone."""
    cells = _by_variant(diff.compare(archives["a"], archives["baseline_slowed"]))
    assert cells["pure_python"].normalised.verdict == diff.BASELINE
    assert [v for v, c in cells.items() if c.verdict == diff.SLOWER] == ["pure_python"]
    assert [v for v, c in cells.items() if c.verdict == diff.FASTER] == []
    others = [c for v, c in cells.items() if v != "pure_python" and c.verdict not in diff.UNMATCHED]
    assert all(c.normalised.verdict == diff.FASTER for c in others)


def test_few_matched_cells_fall_back_to_the_absolute_view_and_say_so(archives, tmp_path):
    comparison = diff.compare(archives["few_a"], archives["few_b"], 0.02)
    assert comparison.matched == 3 and comparison.gate_view == "absolute"
    assert all(math.isnan(c.drift_cancelled.value) for c in comparison.cells)
    assert "Only 3 matched cells, fewer than 5" in comparison.method_lines()[0]
    code, out, err = _diff(archives, "few_a", "few_b", tmp_path, "--fail-on-slowdown", "2%")
    assert code == 1 and "(absolute view, Holm-adjusted p" in err  # drift fires it, as the output warns
    assert "drift-cancelled view: not computed (fewer than 5 matched cells)" in out
    assert "absolute view (gate): 3 slower" in out


def test_a_gate_with_no_ci_to_read_says_so(tmp_path):
    """Archives of 2 processes a cell (--quick) give no CI: the gate cannot fail and says it judged
    nothing."""
    levels = {k: LEVELS[k] for k in list(LEVELS)[:6]}
    quick = [forge_archive(FIXTURE, tmp_path / name, [r for r in _records({"*": scale}, seed, levels)
                                                      if r.process_index < 2])
             for name, scale, seed in (("a", 1.0, 1), ("b", 1.3, 2))]
    code, _out, err = _run("diff", str(quick[0].path), str(quick[1].path), "--fail-on-slowdown", "2%",
                           "--html", str(tmp_path / "d.html"))
    assert code == 0 and "no cell has a CI in the drift-cancelled view" in err and "judged nothing" in err


def test_markdown_and_table_outputs(archives, tmp_path):
    code, out, _ = _diff(archives, "a", "slowed", tmp_path, "--markdown")
    assert code == 0  # no --fail-on-slowdown: no gate
    assert ("| cell | A | B | drift-cancelled (gate) B/A [95% CI] | normalised B/A [95% CI] "
            "| absolute B/A [95% CI] | disturbed |") in out
    assert "Holm's correction across the cells of each view" in out and "machine drift: B is " in out
    code, out, _ = _diff(archives, "a", "slowed", tmp_path)
    assert out.splitlines()[0].startswith("+--") and "only in A" in out
    assert "drift-cancelled view (gate): 1 slower, 9 no significant change, 1 only in A" in out
    html = (tmp_path / "d.html").read_text()
    assert "Archives side by side" in html and 'data-plot="forest-0"' in html
    assert html.count('<tr class="bad">') == 1 and "julia · cffi_c · cpython3.11" in html


def test_the_report_shows_diffs_verdicts():
    """The HTML rows carry diff's verdicts as they are (no thresholds of its own), older comparisons
    included."""
    from report import comparison as page

    ratio = diff.Ratio(1.02, 1.015, 1.025, 0.0001, 1.0, 0.001, diff.SAME)
    cell = diff.CellChange(("w", "v", "c", 1, "s"), diff.SAME, ratio, ratio, ratio, 1.0, 1.02)
    row = page.pair(diff.Comparison("A", "B", cells=[cell], matched=1, gate_view="absolute"), 0).rows[0]
    assert [r.verdict for r in row.ratios] == [diff.SAME] * 3
    older = {"baseline": "a", "other": "b", "drift": "", "differences": [],
             "cells": [{"key": dict(zip(("workload", "variant", "interpreter", "threads", "size"), cell.key)),
                        "verdict": "slower", "absolute": {"value": 1.2, "low": 1.1, "high": 1.3}}]}
    shown = page.pair(diff.Comparison.from_json(older), 0)
    assert shown.rows[0].verdict == "slower" and shown.rows[0].ratios[2].verdict == diff.NOT_RECORDED
    assert "Stored by an older pyshootout" in shown.method[0]


def test_drift_line_is_one_line(archives):
    line = diff.compare(archives["a"], archives["drifted"]).drift_line()
    assert (line.startswith("machine drift: B is ")
            and "slower than A (median B/A over 10 matched cells" in line)
    assert 4.0 <= float(line.split("B is ")[1].split("%")[0]) <= 6.0 and "\n" not in line


def test_diff_needs_two_archives(archives, capsys):
    assert cli.main(["diff", str(archives["a"].path)]) == 2
    assert "at least two archives" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["5x", "-1%", "100%"])
def test_a_bad_threshold_is_one_line_and_exit_2(archives, tmp_path, bad):
    code, _out, err = _diff(archives, "a", "drifted", tmp_path, f"--fail-on-slowdown={bad}")
    assert code == 2 and err.count("\n") == 1 and f"--fail-on-slowdown {bad!r}" in err


def test_table_names_the_gate_view_first(archives):
    assert diff_table.header(diff.compare(archives["a"], archives["drifted"]))[3].startswith(
        "drift-cancelled (gate)")


@pytest.mark.slow
def test_html_comparison_in_headless_chromium(archives, tmp_path):
    """Like report.html: offline (no request leaves the page), every forest plot drawn, and a string from an
    archive (here B's CPU model, shown under "what differs") escaped, shown as text, never run."""
    import json
    import shutil

    from test_report import EVIL, assert_clean_page, open_in_chromium

    source = tmp_path / "evil-source"
    shutil.copytree(FIXTURE, source)
    meta = json.loads((source / "metadata.json").read_text())
    meta["machine"]["cpu"]["model"] = EVIL
    (source / "metadata.json").write_text(json.dumps(meta))
    evil = forge_archive(source, tmp_path / "evil", _records({"*": 1.05}, 3))
    page = tmp_path / "comparison.html"
    code, _out, err = _run("diff", str(archives["a"].path), str(evil.path), "--html", str(page))
    assert code == 0, err
    assert EVIL not in page.read_text()  # escaped in the file
    seen = open_in_chromium(page, tmp_path / "comparison.png")
    assert_clean_page(seen)
    assert seen["plots"], "no forest plot"
    assert EVIL in seen["text"]  # shown as text
