"""Thread and size sweeps at a tiny size: every scaling cell verifies, one row per (variant, threads) and
size."""

from __future__ import annotations

import math

import pytest
from conftest import JULIA, SMALL, SMALLER

from shootout.results import summaries

PARALLEL = [name for name, v in JULIA.table().items() if v.parallel]
SIZES = {SMALL, SMALLER}

pytestmark = pytest.mark.slow  # a real compare of every variant in both interpreters


def _supported(variant, implementation):
    return implementation not in JULIA.variant(variant).unsupported


def test_every_parallel_variant_runs_at_each_thread_count_and_size(quick_data):
    summary = summaries.summarise(quick_data.records, quick_data.roles)
    assert ({"cffi_simd_openmp", "cython_openmp", "pythran_openmp", "numba_parallel", "cffi_openmp"}
            <= set(PARALLEL))
    for variant in PARALLEL:
        for impl in ("cpython", "pypy"):
            rows = summary[(summary["variant"] == variant) & (summary["implementation"] == impl)]
            if not _supported(variant, impl):
                assert set(rows["status"]) == {"unsupported"}
                continue
            got = sorted(zip(rows["threads"], rows["size"]))
            assert got == sorted((t, size) for t in (1, 2) for size in SIZES), (variant, impl, got)
            assert rows["verified"].all(), (variant, impl)


def test_thread_scaling_table_has_one_row_per_variant_and_thread_count(quick_data):
    summary = summaries.summarise(quick_data.records, quick_data.roles)
    scaling = summaries.thread_scaling(summary)
    counts = scaling.groupby(["variant", "interpreter", "size", "threads"]).size()
    assert (counts == 1).all()
    for variant in PARALLEL:
        for impl_interp in scaling[scaling["variant"] == variant]["interpreter"].unique():
            rows = scaling[(scaling["variant"] == variant) & (scaling["interpreter"] == impl_interp)]
            assert sorted(rows["threads"].unique()) == [1, 2]
    one = scaling[scaling["threads"] == 1]
    assert (all(math.isclose(v, 1.0) for v in one["speedup"])
            and all(math.isclose(v, 1.0) for v in one["efficiency"]))


def test_size_sweep_has_one_row_per_variant_and_size(quick_data):
    summary = summaries.summarise(quick_data.records, quick_data.roles)
    single = summary[(summary["threads"] == 1) & summary["verified"]]
    per = single.groupby(["variant", "interpreter"])["size"].nunique()
    assert (per == len(SIZES)).all()
    # inner iterations (the work) grow with the size, the same for every variant
    work = single.groupby("size")["work_units"].nunique()
    assert (work == 1).all()


def test_every_verified_cell_has_its_distance_from_the_limit(quick_data):
    summary = summaries.summarise(quick_data.records, quick_data.roles)
    ok = summary[summary["verified"]]
    assert ok["percent_of_limit"].notna().all()
    assert (ok["ns_per_unit"] > 0).all()
    compiled = ok[(ok["threads"] == 1) & ok["technology"].isin(["cython", "pythran", "numba", "cffi"])]
    assert compiled["vs_scalar_c"].notna().all()
