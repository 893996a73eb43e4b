"""docs/api.md's example, executed: the results library's documented front door works on a committed
archive."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from shootout.results import load


def test_the_documented_example_runs_and_prints_the_archives_numbers(monkeypatch, capsys):
    [example] = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "api.md").read_text(), re.DOTALL)
    monkeypatch.chdir(ROOT)
    exec(compile(example, "docs/api.md", "exec"), {})  # noqa: S102 - the doc's own example
    out = capsys.readouterr().out
    run = load(ROOT / "tests" / "fixtures" / "archive-v2")
    assert run.run_id in out and "pure Python on CPython:" in out
    assert f"{run.cell('julia', 'pure_python', 'cpython3.11').median:.4g} s" in out


def test_a_cell_is_named_exactly_once():
    run = load(ROOT / "tests" / "fixtures" / "archive-v2")
    with pytest.raises(KeyError, match="0 cells match"):
        run.cell("julia", "pure_python", "cpython3.11", threads=7)
    assert run.ratios("pypy3.9", "cpython3.11")["ratio_a_over_b"].notna().any()
