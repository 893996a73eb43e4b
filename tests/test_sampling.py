"""The sequential design (shootout/run/sampling.py): when a cell stops getting processes, and why, from
workers simulated with known noise (no processes, no timing: the fast tier)."""

from __future__ import annotations

import numpy as np
from factories import make_record

from shootout.results.records import Interpreter, PlainRecord
from shootout.run.interrupts import StopRequest
from shootout.run.matrix import Cell, Method, ParamSet, PlannedCell
from shootout.run.sampling import Sampler

SIZE = ParamSet("10x5", (("size", "10x5"),))
NOISE = {"stable": 0.002, "noisy": 0.25, "baseline": 0.15, "other": 0.15, "calm": 0.002, "mild": 0.012}
# seconds/process
COST = {"stable": 1.0, "noisy": 1.0, "baseline": 10.0, "other": 10.0, "calm": 10.0, "mild": 1.0}


def planned(variant: str) -> PlannedCell:
    return PlannedCell(Cell("julia", variant, "cpython3.11", 1, SIZE), "python", "cpython", False, "pending")


class FakeClock:
    """time.monotonic for the sampler: simulated workers advance it by their variant's COST."""

    def __init__(self):
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now


def simulated_worker(failing: str | None = None, stop: StopRequest | None = None, stop_after: int = 0,
                     clock: FakeClock | None = None):
    """A run_one that returns a record whose times have the variant's known relative noise (seeded)."""
    rng = np.random.default_rng(7)
    calls = []

    def run_one(job):
        variant = job.planned.cell.variant
        calls.append(variant)
        if clock is not None:
            clock.now += COST[variant]
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


def sample(variants, m: Method, baselines=None, **worker):
    run_one, calls = simulated_worker(**worker)
    sampler = Sampler([planned(v) for v in variants], m, seed=1, run_one=run_one,
                      stop=worker.get("stop") or StopRequest(), baselines=baselines)
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
    assert sum(r.variant == "noisy" for r in records) == 12


def _baseline_key(variant: str) -> dict:
    return {f"julia-{variant}-cpython3.11-t1-10x5": 1}


def test_a_noisy_baseline_does_not_keep_other_cells_running():
    """A stable cell stops at 6 processes whatever its baseline's noise: once its own CI is within p/2, more
    of its processes would barely narrow its speedup; the baseline goes on to its own p/2 or its cap."""
    reasons, records, _ = sample(["baseline", "stable"], method(), baselines=_baseline_key("baseline"))
    assert _reason(reasons, "stable").endswith("within ±1.00% after 6 processes "
                                               "(the rest of its speedup CI is the baseline's)")
    assert sum(r.variant == "stable" for r in records) == 6
    assert _reason(reasons, "baseline") == "cap of 12 processes reached"


def test_a_baseline_that_k_speedups_divide_by_has_caps_sqrt_k_times_larger(monkeypatch):
    """A noisy baseline stopped at the plain per-cell caps leaves every speedup that divides by it with a
    wide CI: its caps grow with the number of speedups."""
    key = {"julia-baseline-cpython3.11-t1-10x5": 4}
    reasons, records, _ = sample(["baseline", "stable"], method(cell_seconds=10_000.0), baselines=key)
    assert _reason(reasons, "baseline") == "cap of 24 processes reached"
    assert sum(r.variant == "baseline" for r in records) == 24
    clock = FakeClock()
    monkeypatch.setattr("shootout.run.sampling.time", clock)
    reasons, _, _ = sample(["baseline"], method(cell_seconds=35.0), baselines=key, clock=clock)
    assert _reason(reasons, "baseline") == "time budget of 70 s reached after 7 processes"  # 10 s each


def test_the_median_stop_rule_of_older_archives_is_still_honoured():
    """`nox -s reproduce` of an archive from before stop_rule re-runs it under that archive's rule."""
    reasons, _, _ = sample(["baseline", "stable"], method(stop_rule="median"),
                           baselines=_baseline_key("baseline"))
    assert _reason(reasons, "stable").endswith("within ±2.00% after 6 processes")


