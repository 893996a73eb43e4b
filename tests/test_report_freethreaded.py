"""Free-threaded CPython columns in the report: labels, build provenance, cells whose GIL came back on, and
the GIL study (pure-Python thread scaling, the free-threaded build's single-thread cost), on forged archives
whose numbers are known (fast tier: no real compare).

The archive holds cpython3.13 (GIL), cpython3.13t (free-threaded, optimized like cpython3.13),
cpython3.13t-fast (free-threaded, unoptimised: no GIL twin built the same way) and pypy3.9; six processes per
cell so every CI exists.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from factories import forge_archive, make_record

from report.render import render
from shootout.results.records import Interpreter
from shootout.run import provision

FIXTURE = ROOT / "tests" / "fixtures" / "archive-v1"
PROCESSES = 6
FT = "cpython3.13t (free-threaded, GIL off)"
FT_FAST = "cpython3.13t-fast (free-threaded, GIL off; unoptimised build)"
THREADED = "threaded_loop"  # a pure-Python variant that shares its work out over Python threads
CONTROL = "private_loop"  # a pure-Python variant whose threads share nothing: the GIL study's control
LEGACY = "loop_with_legacy_ext"  # a pure-Python variant importing an extension that switches the GIL back on
TARBALL_SHA = "5f" * 32
# interpreter -> (implementation, version, free_threaded, gil at start, build: (optimized, seconds) or None)
COLUMNS = {
    "cpython3.13": ("cpython", "3.13.5", False, True, (True, 2460.0)),
    "cpython3.13t": ("cpython", "3.13.5", True, False, (True, 2640.0)),
    "cpython3.13t-fast": ("cpython", "3.13.5", True, False, (False, 310.0)),
    "pypy3.9": ("pypy", "3.9.16", False, None, None),
}
# (variant, interpreter, threads) -> steady seconds per call; the GIL build takes turns, the free-threaded
# one scales
LEVELS = {
    ("pure_python", "cpython3.13", 1): 1.00, ("pure_python", "cpython3.13t", 1): 1.25,
    ("pure_python", "cpython3.13t-fast", 1): 2.10, ("pure_python", "pypy3.9", 1): 0.05,
    (THREADED, "cpython3.13", 1): 1.02, (THREADED, "cpython3.13", 2): 1.05,
    (THREADED, "cpython3.13t", 1): 1.30, (THREADED, "cpython3.13t", 2): 0.68,
    (THREADED, "pypy3.9", 1): 0.060, (THREADED, "pypy3.9", 2): 0.062,
    (LEGACY, "cpython3.13", 1): 0.90, (LEGACY, "cpython3.13t", 1): 1.10,
}


def _provision(name: str, free: bool, optimized: bool, seconds: float) -> dict:
    """info.provision as shootout/run/interpreters.py stores a source build's provision.json."""
    spec = provision.parse_spec("3.13t" if free else "3.13")
    return {
        "dir": f"/opt/pythons/{name}", "schema_version": provision.SCHEMA_VERSION, "name": name,
        "free_threaded": free, "optimized": optimized, "method": "source", "executable": "bin/python3.13",
        "profile": "optimized (PGO+LTO)" if optimized else "fast (-O3, no PGO/LTO)", "version": "3.13.5",
        "configure_flags": provision.configure_flags(spec, optimized, Path(f"/opt/pythons/{name}")),
        "source": {"upstream_tarball": "Python-3.13.5.tar.xz", "tarball": "python3.13_3.13.5.orig.tar.xz",
                   "sha256": TARBALL_SHA, "package": "python3.13", "debian_version": "3.13.5-2",
                   "suite": "trixie"},
        "patches": {"applied": ["CVE-2025-0001.patch"]},
        "seconds": {"fetch": 4.0, "configure": 31.0, "make": seconds - 60.0, "install": 25.0,
                    "total": seconds},
    }


def _metadata_entry(name: str) -> dict:
    implementation, version, free, gil, build = COLUMNS[name]
    info = {"implementation": implementation, "version": version, "free_threaded": free, "gil_enabled": gil,
            "version_info": [int(x) for x in version.split(".")]}
    if build is not None:
        info["provision"] = _provision(name, free, *build)
    return {"name": name, "requested": name, "executable": f"/opt/pythons/{name}/bin/python",
            "available": True, "implementation": implementation, "version": version, "reason": None,
            "install_hint": None, "info": info}


