"""The sequential design (shootout/sampling.py): when a cell stops getting processes, and why, from workers
simulated with known noise (no processes, no timing: the fast tier)."""

from __future__ import annotations

import numpy as np
from factories import make_record

from shootout.interrupts import StopRequest
from shootout.matrix import Cell, Method, ParamSet, PlannedCell
from shootout.sampling import Sampler

SIZE = ParamSet("10x5", (("size", "10x5"),))
NOISE = {"stable": 0.002, "noisy": 0.25, "baseline": 0.15}


def planned(variant: str) -> PlannedCell:
    return PlannedCell(Cell("julia", variant, "cpython3.11", 1, SIZE), "python", "cpython", False, "pending")


def simulated_worker(failing: str | None = None, stop: StopRequest | None = None, stop_after: int = 0):
    """A run_one that returns a record whose times have the variant's known relative noise (seeded)."""
    rng = np.random.default_rng(7)
    calls = []

    def run_one(job):
        variant = job.planned.cell.variant
        calls.append(variant)
        if stop is not None and len(calls) > stop_after:
            stop.count += 1  # as a SIGINT would: the loop reads `requested`
            return None
        level = 1.0 + NOISE[variant] * rng.standard_normal()
        status = "crashed" if variant == failing else "ok"
        return make_record(variant, "cpython3.11", "cpython", [1.3 * level, level, level], status=status,
                           process_index=job.process_index, size="10x5")

    return run_one, calls


def method(**kw) -> Method:
    return Method("test", **{"processes": 5, "warmups": 1, "calls": 2, "jit_calls": 3, "precision": 0.02,
                             "max_processes": 12, "cell_seconds": 600.0, **kw})


def sample(variants, m: Method, **worker):
    run_one, calls = simulated_worker(**worker)
    sampler = Sampler([planned(v) for v in variants], m, seed=1, run_one=run_one,
                      stop=worker.get("stop") or StopRequest())
    records = sampler.run()
    return sampler.stop_reasons(), records, calls


def _reason(reasons, variant):
    return reasons[f"julia-{variant}-cpython3.11-t1-10x5"]


def test_a_stable_cell_stops_once_its_median_ci_is_within_the_target_and_a_noisy_one_at_the_cap():
    reasons, records, _ = sample(["stable", "noisy"], method())
    stable = _reason(reasons, "stable")
    # below 6 processes there is no distribution-free CI of a median: the first decision comes at 6
    assert stable.startswith("median CI ±") and stable.endswith("within ±2.00% after 6 processes"), stable
    assert _reason(reasons, "noisy") == "cap of 12 processes reached"
    assert sum(r["variant"] == "noisy" for r in records) == 12


def test_a_noisy_baseline_does_not_keep_other_cells_running():
    """The rule is each cell's own: a stable cell stops at 6 processes whatever its baseline's noise."""
    reasons, records, _ = sample(["baseline", "stable"], method())
    assert _reason(reasons, "stable").endswith("after 6 processes")
    assert sum(r["variant"] == "stable" for r in records) == 6


def test_time_budget_and_first_failure_stop_a_cell():
    reasons, _, _ = sample(["stable"], method(cell_seconds=0.0))
    assert _reason(reasons, "stable") == "time budget of 0 s reached after 1 processes"
    reasons, records, _ = sample(["stable", "noisy"], method(), failing="noisy")
    assert _reason(reasons, "noisy") == "process 0 crashed"
    assert sum(r["variant"] == "noisy" for r in records) == 1


def test_fixed_design_runs_exactly_the_processes_asked_for():
    reasons, records, _ = sample(["stable", "noisy"], method(precision=None, processes=3))
    assert set(reasons.values()) == {"fixed design: 3 processes"} and len(records) == 6


def test_rounds_interleave_cells_and_a_stop_request_ends_the_loop():
    reasons, records, calls = sample(["stable", "noisy"], method(precision=None, processes=3))
    assert sorted(calls[:2]) == ["noisy", "stable"] and sorted(calls[2:4]) == ["noisy", "stable"]
    stop = StopRequest()
    reasons, records, calls = sample(["stable", "noisy"], method(), stop=stop, stop_after=3)
    assert stop.requested and len(records) == 3 and len(calls) == 4 and reasons == {}
