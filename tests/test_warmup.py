"""Warm-up on synthetic series (no timing here): the worker's stop rule, the change-point split, the classes,
and which processes a cell's estimate counts."""

from __future__ import annotations

import math
import types

import numpy as np
import pytest
import ruptures
from factories import make_record

from shootout.results import summaries, warmup
from shootout.run.matrix import METHODS, CallPlan
from workloads.harness import stop_reason

# ------------------------------------------------------------------ the split (JIT cells)


def test_flat_series_is_flat_and_steady_after_first_call():
    w = warmup.classify([1.3, 1.0, 1.01, 0.99, 1.0, 1.0, 1.0, 1.01])
    assert w.classification == "flat" and w.steady_start == 1 and w.counted


def test_jit_warmup_is_detected_with_its_steady_start():
    w = warmup.classify([5.0, 3.0, 2.0, 1.5, 1.02, 1.0, 0.99, 1.01, 1.0, 1.0, 0.98, 1.0])
    assert w.classification == "warmup" and w.steady_start in (4, 5)  # 1.02 is at the level, 1.5 is not


def test_slowdown_is_detected_two_sided():
    w = warmup.classify([1.0, 1.0, 1.0, 1.0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5])
    assert w.classification == "slowdown" and w.steady_start == 4


def test_a_mid_run_transient_is_not_warmup():
    """The level was reached at call 2: a slower stretch after it leaves the class flat, the last segment
    steady."""
    w = warmup.classify([2, 1, 1, 1.5, 1.5, 1.5, 1, 1, 1, 1, 1, 1])
    assert w.classification == "flat" and w.steady_start == 6
    assert w.reached == 1  # what a cell's later processes learn: warmed up from call 2
    assert [round(m, 3) for _s, _e, m in w.segments] == [1.0, 1.5, 1.0]


def test_a_lone_spike_is_set_aside_for_segmentation_but_counted():
    for series in ([1.3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1.6], [1.3, 1, 1, 1, 2.0, 1, 1, 1, 1, 1, 1]):
        w = warmup.classify(series)
        assert w.classification == "flat" and w.steady_start == 1 and len(w.segments) == 1


def test_the_first_call_of_a_warm_up_is_not_a_lone_spike():
    """Under jit-v3 the call after call 1, slower than the next by more than SPIKE, was set aside as a spike:
    the warm-up it began went unseen and the call stayed in a 'flat' mean."""
    series = [1.2, 0.88, 0.62, 0.61, 0.57, 0.58, 0.57, 0.58, 0.57, 0.58, 0.57, 0.58]
    old, new = warmup.classify(series, "jit-v3"), warmup.classify(series)
    assert (old.classification, old.steady_start) == ("flat", 1)
    assert new.classification == "warmup" and new.steady_start >= 3


def test_a_one_off_spike_ends_the_warm_up_and_a_recurring_one_is_the_steady_states_cost():
    """numpy_vectorised on PyPy: calls 2-4 warm up, call 7 is PyPy's first major collection (three times a
    steady call), then no other: the steady state starts after it, and the learned plan waits for it. Two
    spikes in the steady state recur: they stay in its mean."""
    one_off = [1.2, 0.88, 0.62, 0.61, 0.57, 0.63, 1.76, 0.55, 0.56, 0.57, 0.55, 0.56, 0.62, 0.58, 0.59]
    split = warmup.classify(one_off)
    assert split.steady_start == 7 and split.reached == 7 and split.counted
    assert np.mean(split.steady_calls(one_off)) == pytest.approx(np.mean(one_off[7:]))
    assert warmup.classify(one_off, "jit-v3").steady_start < 6  # the old rule counted the collection
    recurring = one_off[:12] + [1.7] + one_off[7:]
    assert warmup.classify(recurring).steady_start < 6
    too_soon = one_off[:7 + warmup.ONE_OFF_AFTER - 1]
    assert warmup.classify(too_soon).steady_start < 6


def test_a_gradual_warmup_no_longer_hides_in_the_noise_estimate():
    """Noiseless: 1.5, 1.21, 1.10, then the level. From successive differences σ was the warm-up's own steps,
    the curve one segment, "flat", and its mean 6% high; second differences see no noise and split it."""
    curve = [1.5, 1.21, 1.10, 1.0, 1.0, 1.0]
    old = warmup.classify(curve, "jit-v2")
    # an archive run under it re-renders as it was
    assert (old.classification, old.steady_start) == ("flat", 1)
    new = warmup.classify(curve)
    assert (new.classification, new.steady_start) == ("warmup", 3)
    assert np.mean(curve[new.steady_start:]) == pytest.approx(1.0)