def _interpreter(name: str) -> dict:
    implementation, version, free, gil, _build = COLUMNS[name]
    return {"name": name, "implementation": implementation, "version": version, "free_threaded": free,
            "gil_enabled": gil, "executable": f"/opt/pythons/{name}/bin/python"}


def forged_times(seed: int, levels: dict | None = None) -> dict[tuple, list[float]]:
    """Cell -> the steady time of each of its processes (a different jitter for every cell)."""
    rng = np.random.default_rng(seed)
    return {cell: [float(level * (1 + 0.01 * z)) for z in rng.standard_normal(PROCESSES)]
            for cell, level in (levels or LEVELS).items()}


def _records(times: dict, reenabled: tuple, count: int) -> list[dict]:
    """Six processes per cell; in `count` processes of the `reenabled` cell the GIL was back on after the
    run."""
    out = []
    for (variant, interp, threads), per_process in times.items():
        jit = interp.startswith("pypy")
        for index, t in enumerate(per_process):
            calls = [t * 5] + [t] * 5 if jit else [t * 1.3] + [t] * 3
            back_on = (variant, interp, threads) == reenabled and index < count
            gil_after = COLUMNS[interp][3] if not COLUMNS[interp][2] else back_on
            record = make_record(variant, interp, COLUMNS[interp][0], calls, process_index=index,
                                 threads=threads, size="40x30", gil_enabled_after=gil_after)
            # as a worker writes it: with its GIL state at start
            record.interpreter = Interpreter.from_json(_interpreter(interp))
            out.append(record)
    return out


def forge(tmp: Path, reenabled: tuple, count: int, seed: int = 3, levels: dict | None = None):
    """An archive from the v1 fixture with these interpreters in metadata.json and these records."""
    source = tmp / "source"
    shutil.copytree(FIXTURE, source)
    meta = json.loads((source / "metadata.json").read_text())
    meta["interpreters"] = [_metadata_entry(name) for name in COLUMNS]
    (source / "metadata.json").write_text(json.dumps(meta))
    times = forged_times(seed, levels)
    return forge_archive(source, tmp / "archive", _records(times, reenabled, count)), times


@pytest.fixture(scope="module")
def legacy(tmp_path_factory):
    """The GIL came back on in 2 of 6 processes of LEGACY at 1 thread on cpython3.13t."""
    data, times = forge(tmp_path_factory.mktemp("ft-legacy"), (LEGACY, "cpython3.13t", 1), 2)
    return render(data), times


@pytest.fixture(scope="module")
def threaded_back_on(tmp_path_factory):
    """The GIL came back on in 3 of 6 processes of THREADED at 2 threads on cpython3.13t."""
    data, times = forge(tmp_path_factory.mktemp("ft-threads"), (THREADED, "cpython3.13t", 2), 3)
    return render(data), times


# ------------------------------------------------------------------ helpers


def section(html: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}">(.*?)</section>', html, re.DOTALL)
    assert match, f"no section {section_id}"
    return match.group(1)


def rows(table_html: str) -> list[list[str]]:
    """Each <tr> of a table as the text of its cells (tags dropped)."""
    out = []
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", table_html, re.DOTALL):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr, re.DOTALL)
        out.append([re.sub(r"<[^>]+>", "", c).strip() for c in cells])
    return out


def table_after(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start:html.index("</table>", start)]


def ratio_of_medians(times: dict, top: tuple, bottom: tuple) -> float:
    return float(np.median(times[top]) / np.median(times[bottom]))


def shown(value: float) -> str:
    """How the report writes a ratio (report.formatting.ratio: 3 significant digits)."""
    return f"{value:.3g}×"


def ci_of(text: str) -> tuple[float, float]:
    low, high = re.fullmatch(r"([\d.]+)–([\d.]+)×", text).groups()
    return float(low), float(high)


def specs(html: str) -> dict[str, dict]:
    return {m.group(1): json.loads(m.group(2)) for m in re.finditer(
        r'<script type="application/json" data-plot="([^"]+)">(.*?)</script>', html, re.DOTALL)}


# ------------------------------------------------------------------ labels and builds