def test_a_cell_stops_once_its_speedup_ci_is_within_the_target():
    """A calm baseline and a mildly noisy cell (1.2%): the speedup rule, checked first, is what stops it."""
    reasons, _, _ = sample(["calm", "mild"], method(), baselines=_baseline_key("calm"))
    mild = _reason(reasons, "mild")
    assert mild.startswith("speedup CI ±") and "within ±2.00% after" in mild, mild
    assert (_reason(reasons, "calm").startswith("median CI ±")
            and "within ±1.00% after 6" in _reason(reasons, "calm"))


def test_time_budget_and_first_failure_stop_a_cell():
    """A cell's time budget applies past its minimum (below 6 processes there would be no CI at all)."""
    reasons, _, _ = sample(["stable"], method(cell_seconds=0.0))
    assert _reason(reasons, "stable") == "time budget of 0 s reached after 5 processes"
    reasons, records, _ = sample(["stable", "noisy"], method(), failing="noisy")
    assert _reason(reasons, "noisy") == "process 0 crashed"
    assert sum(r.variant == "noisy" for r in records) == 1


def test_fixed_design_runs_exactly_the_processes_asked_for():
    reasons, records, _ = sample(["stable", "noisy"], method(precision=None, processes=3))
    assert set(reasons.values()) == {"fixed design: 3 processes"} and len(records) == 6


def test_rounds_interleave_cells_and_a_stop_request_ends_the_loop():
    reasons, records, calls = sample(["stable", "noisy"], method(precision=None, processes=3))
    assert sorted(calls[:2]) == ["noisy", "stable"] and sorted(calls[2:4]) == ["noisy", "stable"]
    stop = StopRequest()
    reasons, records, calls = sample(["stable", "noisy"], method(), stop=stop, stop_after=3)
    assert stop.requested and len(records) == 3 and len(calls) == 4 and reasons == {}


