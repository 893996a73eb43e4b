"""The 2-D diffusion workload: the book's stencil, its variants and its verification policy.

Fast tier: the pure-Python reference against the book's literal loop (bit for bit), conservation of mass, the
numpy variants within the declared tolerance and a wrong stencil outside it. Slow tier: a real compare of
every variant on CPython and PyPy at a small size, every cell verified, and the report with its figure.
"""

from __future__ import annotations

import math
import sys

import pytest
from conftest import PYPY, WORK_DIR, only_archive, run_shootout

from shootout.results import archive
from shootout.run import catalog
from workloads.diffusion import numpy_inplace, numpy_roll, pure_python
from workloads.diffusion.spec import BLOCK_VALUE, DT, WORKLOAD, D, initial_grid
from workloads.verify import Reference, make_reference

SMALL = {"n": 24, "steps": 7}


def book_evolve(grid, dt, D=1.0):
    """The book's literal list-of-lists step (06_matrix/diffusion_2d/diffusion_python.py): modulo indexing."""
    xmax, ymax = len(grid), len(grid[0])
    new_grid = [[0.0] * ymax for _ in range(xmax)]
    for i in range(xmax):
        for j in range(ymax):
            grid_xx = grid[(i + 1) % xmax][j] + grid[(i - 1) % xmax][j] - 2.0 * grid[i][j]
            grid_yy = grid[i][(j + 1) % ymax] + grid[i][(j - 1) % ymax] - 2.0 * grid[i][j]
            new_grid[i][j] = grid[i][j] + D * (grid_xx + grid_yy) * dt
    return new_grid


def book_run(n, steps):
    grid = initial_grid(n)
    for _ in range(steps):
        grid = book_evolve(grid, DT, D)
    return [v for row in grid for v in row]


@pytest.fixture()
def reference(tmp_path):
    make_reference(WORKLOAD, SMALL, str(tmp_path / "ref.json"))
    return Reference.load(str(tmp_path / "ref.json"), WORKLOAD, SMALL)


def run_variant(module, params=SMALL):
    output = module.calculate(module.prepare(WORKLOAD.make_inputs(params), params), params, 1)
    return getattr(module, "to_list", lambda o: o.ravel().tolist())(output)


def test_contract_is_valid_and_names_the_books_variants():
    assert WORKLOAD.problem() is None
    assert {"pure_python", "numpy_roll", "numpy_inplace"} <= set(WORKLOAD.table())
    assert {v.technology for v in WORKLOAD.variants} == {"python", "numpy", "cython", "numba", "pythran",
                                                         "cffi"}
    assert WORKLOAD.format_label(WORKLOAD.defaults()) == "512x512x80"
    assert WORKLOAD.count_work(SMALL, None) == 24 * 24 * 7


def test_initial_grid_is_the_books_block_with_distinct_rows():
    grid = initial_grid(10)
    assert [(i, j) for i in range(10) for j in range(10) if grid[i][j]] == [(4, 4)]
    assert grid[4][4] == BLOCK_VALUE
    grid[0][0] = 1.0
    assert grid[1][0] == 0.0  # not the book's [[0.0] * n] * n, which aliases one row


def test_pure_python_is_the_books_loop_bit_for_bit():
    assert run_variant(pure_python) == book_run(SMALL["n"], SMALL["steps"])
    assert run_variant(pure_python, {"n": 2, "steps": 3}) == book_run(2, 3)  # neighbours wrap onto themselves


def test_periodic_diffusion_conserves_mass_and_spreads():
    values = run_variant(pure_python)
    block = int(0.5 * 24) - int(0.4 * 24)
    assert math.isclose(sum(values), BLOCK_VALUE * block * block, rel_tol=1e-12)
    assert max(values) < BLOCK_VALUE and sum(v > 0 for v in values) > block * block


@pytest.mark.parametrize("module", [numpy_roll, numpy_inplace], ids=["numpy_roll", "numpy_inplace"])
def test_numpy_variants_pass_the_declared_tolerance(module, reference):
    verdict = reference.judge(run_variant(module))
    assert verdict.ok, verdict.explain()
    assert verdict.how.startswith("within rtol=") or verdict.sha256 == reference.sha256


def test_a_wrong_coefficient_fails_the_tolerance(reference, monkeypatch):
    monkeypatch.setattr(numpy_inplace, "DT", DT * (1 + 1e-6))
    verdict = reference.judge(run_variant(numpy_inplace))
    assert not verdict.ok and verdict.differing > 0


@pytest.fixture(scope="module")
def diffusion_archive(tmp_path_factory):
    if PYPY is None:
        pytest.fail("pypy3 is not installed: apt-get install pypy3 pypy3-dev pypy3-venv (see README)")
    results = tmp_path_factory.mktemp("diffusion")
    proc = run_shootout(
        "compare", "--workload", "diffusion", "--param", "n=32", "--param", "steps=6", "--processes", "2",
        "--calls", "2", "--jit-calls", "3", "--threads", "1,2", "--interpreter", f"{sys.executable},{PYPY}",
        "-o", str(results), "--work-dir", str(WORK_DIR))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return only_archive(results)


@pytest.mark.slow
def test_every_diffusion_variant_is_verified_on_both_interpreters(diffusion_archive):
    data = archive.read(diffusion_archive)
    supported = {(r.variant, r.interpreter.implementation) for r in data.records if r.status == "ok"}
    expected = {(v, impl) for v in WORKLOAD.table() for impl in ("cpython", "pypy")}
    expected -= {(v, "pypy") for v in ("numba_njit", "numba_parallel")}
    assert supported == expected
    for record in data.records:
        assert record.status in ("ok", "unsupported"), (record.variant, record.error)
        if record.status == "ok":
            assert record.verified and record.calls_verified == len(record.times_seconds)
            assert record.work_units == 32 * 32 * 6 and record.size == "32x32x6"
    exact = {r.variant for r in data.records if r.status == "ok" and r.verification == "identical"}
    assert {"cython", "cffi_c", "pythran"} <= exact  # same expression, same order, no FMA: the same bits


@pytest.mark.slow
def test_diffusion_report_draws_its_figure(diffusion_archive):
    proc = run_shootout("report", str(diffusion_archive))
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = (diffusion_archive / "report.html").read_text()
    assert "2-D diffusion" in html and "Concentration after the last step" in html
    assert "data:image/png;base64," in html and catalog.load("diffusion").title in html
