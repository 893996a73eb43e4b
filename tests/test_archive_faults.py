"""Archives under attack: a full results disk, corrupt files (fuzzed), an older and a newer schema.

The tiny v1 fixture (tests/fixtures/archive-v1: a real 40x30 run of pure_python, cffi_c, numba_njit and
wrong_kernel on CPython 3.11 and PyPy 3.9) is the victim; it must keep rendering whatever the schema becomes.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import factories
import pytest
from conftest import ROOT, WORK_DIR, run_shootout
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from report.render import render_archive
from shootout import cli
from shootout.results import archive

FIXTURE = ROOT / "tests" / "fixtures" / "archive-v1"


def _copy_fixture(target: Path) -> Path:
    shutil.copytree(FIXTURE, target)
    return target


def _run_report(path: Path, *options: str) -> tuple[int, str]:
    """`python -m shootout report` in this process (its exit code and stderr), without a Python start."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(["report", str(path), *options])
    return code, err.getvalue()


# ---------------------------------------------------------------- schema versions


def test_v1_fixture_reads_and_renders(tmp_path):
    data = archive.read(FIXTURE)
    assert data.manifest["schema_version"] == 1
    assert {r.status for r in data.records} == {"ok", "wrong_output", "unsupported"}
    html = render_archive(FIXTURE).decode()
    assert "pure_python" in html and "numba: no PyPy support" in html


def test_a_newer_schema_is_refused_with_the_version_that_wrote_it(tmp_path):
    path = _copy_fixture(tmp_path / "a")
    manifest = json.loads((path / archive.MANIFEST).read_text())
    manifest["schema_version"] = archive.SCHEMA_VERSION + 1
    (path / archive.MANIFEST).write_bytes(archive.dumps(manifest))
    code, err = _run_report(path)
    assert code == 2 and err.count("\n") == 1
    assert f"schema_version {archive.SCHEMA_VERSION + 1}: written by a newer pyshootout" in err


def test_every_older_schema_has_a_migration():
    assert sorted(archive.MIGRATIONS) == list(range(1, archive.SCHEMA_VERSION))


# ---------------------------------------------------------------- fuzzing the reader

TARGETS = ["manifest.json", "metadata.json", "builds.json", "timings.csv.gz",
           "records/julia-pure_python-cpython3.11-t1-40x30-p00.json",
           "records/julia-numba_njit-pypy3.9-t1-40x30-p00.json"]


def _mutate(path: Path, flips: list[tuple[int, int]], truncate_at: int | None) -> None:
    data = bytearray(path.read_bytes())
    for position, xor in flips:
        data[position % len(data)] ^= xor
    if truncate_at is not None:
        data = data[: truncate_at % max(1, len(data))]
    path.write_bytes(bytes(data))


@settings(max_examples=int(os.environ.get("PYSHOOTOUT_FUZZ_EXAMPLES", "40")), deadline=None,
          derandomize=os.environ.get("PYSHOOTOUT_FUZZ_RANDOM") is None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    target=st.sampled_from(TARGETS),
    flips=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(1, 255)), max_size=3),
    truncate_at=st.one_of(st.none(), st.integers(0, 1 << 20)),
    rehash=st.booleans(),
)
def test_fuzzed_archive_is_one_line_and_exit_2_or_a_good_report(target, flips, truncate_at, rehash):
    with tempfile.TemporaryDirectory() as tmp:
        path = _copy_fixture(Path(tmp) / "archive")
        good = b"<html>the report rendered before the damage</html>"
        (path / archive.REPORT).write_bytes(good)
        _mutate(path / target, flips, truncate_at)
        if rehash and target != archive.MANIFEST:
            factories.rehash(path)
        code, err = _run_report(path)
        if code == 0:
            archive.read(path)  # only an archive that still verifies may be rendered
            return
        assert code == 2, err
        assert err.count("\n") == 1 and err.startswith("pyshootout: error: "), err
        assert "internal error" not in err and "Traceback" not in err, err
        assert (path / archive.REPORT).read_bytes() == good  # never a partial report over a good one


# ---------------------------------------------------------------- a full results disk


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MiB tmpfs (you are root on these machines); skipped with the reason where mounting is not
    allowed."""
    mount = tmp_path / "full"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {proc.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_full_results_disk_publishes_nothing_and_keeps_the_archive(tiny_disk):
    earlier = _copy_fixture(tiny_disk / "earlier-run")
    before = _tree(earlier)
    runs_before = set((WORK_DIR / "runs").glob("*"))
    proc = run_shootout("compare", "--sizes", "40x30", "--processes", "1", "--calls", "2", "--variant",
                        "pure_python", "--interpreter", sys.executable, "-o", str(tiny_disk),
                        "--work-dir", str(WORK_DIR))
    assert proc.returncode == 3, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("pyshootout: error: could not write the archive to ")
    assert "No space left on device" in lines[-1] and "Traceback" not in proc.stderr
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["earlier-run"]  # nothing half-written, no temp dir
    assert _tree(earlier) == before
    kept = set((WORK_DIR / "runs").glob("*")) - runs_before
    assert len(kept) == 1 and str(next(iter(kept))) in lines[-1]
    staged = next(iter(kept)) / "archive"
    assert archive.read(staged).manifest["status"] == "complete"  # whole, where the message says
    shutil.rmtree(next(iter(kept)))


def test_report_onto_a_full_disk_is_one_line_and_leaves_no_partial_file(tiny_disk, tmp_path):
    target = tiny_disk / "report.html"  # about 5 MB: cannot fit in 1 MiB
    code, err = _run_report(FIXTURE, "-o", str(target))
    assert code == 3, err
    assert err.count("\n") == 1 and "No space left on device" in err
    assert list(tiny_disk.iterdir()) == []