def test_free_threaded_columns_are_labelled_where_columns_are_named(legacy):
    html, _ = legacy
    headline = section(html, "headline")
    assert f"Fastest verified on {FT}" in headline and f"Fastest verified on {FT_FAST}" in headline
    assert "Fastest verified on cpython3.13</div>" in headline  # the GIL build keeps its plain name
    table = section(html, "table")
    assert 'cpython3.13t<div class="tech">free-threaded, GIL off</div>' in table
    assert 'cpython3.13t-fast<div class="tech">free-threaded, GIL off; unoptimised build</div>' in table
    assert "cpython3.13<div" not in table and "pypy3.9<div" not in table
    legend = {t["name"] for t in specs(html)["speedup-0-0"]["data"]}
    assert legend == {"cpython3.13", FT, FT_FAST, "pypy3.9"}
    assert "cpython3.13 (free-threaded" not in html and "pypy3.9 (free-threaded" not in html


def test_machine_section_states_how_each_column_was_built(legacy):
    html, _ = legacy
    machine = section(html, "machine")
    summary = re.search(r"<summary>Interpreters: (.*?)</summary>", machine).group(1)
    assert f"{FT} (cpython 3.13.5, optimized PGO+LTO build)" in summary
    assert f"{FT_FAST} (cpython 3.13.5, fast unoptimised build (no PGO/LTO))" in summary
    assert "pypy3.9 (pypy 3.9.16)" in summary
    interpreters = machine.split("<details><summary>Environments")[0]
    blocks = dict(re.findall(r"<h4>(.*?)</h4>\s*(.*?)<table", interpreters, re.DOTALL))
    assert set(blocks) == {"cpython3.13", FT, FT_FAST, "pypy3.9"}
    gil, free, fast = blocks["cpython3.13"], blocks[FT], blocks[FT_FAST]
    assert "<strong>optimized PGO+LTO build</strong>, via source" in free
    assert "configure flags: <code>--disable-gil --enable-optimizations --with-lto</code>" in free
    assert "configure flags: <code>--enable-optimizations --with-lto</code>" in gil
    assert "configure flags: <code>--disable-gil</code>" in fast and "fast unoptimised build" in fast
    assert f"source tarball sha256 <code>{TARBALL_SHA}</code>" in free
    assert "Python-3.13.5.tar.xz from Debian trixie source package python3.13 3.13.5-2" in free
    assert "build time 2640 s" in free and "build time 310 s" in fast and "make 2580 s" in free
    assert blocks["pypy3.9"].strip() == ""  # not provisioned, not CPython: nothing claimed about its build


# ------------------------------------------------------------------ the GIL coming back on


def test_a_cell_whose_gil_came_back_on_is_flagged_in_the_cell_table(legacy):
    html, _ = legacy
    table = table_after(section(html, "table"), '<table class="cells">')
    flagged = [r for r in rows(table) if any("GIL re-enabled" in c for c in r)]
    assert len(flagged) == 1
    assert flagged[0][0].startswith(LEGACY) and flagged[0][1].startswith("cpython3.13t")
    assert "GIL re-enabled in 2 of 6 processes" in " ".join(flagged[0])
    # the GIL build reports gil_enabled_after=True on every process, and that is no re-enabling
    assert table.count("GIL re-enabled") == 1


def test_the_pypy_vs_cpython_table_flags_a_free_threaded_cell_whose_gil_came_back_on(threaded_back_on):
    html, _ = threaded_back_on
    pairs = section(html, "interpreters")
    (block,) = [b for b in pairs.split("<h4>")[1:] if b.startswith("pypy3.9 vs " + FT)]
    flagged = [r for r in rows(block) if any("GIL re-enabled" in c for c in r)]
    assert len(flagged) == 1 and flagged[0][0].startswith(THREADED) and flagged[0][1] == "2"
    assert "GIL re-enabled in 3 of 6 processes" in flagged[0][0]
    assert pairs.count("GIL re-enabled") == 1  # the other pairs' CPython columns ran as built


def test_the_gil_study_says_which_cells_it_left_out_and_why(legacy):
    html, _ = legacy
    study = section(html, "gil")
    assert "Excluded from this study: 1 cell(s) whose GIL was re-enabled at run time." in study
    assert f"{LEGACY} on {FT}: <span class=\"flag gil\">GIL re-enabled in 2 of 6 processes</span>" in study
    cost = rows(table_after(study, '<table class="data gil-cost">'))
    assert [r[0] for r in cost[1:]] == ["pure_python", THREADED]  # not the excluded LEGACY cell
    # its GIL twin still verified: it is the exclusion, not a missing cell, that keeps LEGACY out
    assert any(r[0].startswith(LEGACY) and r[1] == "cpython3.13" for r in rows(section(html, "table")))


