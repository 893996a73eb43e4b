"""The scripts under benchmarks/ that docs/ quote run against today's results library: the simulations with
a handful of samples, the archive readers on the committed fixture (the figures come from the commands in
docs/)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT


@pytest.mark.slow  # a Python start and the results library per script: seconds
@pytest.mark.parametrize("script, args", [
    ("simulate_warmup.py", ["--cells", "2"]),
    ("simulate_coverage.py", ["--trials", "3", "--parts", "median"]),
    ("simulate_diff_gate.py", ["--trials", "2", "--threshold", "2%"]),
    ("noise_floor.py", ["tests/fixtures/archive-v2"]),
    ("ci_overlap.py", ["tests/fixtures/archive-v2", "tests/fixtures/archive-v2"]),
])
def test_a_simulation_quoted_by_the_docs_still_runs(script, args):
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], check=False, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip()
