"""The study across interpreter versions: columns ordered by implementation and release, consecutive releases
compared, PyPy against the CPython of its language level, and the report's section."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from conftest import ROOT
from factories import make_record

from report import versions_panel
from shootout.results import archive, cells, summaries, versions


def _entry(name, implementation, version, pypy=None, compiler="gcc (Debian 12.2.0) 12.2.0",
           libc="glibc 2.36"):
    return {"name": name, "implementation": implementation, "version": version, "available": True,
            "info": {"pypy_version": pypy, "free_threaded": False, "build_compiler": compiler, "libc": libc}}


META = {"interpreters": [
    _entry("pypy3.11-sid", "pypy", "3.11.17", "8.0.1", "gcc (Debian 16.2.0-4) 16.2.0", "glibc 2.43"),
    _entry("cpython3.11", "cpython", "3.11.7"),
    _entry("pypy3.9", "pypy", "3.9.16", "7.3.11"),
    _entry("pypy3.11-trixie", "pypy", "3.11.11", "7.3.19", "gcc (Debian 14.2.0-19) 14.2.0", "glibc 2.41"),
    _entry("cpython3.14-sid", "cpython", "3.14.10", None, "x86_64-linux-gnu-gcc (Debian 16.2.0-4) 16.2.0",
           "glibc 2.43"),
    {"name": "cpython3.15", "available": False},
]}
SECONDS = {"cpython3.11": 3.0, "cpython3.14-sid": 2.4, "pypy3.9": 0.5, "pypy3.11-trixie": 0.45,
           "pypy3.11-sid": 0.4}


def _records():
    return [make_record("pure_python", name, "pypy" if name.startswith("pypy") else "cpython",
                        [t * (1 + i / 1000)] * 3, process_index=i, round=i)
            for name, t in SECONDS.items() for i in range(6)]


def test_columns_go_by_implementation_language_and_release():
    assert [c.name for c in versions.columns(META)] == [
        "cpython3.11", "cpython3.14-sid", "pypy3.9", "pypy3.11-trixie", "pypy3.11-sid"]
    sid = versions.columns(META)[-1]
    assert (sid.language, sid.release, sid.toolchain) == ("3.11", "8.0.1", "gcc 16.2.0, glibc 2.43")


def test_each_release_is_compared_with_the_one_before_and_pypy_with_its_language_levels_cpython():
    found = versions.columns(META)
    steps = versions.steps(_records(), found)
    assert list(zip(steps["a"], steps["b"])) == [("cpython3.14-sid", "cpython3.11"),
                                                 ("pypy3.11-trixie", "pypy3.9"),
                                                 ("pypy3.11-sid", "pypy3.11-trixie")]
    assert steps.set_index("a").loc["pypy3.11-sid", "ratio_a_over_b"] == pytest.approx(0.4 / 0.45, rel=1e-3)
    assert steps["toolchains_differ"].all()  # each pair here crosses a compiler or a C library
    gains = versions.pypy_gains(_records(), found)
    assert set(zip(gains["a"], gains["b"])) == {("pypy3.11-trixie", "cpython3.11"),
                                                ("pypy3.11-sid", "cpython3.11")}
    assert gains.set_index("a").loc["pypy3.11-trixie", "ratio_a_over_b"] == pytest.approx(0.15, rel=1e-3)


def test_a_run_with_one_release_of_each_has_nothing_to_compare():
    meta = {"interpreters": [_entry("cpython3.11", "cpython", "3.11.7"),
                             _entry("pypy3.9", "pypy", "3.9.16", "7.3.11")]}
    found = versions.columns(meta)
    records = [r for r in _records() if r.interpreter.name in ("cpython3.11", "pypy3.9")]
    assert versions.steps(records, found).empty and versions.pypy_gains(records, found).empty


def test_the_report_section_draws_each_variant_over_the_versions_and_words_both_tables():
    fixture = archive.read(ROOT / "tests" / "fixtures" / "archive-v2")
    records = _records()
    summary = summaries.summarise(records, fixture.roles)
    shown = versions_panel.view(SimpleNamespace(metadata=META, records=records),
                                cells.cell_summaries(summary, fixture.roles))
    assert shown.columns[:3] == ["CPython 3.11.7", "CPython 3.14.10", "PyPy 7.3.11 (3.9)"]
    assert len(shown.figures) == 1 and '"PyPy 8.0.1 (3.11)"' in shown.figures[0].spec
    assert [(r.newer, r.older) for r in shown.gains] == [("pypy3.11-trixie", "cpython3.11"),
                                                         ("pypy3.11-sid", "cpython3.11")]
    assert all(r.toolchains_differ for r in shown.steps)


def test_two_workloads_sharing_a_variant_name_get_a_chart_and_rows_each():
    """Julia and diffusion both have pure_python: one chart each, titled with its workload, and table rows
    that say which workload they are (a chart keyed by the variant alone drew one workload's times under
    both)."""
    fixture = archive.read(ROOT / "tests" / "fixtures" / "archive-v2")
    diffusion = [make_record("pure_python", name, "pypy" if name.startswith("pypy") else "cpython",
                             [t / 100 * (1 + i / 1000)] * 3, process_index=i, round=i, workload="diffusion",
                             size="128x128x20")
                 for name, t in SECONDS.items() for i in range(6)]
    records = _records() + diffusion
    roles = {**fixture.roles, "diffusion": fixture.roles["julia"]}
    summary = summaries.summarise(records, roles)
    shown = versions_panel.view(SimpleNamespace(metadata=META, records=records),
                                cells.cell_summaries(summary, roles))
    titles = [json.loads(f.spec)["layout"]["title"]["text"] for f in shown.figures]
    assert titles == ["pure_python · diffusion", "pure_python · julia"] and shown.several_workloads
    medians = [min(y for trace in json.loads(f.spec)["data"] for y in trace["y"]) for f in shown.figures]
    assert medians[0] == pytest.approx(0.004, rel=0.01) and medians[1] == pytest.approx(0.4, rel=0.01)
    assert {r.workload for r in shown.steps} == {"julia", "diffusion"}