def test_a_parallel_cell_whose_gil_came_back_on_leaves_the_thread_scaling(threaded_back_on):
    html, _ = threaded_back_on
    study = section(html, "gil")
    assert (f"{THREADED} (2 threads) on {FT}: <span class=\"flag gil\">GIL re-enabled in 3 of 6 processes"
            in study)
    scaling = rows(table_after(study, '<table class="data gil-scaling">'))
    assert {r[1] for r in scaling[1:]} == {"cpython3.13", "pypy3.9"}
    cost = rows(table_after(study, '<table class="data gil-cost">'))
    assert [r[0] for r in cost[1:]] == ["pure_python", LEGACY, THREADED]  # 1 thread: still free-threaded
    # the general Thread scaling table keeps the cell (it did run), flagged on its row
    flagged = [r for r in rows(section(html, "threads")) if any("GIL re-enabled" in c for c in r)]
    assert len(flagged) == 1 and flagged[0][2] == FT and flagged[0][3] == "2"
    assert "GIL re-enabled in 3 of 6 processes" in flagged[0][4]


# ------------------------------------------------------------------ the GIL study's numbers


def test_nav_links_the_gil_study(legacy):
    html, _ = legacy
    nav = re.search(r"<nav[^>]*>(.*?)</nav>", html, re.DOTALL).group(1)
    assert '<a href="#gil">GIL study</a>' in nav


def test_pure_python_thread_scaling_per_interpreter(legacy):
    html, times = legacy
    scaling = rows(table_after(section(html, "gil"), '<table class="data gil-scaling">'))
    assert scaling[0][:8] == ["variant", "interp.", "threads", "1 thread", "N threads",
                              "1 thread ÷ N threads", "95% CI", "reading"]
    found = {r[1]: r for r in scaling[1:]}
    assert set(found) == {"cpython3.13", FT, "pypy3.9"}
    for interp, label in (("cpython3.13", "cpython3.13"), ("cpython3.13t", FT), ("pypy3.9", "pypy3.9")):
        expected = ratio_of_medians(times, (THREADED, interp, 1), (THREADED, interp, 2))
        row = found[label]
        assert row[0] == THREADED and row[2] == "2" and row[5] == shown(expected), (interp, row)
        low, high = ci_of(row[6])
        assert low <= float(f"{expected:.3g}") <= high and high - low < 0.2
    assert found["cpython3.13"][7] == "GIL: ≈1× — the threads took turns"
    assert found["pypy3.9"][7] == "GIL: ≈1× — the threads took turns"
    free = ratio_of_medians(times, (THREADED, "cpython3.13t", 1), (THREADED, "cpython3.13t", 2))
    assert found[FT][7] == f"scales: {shown(free)} faster with 2 threads ({round(free / 2 * 100)}% of linear)"


def test_single_thread_cost_of_the_free_threaded_build(legacy):
    html, times = legacy
    study = section(html, "gil")
    assert (f"<strong>{FT}</strong> vs <strong>cpython3.13</strong> "
            "(CPython 3.13; both: optimized PGO+LTO build)" in study)
    cost = rows(table_after(study, '<table class="data gil-cost">'))
    for row in cost[1:]:
        variant = row[0]
        expected = ratio_of_medians(times, (variant, "cpython3.13t", 1), (variant, "cpython3.13", 1))
        assert row[3] == shown(expected), row
        low, high = ci_of(row[4])
        assert 1 < low <= float(f"{expected:.3g}") <= high
        assert row[5] == f"{shown(expected)} slower without the GIL"
    assert ("ratio of steady-state medians" in study
            and "percentile bootstrap of the ratio of medians" in study)


@pytest.fixture(scope="module")
def controlled(tmp_path_factory):
    """THREADED scales 1.37x on cpython3.13t where the workload's threads control, whose threads share
    nothing, scales 1.97x: the variant loses the difference to its own sharing. With the GIL both take
    turns."""
    levels = {**LEVELS, (THREADED, "cpython3.13t", 2): 0.95,
              (CONTROL, "cpython3.13", 1): 1.00, (CONTROL, "cpython3.13", 2): 1.01,
              (CONTROL, "cpython3.13t", 1): 1.28, (CONTROL, "cpython3.13t", 2): 0.65}
    data, times = forge(tmp_path_factory.mktemp("ft-control"), ("none", "", 0), 0, levels=levels)
    contract = data.contracts["julia"]
    data = replace(data, contracts={"julia": replace(contract, roles=replace(contract.roles,
                                                                             threads_control=CONTROL))})
    return render(data), times


