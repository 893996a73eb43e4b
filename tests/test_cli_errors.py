"""Bad input: one line naming the bad value (and the accepted ones), exit 2, nothing written to results/."""

from __future__ import annotations

import pytest
from conftest import run_shootout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--variant", "no_such_variant"], "'no_such_variant' is not a variant of julia (accepted: pure_python"),
        (["--workload", "mandelbrot"], "--workload 'mandelbrot' is unknown (accepted: julia)"),
        (["--interpreter", "pypy9"], "--interpreter 'pypy9'"),
        (["--interpreter", "/no/such/python"], "not found"),
        (["--sizes", "0x300"], "'0' must be >= 1"),
        (["--sizes=-5x300"], "must be >= 1"),
        (["--sizes", "bigx300"], "'big' is not a whole number"),
        (["--sizes", "1000"], "not WIDTHxMAX_ITERATIONS"),
        (["--threads", "0"], "--threads '0' must be >= 1"),
        (["--processes", "-1"], "--processes '-1' must be >= 1"),
        (["--timeout", "soon"], "--timeout"),
        (["--no-such-option"], "unrecognized arguments: --no-such-option"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, needle, tmp_path):
    results = tmp_path / "results"
    proc = run_shootout("compare", *args, "-o", str(results))
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert needle in lines[0]
    assert not results.exists() or not any(results.iterdir())


def test_report_of_a_directory_that_is_not_an_archive(tmp_path):
    proc = run_shootout("report", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"pyshootout: error: {tmp_path}: not a pyshootout archive (no manifest.json)"


def test_report_of_a_missing_path(tmp_path):
    proc = run_shootout("report", str(tmp_path / "nope"))
    assert proc.returncode == 2 and "not a directory" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