@pytest.mark.parametrize("calls", [7, 10, 20, 30])
def test_noise_alone_is_rarely_called_no_steady_state(calls):
    """2% noise per call: medians of halves of 3 calls differ by more than 2% in about 3 series of 10 (the old
    drift test at 7 to 10 calls); the trend test knows the noise."""
    rng = np.random.default_rng(7)
    series = [[0.135, *(0.09 * (1 + rng.normal(0, 0.02, calls - 1)))] for _ in range(400)]
    classes = [warmup.classify(t).classification for t in series]
    assert classes.count("no steady state") <= 0.03 * len(series)
    if calls in (7, 10):
        old = [warmup.classify(t, "jit-v2").classification for t in series]
        assert old.count("no steady state") > 0.1 * len(series)


def test_the_cumulative_cost_cuts_where_ruptures_own_least_squares_cost_does():
    """warmup.SquaredErrorCost is ruptures' "l2" cost computed from cumulative sums: the same change points on
    warm-ups, level shifts and noise at the penalties the rule uses."""
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(4, 40))
        step = np.where(np.arange(n) < rng.integers(0, n), rng.choice([0.0, 0.05, 0.3]), 0.0)
        x = (1 + step + rng.normal(0, rng.choice([0.002, 0.01, 0.03]), n)).reshape(-1, 1)
        pen = warmup.PENALTY * float(rng.choice([0.002, 0.01, 0.03])) ** 2 * math.log(n)
        theirs = ruptures.Pelt(model="l2", min_size=2, jump=1).fit(x).predict(pen=pen)
        ours = ruptures.Pelt(custom_cost=warmup.SquaredErrorCost(), min_size=2, jump=1)
        assert ours.fit(x).predict(pen=pen) == theirs


def test_a_series_still_changing_at_its_end_is_counted_apart():
    falling = [3.0, 2.9, 2.8, 2.7, 2.6, 2.5, 2.4, 2.3, 2.2, 2.1, 2.0, 1.9, 1.8]
    w = warmup.classify(falling)
    assert w.classification == "no steady state" and not w.counted
    old = warmup.classify(falling, "jit-v2")
    assert old.classification == "no steady state" and old.counted and old.steady_start == 1


def test_a_process_counted_apart_gives_its_cell_no_mean():
    falling = make_record("numba_njit", "cpython3.11", "cpython",
                          [3.0, 2.9, 2.8, 2.7, 2.6, 2.5, 2.4, 2.3, 2.2], technology="numba",
                          warmup_rule=warmup.JIT_RULE)
    flat = make_record("numba_njit", "cpython3.11", "cpython", [3.0, 1, 1, 1, 1, 1, 1, 1, 1],
                       technology="numba", warmup_rule=warmup.JIT_RULE, process_index=1)
    assert summaries.process_means([falling, flat])[flat.cell_key].tolist() == [1.0]


def test_old_records_keep_the_rule_they_were_run_under():
    noisy = [0.135, 0.088, 0.090, 0.091]  # the first rule compared call 2 with call 4: 3.4% apart
    old = make_record("numba_njit", "cpython3.11", "cpython", noisy, technology="numba", warmup_rule="jit")
    unlabelled = make_record("numba_njit", "cpython3.11", "cpython", noisy, technology="numba")
    v2 = make_record("numba_njit", "cpython3.11", "cpython", noisy, technology="numba", warmup_rule="jit-v2")
    assert warmup.steady_part(old).classification == warmup.steady_part(unlabelled).classification == \
        "no steady state"
    assert warmup.steady_part(v2).classification == "flat"


def test_aot_cells_only_set_the_first_call_apart():
    """CPython without a JIT: nothing but call 1 is ever dropped, whatever the series looks like."""
    record = make_record("pure_python", "cpython3.11", "cpython", [5.0, 3.0, 1.0, 1.0])
    assert warmup.steady_part(record) == warmup.Warmup(1, "first call")
    numba = make_record("numba_njit", "cpython3.11", "cpython", [5.0, 3.0, 1.0, 1.0], technology="numba")
    assert warmup.steady_part(numba).classification != "first call"


# ------------------------------------------------------------------ one first-call rule


def test_every_cell_sets_its_first_call_apart_pure_python_on_cpython_too():
    """A speedup divides the baseline's steady calls by the cell's: both sides drop call 1."""
    assert warmup.rule_for("cpython", "python") == warmup.rule_for("cpython", "cython") == "aot"
    assert warmup.rule_for("pypy", "python") == warmup.rule_for("cpython", "numba") == warmup.JIT_RULE
    record = make_record("pure_python", "cpython3.11", "cpython", [5.0, 3.0, 1.0, 1.0], warmup_rule="aot")
    assert warmup.steady_part(record) == warmup.Warmup(1, "first call")
    interpreted = make_record("pure_python", "cpython3.11", "cpython", [4.2, 4.0], warmup_rule="interpreted")
    assert warmup.steady_part(interpreted) == warmup.Warmup(0, "interpreted")  # archives run under it


