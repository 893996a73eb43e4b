"""End to end: every variant built and run in both interpreters, verified; a wrong kernel is never ranked."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys

import pytest
from conftest import ALL_VARIANTS, ROOT, run_shootout

from shootout.results import archive, summaries

NUMBA = {"numba_njit", "numba_parallel"}

pytestmark = pytest.mark.slow  # a real compare of every variant in both interpreters


def test_every_variant_verified_on_cpython_and_pypy(quick_data):
    summary = summaries.summarise(quick_data.records, quick_data.roles)
    summary = summary[summary["variant"] != "wrong_kernel"]
    seen = set()
    for row in summary.itertuples():
        seen.add((row.variant, row.implementation))
        if row.variant in NUMBA and row.implementation == "pypy":
            assert row.status == "unsupported" and not row.verified
            assert "no PyPy support" in row.error
        else:
            assert row.status == "ok" and row.verified, (row.variant, row.interpreter, row.status, row.error)
    assert seen == {(v, impl) for v in ALL_VARIANTS for impl in ("cpython", "pypy")}


def test_compiled_variants_really_are_extensions(quick_data):
    for build in quick_data.builds:
        if build["variant"] in ("pure_python", "pure_python_expanded_math", "numpy_vectorised",
                                "wrong_kernel"):
            continue
        if build["status"] == "ok" and not build["variant"].startswith("numba"):
            assert build["extension_sha256"] and len(build["extension_sha256"]) == 64, build
            assert "-ffp-contract=off" in build["flags"], build


def test_wrong_kernel_is_detected_and_never_ranked(quick_data):
    summary = summaries.summarise(quick_data.records, quick_data.roles)
    wrong = summary[summary["variant"] == "wrong_kernel"]
    assert set(wrong["status"]) == {"wrong_output"}
    assert not wrong["verified"].any()
    assert wrong["median_seconds"].isna().all() and wrong["speedup"].isna().all()
    records = [r for r in quick_data.records if r.variant == "wrong_kernel"]
    assert records and all(r.values_differing > 0 for r in records)
    html = (quick_data.path / "report.html").read_text()
    for part in ("headline", "speedup"):  # where cells are ranked and charted (the variant list may name it)
        found = re.search(rf'<section id="[\w-]*{part}">(.*?)</section>', html, re.DOTALL)
        assert found, f"no {part} section"
        assert "wrong_kernel" not in found.group(1), part


def test_speedups_are_relative_to_pure_python_on_cpython(quick_data):
    summary = summaries.summarise(quick_data.records, quick_data.roles)
    base = summary[(summary["variant"] == "pure_python") & (summary["implementation"] == "cpython")]
    assert len(base) == 2 and all(math.isclose(float(v), 1.0) for v in base["speedup"])  # one per size
    ok = summary[summary["verified"]]
    assert (ok["speedup"] > 0).all() and (ok["median_seconds"] > 0).all()


def test_archive_layout_and_manifest(quick_archive):
    manifest = json.loads((quick_archive / "manifest.json").read_text())
    assert manifest["schema_version"] == archive.SCHEMA_VERSION
    assert manifest["status"] == "complete"
    files = set(manifest["files"])
    for required in ("metadata.json", "timings.csv.gz", "builds.json", "processes.csv"):
        assert required in files
    assert any(f.startswith("records/") for f in files)
    assert any(f.startswith("logs/build-") for f in files)
    assert (any(f.startswith("locks/pypy") for f in files)
            and any(f.startswith("locks/cpython") for f in files))
    assert "numpy==2.0.2" in (quick_archive
                              / next(f for f in files if f.startswith("locks/pypy"))).read_text()


def test_timings_table_is_tidy(quick_data):
    timings = quick_data.timings
    assert ({"variant", "interpreter", "process_index", "call_index", "seconds", "steady"}
            <= set(timings.columns))
    assert (timings["seconds"] > 0).all()
    per_record = sum(len(r.times_seconds) for r in quick_data.records)
    assert len(timings) == per_record


def test_report_rerenders_byte_identical(quick_archive, tmp_path):
    copy = tmp_path / "archive"
    shutil.copytree(quick_archive, copy)
    original = (copy / "report.html").read_bytes()
    (copy / "report.html").unlink()
    proc = run_shootout("report", str(copy))
    assert proc.returncode == 0, proc.stderr
    assert (copy / "report.html").read_bytes() == original


def test_tampered_archive_is_refused(quick_archive, tmp_path):
    copy = tmp_path / "archive"
    shutil.copytree(quick_archive, copy)
    record = min((copy / "records").glob("*.json"))
    record.write_text(record.read_text().replace('"status"', '"status" ', 1))
    proc = run_shootout("report", str(copy))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "does not match its sha256" in lines[0] and record.name in lines[0]


def test_pyperf_compare_to_runs_on_the_export(quick_archive):
    exports = sorted((quick_archive / "pyperf").glob("*.json"))
    assert [p.stem for p in exports] == sorted(p.stem for p in exports) and len(exports) == 2
    proc = subprocess.run(
        [sys.executable, "-m", "pyperf", "compare_to", *map(str, exports), "--table"],
        capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "julia-pure_python-t1-80x60" in proc.stdout


def test_pyperf_runs_carry_the_date_their_process_started(quick_archive):
    import pyperf

    suite = pyperf.BenchmarkSuite.load(str(min((quick_archive / "pyperf").glob("*.json"))))
    dates = [run.get_metadata()["date"] for bench in suite.get_benchmarks() for run in bench.get_runs()]
    assert dates and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?", d) for d in dates)
