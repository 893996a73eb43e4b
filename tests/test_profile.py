"""`profile` at small sizes, for real: every artefact exists and holds real data, in its own envs, inside an
archive.

Julia (the tutorial's workload) on CPython and PyPy, and the wordfreq fixture workload
(tests/fixtures/workloads, reached through --workloads-path) to prove that nothing in the profilers or their
report section is Julia's.
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import pytest
from conftest import ROOT, WORK_DIR, only_archive, run_shootout

from report.profiles import profiles_context
from report.render import environment
from shootout.results import archive

FIXTURE_PATH = ROOT / "tests" / "fixtures" / "workloads"
INTERPRETERS = f"{sys.executable},{shutil.which('pypy3')}"


pytestmark = pytest.mark.slow  # real profiling envs and profiler runs on both interpreters


def _profile(tmp_path_factory, name: str, *args: str):
    results = tmp_path_factory.mktemp(name)
    proc = run_shootout("profile", *args, "--interpreter", INTERPRETERS, "-o", str(results),
                        "--work-dir", str(WORK_DIR))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-4000:]
    path = only_archive(results)
    return path, archive.read(path)  # the profile archive verifies like any other


@pytest.fixture(scope="module")
def julia(tmp_path_factory):
    path, _data = _profile(tmp_path_factory, "profile-julia", "--sizes", "200x150")
    return path / "profiles"


@pytest.fixture(scope="module")
def wordfreq(tmp_path_factory):
    return _profile(tmp_path_factory, "profile-wordfreq", "--workloads-path",
                    os.path.relpath(FIXTURE_PATH, ROOT), "--workload", "wordfreq", "--param", "tokens=60000",
                    "--param", "words=40")


def _load(path):
    return json.loads(path.read_text())


def _results(profiles) -> dict:
    return {(r["tool"], r["implementation"]): r for r in _load(profiles / "index.json")["results"]}


# ------------------------------------------------------------------ Julia


def test_profiling_envs_are_not_timing_envs(julia):
    assert (WORK_DIR / "profile-envs").is_dir()
    for python in (WORK_DIR / "envs").glob("*/bin/python"):
        site = list(python.parent.parent.glob("lib/*/site-packages/line_profiler"))
        assert not site, f"line_profiler leaked into timing env {python}"


def test_index_names_what_was_profiled(julia):
    index = _load(julia / "index.json")
    assert (index["workload"], index["baseline"], index["size"]) == ("julia", "pure_python", "200x150")
    assert index["params"] == {"width": 200, "max_iterations": 150}
    assert set(index["sources"]) == {"pure_python", "cython_lists", "cython_memoryview", "cython_openmp",
                                     "numba_njit", "numba_parallel"}
    assert all(r["status"] == "ok" for r in index["results"]), index["results"]


def test_cprofile_names_the_kernel_and_its_most_called_function(julia):
    data = _load(next(julia.glob("cpython*/cprofile.json")))
    assert (data["workload"], data["variant"], data["work_unit"]) == ("julia", "pure_python",
                                                                      "inner iteration")
    names = [f["function"] for f in data["functions"]]
    assert "calculate_z_serial_purepython" in names and "build_grid" in names and "prepare" in names
    # abs() runs once per inner iteration, plus the final failing test of each point that escaped
    most = data["most_called"]
    assert most["function"] == "<built-in method builtins.abs>"
    assert data["checksum"] == data["work_units"] <= most["ncalls"] <= data["checksum"] + data["points"]
    assert 1 <= most["per_work_unit"] < 1.2


def test_line_profile_covers_the_module_and_finds_the_inner_loop(julia):
    data = _load(next(julia.glob("cpython*/line_profile.json")))
    assert data["module"] == "workloads.julia.pure_python" and data["not_called"] == []
    functions = {f["function"]: f for f in data["functions"]}
    assert set(functions) == {"calculate_z_serial_purepython", "prepare", "calculate"}
    top = max((line for f in data["functions"] for line in f["lines"]), key=lambda line: line["hits"])
    assert "while n < maxiter and abs(z) < 2" in top["source"]
    for f in data["functions"]:
        assert sum(line["percent"] for line in f["lines"]) == pytest.approx(100, abs=0.5)
        assert all(line["seconds"] >= 0 for line in f["lines"])


def test_memory_series_on_both_interpreters(julia):
    for pattern in ("cpython*/memory-cpython.json", "pypy*/memory-pypy.json"):
        data = _load(next(julia.glob(pattern)))
        assert len(data["samples"]) > 10, pattern
        assert (data["peak_mb"] > 5
                and [p[0] for p in data["phases"]] == ["start", "inputs built", "kernel done"])


def test_vmprof_on_pypy_samples_or_says_why(julia):
    data = _load(next(julia.glob("pypy*/vmprof-pypy.json")))
    assert data.get("error") or (data["samples"] > 0 and data["functions"])


def test_cython_annotations_hold_the_kernel_source(julia):
    annotated = sorted(julia.glob("cpython*/cython/*.html"))
    assert {p.stem for p in annotated} == {"julia_cython_lists", "julia_cython_memoryview",
                                           "julia_cython_openmp"}
    text = next(p for p in annotated if p.stem == "julia_cython_memoryview").read_text()
    assert "zr * zr + zi * zi &lt; 4.0" in text or "zr * zr + zi * zi < 4.0" in text
    index = _load(next(julia.glob("cpython*/cython/index.json")))
    assert {a["variant"] for a in index["annotated"]} == {"cython_lists", "cython_memoryview",
                                                          "cython_openmp"}


def test_numba_inspection_of_every_numba_variant(julia):
    for variant in ("numba_njit", "numba_parallel"):
        summary = _load(next(julia.glob(f"cpython*/numba/{variant}-llvm-summary.json")))
        assert summary["variant"] == variant and "calculate_z" in summary["functions"]
        assert summary["signatures"] and summary["signatures"][0]["opcodes"]["fmul"] > 0
        assert "calculate_z" in next(julia.glob(f"cpython*/numba/{variant}-types.txt")).read_text()


# ------------------------------------------------------------------ the wordfreq fixture: nothing is Julia's


def test_wordfreq_profiles_its_own_baseline(wordfreq):
    path, _data = wordfreq
    profiles = path / "profiles"
    results = _results(profiles)
    assert results[("numba-inspect", "cpython")]["status"] == "skipped"
    assert results[("numba-inspect", "cpython")]["error"] == "wordfreq has no Numba variant"
    others = [r for key, r in results.items() if key != ("numba-inspect", "cpython")]
    assert all(r["status"] == "ok" for r in others), others
    data = _load(next(profiles.glob("cpython*/cprofile.json")))
    assert ((data["workload"], data["variant"], data["work_units"], data["points"])
            == ("wordfreq", "pure_python", 60000, 40))
    names = {f["function"] for f in data["functions"]}
    assert {"make_inputs", "count_words"} <= names and "calculate_z_serial_purepython" not in names
    assert data["most_called"]["per_work_unit"] == pytest.approx(1.0)  # one list.append per token generated
    line = _load(next(profiles.glob("cpython*/line_profile.json")))
    assert line["module"] == "workloads.wordfreq.pure_python"
    assert {f["function"] for f in line["functions"]} == {"count_words", "prepare", "calculate"}
    top = max((x for f in line["functions"] for x in f["lines"]), key=lambda x: x["hits"])
    assert top["hits"] == 60001 and "for token in tokens" in top["source"]
    for pattern in ("cpython*/memory-cpython.json", "pypy*/memory-pypy.json"):
        memory = _load(next(profiles.glob(pattern)))
        assert ([p[0] for p in memory["phases"]] == ["start", "inputs built", "kernel done"]
                and memory["samples"])
    vm = _load(next(profiles.glob("pypy*/vmprof-pypy.json")))
    assert vm.get("error") or vm["samples"] > 0
    annotated = list(profiles.glob("cpython*/cython/*.html"))
    assert [p.stem for p in annotated] == ["wordfreq_cython"]
    assert "counts[ids[i]] += 1" in annotated[0].read_text()
    assert not list(profiles.glob("*/numba/*"))


def test_wordfreq_archive_and_report_section_name_no_julia(wordfreq):
    path, data = wordfreq
    assert data.metadata["kind"] == "profile" and list(data.contracts) == ["wordfreq"]
    index = _load(path / "profiles" / "index.json")
    assert all(p.startswith("tests/fixtures/workloads/wordfreq/") and digest
               for sources in index["sources"].values() for p, digest in sources.items())
    context = profiles_context(data)
    assert ((context["workload"], context["label"], context["baseline"])
            == ("wordfreq", "60000x40", "pure_python"))
    assert context["line"][0]["busiest"]["hits"] == 60001
    html = environment().get_template("profiles.html.j2").render(profiles=context)
    assert "Profiled at <strong>60000x40</strong> (tokens = 60000, words = 40)" in html
    assert "baseline variant <code>pure_python</code>" in html and "1 per token (60,000 in this run)" in html
    assert "wordfreq_cython" in html
    for julia_only in ("abs()", "34 million", "grid built", "The grid", "calculate_z", "julia", "Julia"):
        assert julia_only not in html, julia_only