def test_each_threaded_variant_is_read_against_the_control_whose_threads_share_nothing(controlled):
    html, times = controlled
    study = section(html, "gil")
    scaling = rows(table_after(study, '<table class="data gil-scaling">'))
    assert scaling[0][-1] == "against the control"
    found = {(r[0].split("control:")[0], r[1]): r for r in scaling[1:]}
    control_ft = ratio_of_medians(times, (CONTROL, "cpython3.13t", 1), (CONTROL, "cpython3.13t", 2))
    threaded_ft = found[(THREADED, FT)]
    assert threaded_ft[-1] == f"control {shown(control_ft)}: below it, lost to the variant's own sharing"
    assert found[(THREADED, "cpython3.13")][-1].endswith("at the interpreter's limit (CIs overlap)")
    control_row = found[(CONTROL, FT)]
    assert control_row[0] == f"{CONTROL}control: threads share nothing" and control_row[-1] == "–"
    assert found[(THREADED, "pypy3.9")][-1] == "no control cell here"
    assert f"The control, {CONTROL}, runs the same kernel on threads that share nothing" in study


def test_without_a_control_the_scaling_table_has_no_control_column(legacy):
    html, _ = legacy
    study = section(html, "gil")
    assert "against the control" not in study and "The control," not in study


def test_a_fast_build_is_never_compared_with_an_optimized_one(legacy):
    html, _ = legacy
    study = section(html, "gil")
    assert study.count('<table class="data gil-cost">') == 1  # only cpython3.13t has a twin
    assert (f"No single-thread cost for {FT_FAST}: no CPython 3.13 column with the GIL and the same build "
            "profile (fast unoptimised build (no PGO/LTO)) ran in this run.") in study


def test_no_gil_study_without_free_threaded_columns_or_python_threads(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(FIXTURE, source)
    records = [make_record("pure_python", interp, impl, [t * 1.3, t, t], process_index=i, size="40x30")
               for interp, impl, t in (("cpython3.11", "cpython", 1.0), ("pypy3.9", "pypy", 0.05))
               for i in range(PROCESSES)]
    html = render(forge_archive(source, tmp_path / "archive", records))
    assert 'id="gil"' not in html and 'href="#gil"' not in html and 'class="flag gil"' not in html
    assert "free-threaded, GIL" not in html


def test_a_column_is_described_only_by_what_the_archive_recorded():
    from report import columns

    uv = {"method": "uv", "optimized": True, "configure_flags": None,
          "seconds": {"install": 12.0, "total": 14.5},
          "uv": {"version": "uv 0.8.0", "request": "3.13t",
                 "installed_as": "cpython-3.13.5+freethreaded-linux"}}
    meta = {"interpreters": [
        {"name": "cpython3.13t", "implementation": "cpython", "version": "3.13.5",
         "info": {"free_threaded": True, "gil_enabled": False, "provision": uv}},
        {"name": "python3.12", "implementation": "cpython", "version": "3.12.3",
         "info": {"gil_enabled": None}},
    ]}
    # the records say the GIL was on at start in one process of three (PYTHON_GIL=1, say): that wins over
    # the probe
    seen = [{"name": "cpython3.13t", "free_threaded": True, "gil_enabled": state}
            for state in (False, True, False)]
    records = [make_record("pure_python", "cpython3.13t", "cpython", [1.0]) for _ in seen]
    for record, interpreter in zip(records, seen):
        record.interpreter = Interpreter.from_json(interpreter)
    found = columns.columns(meta, records)
    free, plain = found["cpython3.13t"], found["python3.12"]
    assert free.label == "cpython3.13t (free-threaded, GIL on at start in 1 of 3 processes)"
    assert free.build.profile == "optimized PGO+LTO build" and free.build.seconds == 14.5
    assert free.build.flags_text.startswith("not recorded") and free.build.sha256 == ""
    assert free.build.source == "uv python install 3.13t: cpython-3.13.5+freethreaded-linux (uv 0.8.0)"
    assert (plain.label == "python3.12" and plain.build is None
            and plain.profile == "build profile not recorded")
    assert columns.notes(found) == {"cpython3.13t": "free-threaded, GIL on at start in 1 of 3 processes"}