def test_calls_per_process_follow_the_rule():
    m = METHODS["default"]
    assert m.calls_for("aot") == CallPlan(m.warmups + m.calls, m.warmups + 1, m.call_seconds)
    explore = m.calls_for(warmup.JIT_RULE)
    assert (explore.most, explore.least, explore.seconds) == (m.jit_calls, 1 + m.jit_steady_calls,
                                                              m.jit_seconds)
    learned = m.calls_for(warmup.JIT_RULE, steady_start=8)  # steady from call 9: 8 + the steady stretch
    assert learned.most == learned.least == 8 + m.jit_steady_calls and "call 9" in learned.note
    assert m.calls_for(warmup.JIT_RULE, steady_start=40).most == m.jit_calls  # never past the cap
    before = METHODS["default"].__class__(**{**m.to_json(), "jit_steady_calls": None})
    assert before.calls_for("jit-v2") == CallPlan(m.jit_calls, m.jit_min_calls, m.jit_seconds)


# ------------------------------------------------------------------ the worker's caps, the sampler's plan


def test_the_worker_stops_at_its_cap_in_calls_or_past_its_minimum_in_seconds():
    args = types.SimpleNamespace(calls=10, min_calls=4, max_seconds=3.0)
    assert stop_reason([1.0] * 3, args) is None and stop_reason([1.0] * 4, args) == "seconds"
    assert stop_reason([0.1] * 10, args) == "calls" and stop_reason([0.1] * 9, args) is None


def _jobs_over(series, variant="numba_njit"):
    """The jobs a sampler gives one JIT cell whose processes all make calls taken from `series`."""
    from shootout.run.interrupts import StopRequest
    from shootout.run.matrix import Cell, ParamSet, PlannedCell
    from shootout.run.sampling import Sampler

    size = ParamSet("10x5", (("size", "10x5"),))
    cell = PlannedCell(Cell("julia", variant, "cpython3.11", 1, size), "numba", "cpython", False, "pending")
    jobs = []

    def run_one(job):
        jobs.append(job)
        return make_record(variant, "cpython3.11", "cpython", series[:job.calls.most], technology="numba",
                           process_index=job.process_index, size="10x5", warmup_rule=warmup.JIT_RULE)

    m = METHODS["default"].__class__(**{**METHODS["default"].to_json(), "precision": None, "processes": 3})
    Sampler([cell], m, seed=1, run_one=run_one, stop=StopRequest()).run()
    return jobs


def test_a_jit_cells_first_process_explores_and_the_others_make_what_its_warm_up_needs():
    """numpy on PyPy settled only after its eighth call: 7 calls a process had stopped inside its warm-up."""
    steady_calls = METHODS["default"].jit_steady_calls
    long_warmup = [3.7, 2.0, 1.6, 1.4, 1.3, 1.2, 1.6, 1.4, *[1.0] * 22]
    jobs = _jobs_over(long_warmup)
    assert (jobs[0].calls.note == "exploring the warm-up"
            and jobs[0].calls.most == METHODS["default"].jit_calls)
    start = warmup.classify(long_warmup).steady_start
    assert start >= 7 and [j.calls.most for j in jobs[1:]] == [start + steady_calls] * 2
    assert [j.calls.most for j in _jobs_over([2.0, *[1.0] * 29])[1:]] == [1 + steady_calls] * 2


def test_a_cell_says_how_many_processes_it_counted_apart_and_why_it_has_no_time():
    from factories import JULIA_ROLES

    def jit(times, index):
        return make_record("numba_njit", "cpython3.11", "cpython", times, technology="numba",
                           process_index=index, warmup_rule=warmup.JIT_RULE)

    flat, falling = [3.0, *[1.0] * 8], [3.0, 2.9, 2.8, 2.7, 2.6, 2.5, 2.4, 2.3, 2.2, 2.1, 2.0, 1.9, 1.8]
    apart = [jit(falling, i) for i in range(3)]
    row = summaries.summarise([jit(flat, 3), jit(flat, 4), *apart], JULIA_ROLES).iloc[0]
    assert row["counted_apart"] == 3 and row["verified"] and row["median_seconds"] == pytest.approx(1.0)
    row = summaries.summarise(apart, JULIA_ROLES).iloc[0]
    assert not row["verified"] and "no steady state in any of its 3 processes" in row["error"]
