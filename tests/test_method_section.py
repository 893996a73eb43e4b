"""The report's Method section says what the code does: its numbers come from the constants the code applies
and from the archive's own method, so changing a constant changes the page (fast tier: a committed
fixture)."""

from __future__ import annotations

import html
import json
import re

import pytest
from conftest import ROOT
from factories import forge_archive, make_record

from report.render import render
from shootout.results import archive, estimates, overhead, summaries, warmup

FIXTURE = ROOT / "tests" / "fixtures" / "archive-v2"


def method_text(data: archive.Archive) -> str:
    page = render(data)
    start = page.index('<section id="method">')
    return html.unescape(re.sub(r"<[^>]+>", "", page[start:page.index("</section>", start)]))


@pytest.fixture(scope="module")
def fixture():
    return archive.read(FIXTURE)


@pytest.fixture(scope="module")
def unchanged_text(fixture) -> str:
    """The fixture's Method section with every constant as the code has it (rendered once for the module)."""
    return method_text(fixture)


@pytest.mark.parametrize(("module", "name", "value", "phrase"), [
    (warmup, "TREND_P", 0.037, "Mann-Kendall p < 0.037"),
    (warmup, "EQUIVALENT", 0.031, "segments within 3.1% are one level"),
    (warmup, "PENALTY", 21.0, "penalty 21·σ²·ln n"),
    (warmup, "MIN_STEADY", 4, "shorter than max(4, 25% of the calls)"),
    (warmup, "ONE_OFF_AFTER", 11, "11 calls or more without one follow it"),
    (estimates, "RESAMPLES", 1234, "resampled (1234 times"),
    (estimates, "MIN_PAIRED", 7, "at least 7 common rounds"),
    (estimates, "MIN_SERIAL", 9, "from 9 processes"),
    (estimates, "LAG1_MARGIN", 0.75, "plus 0.75/√n"),
    (summaries, "DISTURBED_PRESSURE", 0.41, "more than 41% of its time"),
    (summaries, "UNSTABLE_CI", 0.12, "wider than ±12% of the median"),
    (overhead, "LIMIT", 0.045, "Above +4.5% (CI wholly above)"),
])
def test_a_constant_changed_in_the_code_changes_the_page(fixture, unchanged_text, monkeypatch, module, name,
                                                         value, phrase):
    assert phrase not in unchanged_text
    monkeypatch.setattr(module, name, value)
    assert phrase in method_text(fixture)


def test_the_runs_own_method_is_what_the_page_states(fixture, tmp_path):
    """The calls a JIT process makes, the code placement, the baseline twice a round: from metadata.json."""
    text = method_text(fixture)
    # an archive before them
    assert "made a fixed number of calls" in text and "small loops drawn" not in text
    meta = json.loads((FIXTURE / "metadata.json").read_text())
    meta["method"].update(jit_steady_calls=6, jit_calls=30, jit_seconds=8.0, layout_paddings=16, processes=6,
                          baseline_processes=12, plain_check=True)
    forged = forge_archive(FIXTURE, tmp_path / "forged", fixture.records)
    (forged.path / "metadata.json").write_text(json.dumps(meta))
    forged.metadata.update(meta)
    text = method_text(forged)
    assert ("explores its warm-up — up to 30 calls, and past 7 of them no more once 8 s went into the kernel"
            in text)
    assert "every later process of the cell makes s + 6 calls, at most 30" in text
    assert "drawn from 0–15 by the seed" in text
    assert "the baseline cell 2 times (its minimum is 12 against 6)" in text


def test_records_run_under_older_rules_are_named(fixture, tmp_path):
    old = [make_record("pure_python", "cpython3.11", "cpython", [4.2, 4.0], warmup_rule="interpreted"),
           make_record("pure_python", "pypy3.9", "pypy", [1.0, 0.5, 0.5, 0.5], warmup_rule="jit-v2",
                       process_index=1),
           make_record("cffi_c", "cpython3.11", "cpython", [0.2, 0.1], technology="cffi", warmup_rule="aot",
                       process_index=2)]
    text = method_text(forge_archive(FIXTURE, tmp_path / "old", old))
    assert "interpreted (pure Python on CPython: call 1 kept among the steady calls)" in text
    assert "jit-v2 (as jit" in text and "aot (" not in text
