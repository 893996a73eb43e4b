"""`profile` at a small size: every artefact exists and holds real data, in its own envs, inside an archive."""

from __future__ import annotations

import json
import shutil
import sys

import pytest
from conftest import WORK_DIR, only_archive, run_shootout

from shootout import archive


@pytest.fixture(scope="module")
def profiled(tmp_path_factory):
    results = tmp_path_factory.mktemp("profile")
    proc = run_shootout(
        "profile", "--size", "300x200", "--interpreter", f"{sys.executable},{shutil.which('pypy3')}",
        "-o", str(results), "--work-dir", str(WORK_DIR),
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    path = only_archive(results)
    archive.read(path)  # the profile archive verifies like any other
    return path / "profiles"


def _load(path):
    return json.loads(path.read_text())


def test_profiling_envs_are_not_timing_envs(profiled):
    assert (WORK_DIR / "profile-envs").is_dir()
    timing_lock = (WORK_DIR / "envs").glob("*/bin/python")
    for python in timing_lock:
        site = list(python.parent.parent.glob("lib/*/site-packages/line_profiler"))
        assert not site, f"line_profiler leaked into timing env {python}"


def test_cprofile_names_the_kernel_and_counts_abs_calls(profiled):
    data = _load(next(profiled.glob("cpython*/cprofile.json")))
    names = [f["function"] for f in data["functions"]]
    assert "calculate_z_serial_purepython" in names
    # abs() runs once per inner iteration, plus the final failing test of each point that escaped
    points = data["points"]
    assert data["checksum"] <= data["abs_calls"] <= data["checksum"] + points


def test_line_profile_kernel_line_has_most_hits(profiled):
    data = _load(next(profiled.glob("cpython*/line_profile.json")))
    top = max(data["lines"], key=lambda line: line["hits"])
    assert "while n < maxiter and abs(z) < 2" in top["source"]
    assert sum(line["percent"] for line in data["lines"]) == pytest.approx(100, abs=0.5)
    assert all(line["seconds"] >= 0 for line in data["lines"])


def test_memory_series_on_both_interpreters(profiled):
    for pattern in ("cpython*/memory-cpython.json", "pypy*/memory-pypy.json"):
        data = _load(next(profiled.glob(pattern)))
        assert len(data["samples"]) > 10, pattern
        assert data["peak_mb"] > 5 and [p[0] for p in data["phases"]] == ["start", "grid built", "kernel done"]


def test_vmprof_on_pypy_samples_or_says_why(profiled):
    data = _load(next(profiled.glob("pypy*/vmprof-pypy.json")))
    assert data.get("error") or (data["samples"] > 0 and data["functions"])


def test_cython_annotations_hold_the_kernel_source(profiled):
    annotated = sorted(profiled.glob("cpython*/cython/*.html"))
    assert {p.stem for p in annotated} == {"julia_cython_lists", "julia_cython_memoryview", "julia_cython_openmp"}
    text = next(p for p in annotated if p.stem == "julia_cython_memoryview").read_text()
    assert "zr * zr + zi * zi &lt; 4.0" in text or "zr * zr + zi * zi < 4.0" in text


def test_numba_inspection(profiled):
    summary = _load(next(profiled.glob("cpython*/numba/numba_njit-llvm-summary.json")))
    assert summary["signatures"] and summary["signatures"][0]["fmul"] > 0
    assert "calculate_z" in next(profiled.glob("cpython*/numba/numba_njit-types.txt")).read_text()
