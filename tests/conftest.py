"""Shared fixtures: one real quick compare (every variant, both interpreters, small size) reused by many
tests.

Target envs and builds live in the same work dir as `nox -s compare` (.nox/shootout), so CI creates them once;
SHOOTOUT_TEST_WORK_DIR points the tests of a second checkout (a git worktree) at the first one's envs and
builds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shootout.results import archive
from shootout.run import catalog

WORK_DIR = Path(os.environ.get("SHOOTOUT_TEST_WORK_DIR") or ROOT / ".nox" / "shootout")
SMALL = "80x60"
SMALLER = "48x40"  # a second size, so the size sweep is exercised too
JULIA = catalog.load("julia")
ALL_VARIANTS = list(JULIA.table())
PYPY = shutil.which("pypy3")


def run_shootout(*args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    """The orchestrator as a user runs it (a real subprocess, real exit code, real stderr)."""
    return subprocess.run(
        [sys.executable, "-m", "shootout", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        env=dict(os.environ, PYTHONUNBUFFERED="1"), check=False)


def only_archive(results: Path) -> Path:
    archives = [p for p in results.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(archives) == 1, archives
    return archives[0]


@pytest.fixture(scope="session")
def quick_archive(tmp_path_factory) -> Path:
    """Every variant + the wrong_kernel fixture on CPython and PyPy, 1 and 2 threads, two small sizes."""
    if PYPY is None:
        pytest.fail("pypy3 is not installed: apt-get install pypy3 pypy3-dev pypy3-venv (see README)")
    results = tmp_path_factory.mktemp("results")
    proc = run_shootout(
        "compare", "--sizes", f"{SMALL},{SMALLER}", "--processes", "2", "--calls", "2", "--jit-calls", "4",
        "--threads", "1,2", "--include-test-variants", "--variant", ",".join(ALL_VARIANTS + ["wrong_kernel"]),
        "--interpreter", f"{sys.executable},{PYPY}", "--seed", "7", "-o", str(results),
        "--work-dir", str(WORK_DIR),
    )
    # exit 1: the wrong_kernel fixture is a failed cell by design
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-6000:]
    path = only_archive(results)
    (results / "compare-stdout.txt").write_text(proc.stdout + proc.stderr)  # for debugging a failure
    return path


@pytest.fixture(scope="session")
def quick_data(quick_archive):
    return archive.read(quick_archive)