def test_the_run_budget_never_cuts_the_minimum_and_stops_what_would_end_after_it(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr("shootout.run.sampling.time", clock)
    reasons, records, _ = sample(["noisy", "other"], method(processes=6, run_seconds=30.0), clock=clock)
    assert sum(r.variant == "other" for r in records) == 6  # 60 simulated s: over the budget, still 6
    assert _reason(reasons, "other") == "run budget of 30 s spent after 6 processes"
    assert _reason(reasons, "noisy").startswith("run budget of 30 s spent after")
    assert clock.now <= 6 * COST["other"] + 6 * COST["noisy"] + COST["noisy"]


def test_a_baseline_that_many_speedups_divide_by_gets_most_of_the_extra_time(monkeypatch):
    """Neyman allocation: same noise and cost, but 16 speedups depend on the baseline: √16 = 4 times the
    share."""
    clock = FakeClock()
    monkeypatch.setattr("shootout.run.sampling.time", clock)
    key = "julia-baseline-cpython3.11-t1-10x5"
    m = method(processes=6, run_seconds=600.0, max_processes=100, cell_seconds=10_000.0)
    _, records, calls = sample(["baseline", "other"], m, baselines={key: 16}, clock=clock)
    extra = {v: sum(r.variant == v for r in records) - 6 for v in ("baseline", "other")}
    assert extra["other"] >= 1 and 2.5 <= extra["baseline"] / extra["other"] <= 8, extra
    tail = calls[12:]
    assert "other" in tail[: len(tail) // 2]  # interleaved, not all of the baseline's processes first


def test_budget_option_reads_minutes_and_seconds_and_zero_means_none():
    import argparse

    from shootout.run.options import method_of

    def method_for(**kw):
        base = {"quick": False, "rigorous": False, "processes": None, "calls": None, "jit_calls": None,
                "precision": None, "budget": None}
        return method_of(argparse.Namespace(**{**base, **kw}))

    assert method_for().run_seconds == 540.0 and method_for().name == "default"
    assert method_for(budget="20").run_seconds == 1200.0
    assert method_for(budget="90s").run_seconds == 90.0 and method_for(budget="90s").name == "custom"
    assert method_for(budget="0").run_seconds is None


def test_the_baseline_weight_goes_to_the_cell_the_speedups_divide_by(tmp_path):
    """compare.baseline_weights picks the column summaries.baseline_cells will: the first CPython with a GIL
    by name, a free-threaded build only when there is no other CPython; its weight is the number of other
    cells at that workload and size."""
    from shootout.run import compare
    from shootout.run.interpreters import TargetInterpreter
    from shootout.run.matrix import METHODS, plan
    from workloads._runtime import load_workload

    julia = load_workload("julia")
    size = ParamSet.of(julia, {"width": 40, "max_iterations": 30})
    columns = [TargetInterpreter(name, name, "/x", impl, "3", available=True, info=info)
               for name, impl, info in (("cpython3.13t", "cpython", {"free_threaded": True}),
                                        ("pypy3.9", "pypy", {}), ("cpython3.13", "cpython", {}),
                                        ("cpython3.11", "cpython", {}))]
    variants = ["pure_python", "cffi_c", "cython_openmp"]
    options = compare.CompareOptions(
        selections=[compare.WorkloadSelection(julia, variants, [size])], interpreters=columns, threads=[1, 2],
        method=METHODS["default"], results_dir=tmp_path, work_dir=tmp_path, timeout=1.0, build_timeout=1.0,
        seed=1, command_line=[])
    state = compare.RunState(options, StopRequest(), "run", tmp_path, "now", 0.0)
    state.planned = plan(julia, variants, columns, [1, 2], [size])
    pending = sum(p.status == "pending" for p in state.planned)
    assert compare.baseline_weights(state) == {f"julia-pure_python-cpython3.11-t1-{size.label}": pending - 1}
    options.baseline_interpreter = "cpython3.13"
    assert list(compare.baseline_weights(state)) == [f"julia-pure_python-cpython3.13-t1-{size.label}"]
    options.baseline_interpreter = None
    # no CPython with a GIL
    options.interpreters = [c for c in columns if c.name in ("cpython3.13t", "pypy3.9")]
    state.planned = plan(julia, variants, options.interpreters, [1, 2], [size])
    assert list(compare.baseline_weights(state)) == [f"julia-pure_python-cpython3.13t-t1-{size.label}"]


def test_one_rule_orders_the_baseline_columns():
    from shootout.results.summaries import baseline_columns

    columns = [("cpython3.13t", "cpython", True), ("pypy3.9", "pypy", False),
               ("cpython3.13", "cpython", False), ("cpython3.11", "cpython", False)]
    assert baseline_columns(columns, None) == ["cpython3.11", "cpython3.13", "cpython3.13t"]
    assert baseline_columns(columns, "pypy3.9") == ["pypy3.9"]  # the run's choice, whatever it is
    assert baseline_columns([("pypy3.9", "pypy", False)], None) == []


def test_a_baseline_cell_gets_its_own_larger_minimum():
    key = "julia-baseline-cpython3.11-t1-10x5"
    m = method(processes=6, baseline_processes=12, max_processes=12, run_seconds=0.0)
    _, records, _ = sample(["baseline", "other"], m, baselines={key: 1})
    assert sum(r.variant == "baseline" for r in records) == 12
    assert sum(r.variant == "other" for r in records) == 6
    _, records, _ = sample(["baseline", "other"], method(precision=None, processes=3, baseline_processes=12),
                           baselines={key: 1})
    assert len(records) == 6  # a fixed design is exactly what it says


def _jobs_of(variants, m: Method, baselines=None, plain=None):
    """Run a sampler over simulated workers; (its jobs in order, the plain calls (target, index, round))."""
    from shootout.run.sampling import PlainTarget

    run_one, _calls = simulated_worker()
    jobs, plain_calls = [], []

    def record_job(job):
        jobs.append(job)
        return run_one(job)

    def run_plain(target, index, round_index, padding):
        plain_calls.append((target.beside.cell.variant, index, round_index))
        cell = target.beside.cell
        return PlainRecord(beside=cell.key, size=cell.size.label, workload=cell.workload,
                           variant=cell.variant,
                           interpreter=Interpreter(name=cell.interpreter), round=round_index, status="ok",
                           verified=True, times_seconds=[1.0])

    cells = [planned(v) for v in variants]
    targets = [PlainTarget(c) for c in cells if c.cell.variant in (plain or [])]
    sampler = Sampler(cells, m, seed=1, run_one=record_job, stop=StopRequest(), baselines=baselines,
                      plain=targets, run_plain=run_plain)
    sampler.run()
    return jobs, plain_calls


def test_the_baseline_runs_twice_in_every_round_not_back_to_back_at_the_end():
    """Its minimum is twice the others': two of its processes in each of the six rounds, so its processes span
    the run as every other cell's do."""
    m = method(processes=6, baseline_processes=12, max_processes=12, run_seconds=0.0)
    jobs, _ = _jobs_of(["baseline", "other", "stable"], m, baselines=_baseline_key("baseline"))
    for round_index in range(6):
        in_round = [j.planned.cell.variant for j in jobs if j.round_index == round_index]
        assert sorted(in_round) == ["baseline", "baseline", "other", "stable"], (round_index, in_round)
    assert [j.round_index for j in jobs] == sorted(j.round_index for j in jobs)


def test_the_plain_program_runs_in_the_first_rounds_interleaved():
    m = method(processes=3, precision=None, plain_check=True)
    jobs, plain_calls = _jobs_of(["baseline", "other"], m, plain=["baseline"])
    assert plain_calls == [("baseline", 0, 0), ("baseline", 1, 1), ("baseline", 2, 2)]
    assert len(jobs) == 6


def test_phase_two_rounds_are_blocks_in_which_no_cell_repeats():
    m = method(processes=6, run_seconds=None, max_processes=20)
    jobs, _ = _jobs_of(["noisy", "mild", "stable"], m)
    assert max(j.round_index for j in jobs) > 5  # past the six rounds of the minimum
    blocks: dict[int, list[str]] = {}
    for job in jobs:
        blocks.setdefault(job.round_index, []).append(job.planned.cell.variant)
    assert all(len(v) == len(set(v)) for v in blocks.values()), blocks
    assert [j.round_index for j in jobs] == sorted(j.round_index for j in jobs)


def test_progress_counts_processes_done_of_those_owed_and_then_what_is_still_sampling(capsys):
    sample(["stable", "noisy"], method(processes=6, max_processes=8))
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("[")]
    assert "1 of at least 12 worker processes" in lines[0]
    assert "minimum done, 12 worker processes" in lines[11] and "cells still sampling" in lines[11]
    assert "cells done" not in "\n".join(lines)


def test_pypy_processes_draw_their_code_placement_by_the_seed():
    """docs/jit-code-placement.md: each PyPy process compiles a drawn number of small loops first; CPython
    none."""
    m = method(processes=8, precision=None, layout_paddings=16)
    cells = [PlannedCell(Cell("julia", "pure_python", "pypy3.9", 1, SIZE), "python", "pypy", False,
                         "pending"),
             planned("stable")]
    sampler = Sampler(cells, m, seed=1, run_one=lambda job: None, stop=StopRequest())
    pypy, cpython = sampler.cells
    draws = [sampler.layout_padding(pypy.planned, f"{pypy.key}-p{i}") for i in range(8)]
    assert all(0 <= d < 16 for d in draws) and len(set(draws)) >= 4
    assert draws == [Sampler(cells, m, seed=1, run_one=lambda job: None, stop=StopRequest())
                     .layout_padding(pypy.planned, f"{pypy.key}-p{i}") for i in range(8)]  # seeded
    assert sampler._job(cpython).layout_padding == 0
    assert Sampler(cells, method(), seed=1, run_one=lambda job: None,
                   stop=StopRequest())._job(pypy).layout_padding == 0  # a method without it (older archives)


def test_a_cell_whose_processes_are_counted_apart_gets_more_up_to_twice_its_minimum():
    """The minimum counts processes that give a number: a JIT process with no steady state gives none."""
    from shootout.results import warmup

    falling = [3.0, 2.9, 2.8, 2.7, 2.6, 2.5, 2.4, 2.3, 2.2, 2.1, 2.0, 1.9, 1.8]
    cell = PlannedCell(Cell("julia", "numba_njit", "cpython3.11", 1, SIZE), "numba", "cpython", False,
                       "pending")

    def run(every_other: bool):
        def run_one(job):
            times = falling if every_other and job.process_index % 3 == 0 else [3.0, *[1.0] * 12]
            if not every_other:
                times = falling
            return make_record("numba_njit", "cpython3.11", "cpython", times, technology="numba",
                               process_index=job.process_index, size="10x5", warmup_rule=warmup.JIT_RULE)
        m = method(processes=6, run_seconds=0.0, max_processes=30)
        return Sampler([cell], m, seed=1, run_one=run_one, stop=StopRequest()).run()

    assert len(run(every_other=True)) == 9  # p0, p3, p6 counted apart: 6 usable after 9 processes
    assert len(run(every_other=False)) == 12  # none ever usable: it stops at twice its minimum
