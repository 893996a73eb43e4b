"""`diff`: archives with known numbers side by side; both views, verdicts, gating, outputs."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from conftest import ROOT
from factories import forge_archive, make_record

from shootout import cli, diff

FIXTURE = ROOT / "tests" / "fixtures" / "archive-v1"
LEVELS = {"pure_python": 2.0, "numpy_vectorised": 0.2, "cffi_c": 0.05}


def _records(scale: dict, seed: int, extra: tuple = ()) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for variant in (*LEVELS, *extra):
        level = LEVELS.get(variant, 0.1) * scale.get(variant, scale.get("*", 1.0))
        for p in range(8):
            t = level * (1 + 0.003 * rng.standard_normal())
            out.append(make_record(variant, "cpython3.11", "cpython", [t * 1.2, t, t], process_index=p,
                                   size="40x30", technology="cffi" if variant == "cffi_c" else "python"))
    return out


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """B is 5% slower than A everywhere (machine drift), and cffi_c 30% slower on top; gone_in_b only in A."""
    base = tmp_path_factory.mktemp("diff")
    a = forge_archive(FIXTURE, base / "a", _records({}, 1, ("gone_in_b",)))
    b = forge_archive(FIXTURE, base / "b", _records({"*": 1.05, "cffi_c": 1.05 * 1.3}, 2))
    return a, b


def _by_variant(comparison):
    return {c.key[1]: c for c in comparison.cells}


def test_normalised_view_cancels_drift_and_finds_the_real_change(pair):
    cells = _by_variant(diff.compare(*pair))
    assert cells["pure_python"].normalised.value == 1.0  # the baseline, by definition
    assert cells["numpy_vectorised"].normalised.verdict_word == "no significant change"
    assert cells["cffi_c"].normalised.verdict_word == "slower"
    assert cells["cffi_c"].normalised.value == pytest.approx(1.3, rel=0.02)
    assert cells["numpy_vectorised"].absolute.verdict_word == "slower"  # the drift shows in the absolute view
    assert cells["numpy_vectorised"].absolute.value == pytest.approx(1.05, rel=0.01)
    assert cells["gone_in_b"].verdict == "only in A"


def test_drift_is_one_line(pair):
    line = diff.compare(*pair).drift
    assert line.startswith("absolute view: B is ") and "slower than A at the median over 3 cells" in line
    assert 4.5 <= float(line.split("B is ")[1].split("%")[0]) <= 5.5


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_fail_on_slowdown_gates_on_significant_slowdowns(pair, tmp_path):
    a, b = pair
    code, _out, err = _run("diff", str(a.path), str(b.path), "--fail-on-slowdown", "20%",
                           "--html", str(tmp_path / "d.html"))
    assert code == 1 and "slower by more than 20.0%: julia cffi_c" in err
    code, _out, _err = _run("diff", str(a.path), str(b.path), "--fail-on-slowdown", "40%",
                            "--html", str(tmp_path / "d.html"))
    assert code == 0


def test_markdown_and_table_outputs(pair, tmp_path):
    a, b = pair
    code, out, _ = _run("diff", str(a.path), str(b.path), "--markdown", "--html", str(tmp_path / "d.html"))
    assert code == 0
    assert "| cell | A | B | absolute B/A [95% CI] | normalised B/A [95% CI] | disturbed |" in out
    code, out, _ = _run("diff", str(a.path), str(b.path), "--html", str(tmp_path / "d.html"))
    assert out.splitlines()[0].startswith("+--") and "only in A" in out
    html = (tmp_path / "d.html").read_text()
    assert "Archives side by side" in html and 'data-plot="forest-0"' in html


def test_diff_needs_two_archives(pair, capsys):
    assert cli.main(["diff", str(pair[0].path)]) == 2
    assert "at least two archives" in capsys.readouterr().err


@pytest.mark.slow
def test_html_comparison_in_headless_chromium(pair, tmp_path):
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
    code, _out, err = _run("diff", str(pair[0].path), str(evil.path), "--html", str(page))
    assert code == 0, err
    assert EVIL not in page.read_text()  # escaped in the file
    seen = open_in_chromium(page, tmp_path / "comparison.png")
    assert_clean_page(seen)
    assert seen["plots"], "no forest plot"
    assert EVIL in seen["text"]  # shown as text
