"""Start-up vs steady state (shootout/results/startup.py) and memory per cell (memory.py): the pure logic."""

from __future__ import annotations

import json
import math

import pytest
from factories import JULIA_ROLES, make_record

from shootout.results import memory, pyperf_export, startup, summaries, warmup
from shootout.results.startup import BreakEven, StartupCost, break_even

MIB = 1 << 20


def _cost(one_time: float, steady: float) -> StartupCost:
    return StartupCost(interpreter_start=one_time, import_seconds=0.0, prepare=0.0, first_call=steady,
                       warmup_cost=0.0, steady=steady)


@pytest.mark.parametrize(("cell", "baseline", "expected"), [
    # behind by 0.3 s, 0.01 s a call faster: 30 calls pay for it
    (_cost(0.35, 0.04), _cost(0.05, 0.05), BreakEven(30, "")),
    (_cost(0.35, 0.04), _cost(0.05, 0.0501), BreakEven(30, "")),  # 29.7 calls: the 30th pays
    (_cost(0.05, 0.01), _cost(0.05, 0.05), BreakEven(1, "")),  # ahead from the first call
    (_cost(0.01, 0.06), _cost(0.05, 0.05), BreakEven(1, "")),  # a slower call, but ahead at one call
    (_cost(0.35, 0.05), _cost(0.05, 0.05),
     BreakEven(None, "never: its steady call is not faster than the baseline's")),
])
def test_break_even_is_the_first_call_count_at_which_the_cell_costs_no_more(cell, baseline, expected):
    found = break_even(cell, baseline)
    assert found == expected
    if found.calls is not None and found.calls > 1:
        assert cell.cost(found.calls) <= baseline.cost(found.calls)
        assert cell.cost(found.calls - 1) > baseline.cost(found.calls - 1)


def test_a_slowdown_credits_no_calls_before_its_steady_state():
    # early calls 2 s faster than the slow steady state: one-time stays start + import + prepare
    slowdown = StartupCost(0.05, 0.1, 0.01, 0.1, -2.0, 2.5)
    assert slowdown.one_time == pytest.approx(0.16)
    assert break_even(slowdown, _cost(0.02, 0.4)).calls is None


def test_break_even_is_unknown_when_a_start_up_is_not_recorded():
    older = StartupCost(None, 0.1, 0.0, 0.2, 0.0, 0.1)
    assert break_even(older, _cost(0.05, 0.05)) == BreakEven(
        None, "unknown: the cell's interpreter start not recorded")
    unsteady = StartupCost(0.05, 0.1, 0.0, 0.2, None, None)  # every process counted apart
    assert break_even(_cost(0.05, 0.05), unsteady).note == (
        "unknown: the baseline's warm-up cost and steady call not recorded")


def test_warmup_cost_is_what_the_calls_before_the_steady_state_cost_above_it():
    record = make_record("pure_python", "pypy3.9", "pypy", [1.0, 0.5, 0.2, 0.1, 0.1, 0.1])
    assert startup.warmup_cost(record, warmup.Warmup(3, "warmup")) == pytest.approx(1.4)
    assert startup.warmup_cost(record, warmup.Warmup(1, "first call")) == pytest.approx(1.0 - 0.2)
    assert startup.warmup_cost(record, warmup.Warmup(3, "no steady state", counted=False)) is None


def _records(variant, interpreter, implementation, times, start, imported, peaks, before=30 * MIB, **fields):
    return [make_record(variant, interpreter, implementation, times, process_index=i, technology="python",
                        interpreter_start_seconds=start, import_seconds=imported, prepare_seconds=0.0,
                        memory_before_bytes=before, memory_peak_bytes=peak, memory_peak_method="vmhwm",
                        **fields)
            for i, peak in enumerate(peaks)]


def test_a_summary_states_memory_medians_and_break_even_against_the_baseline_cell():
    base = _records("pure_python", "cpython3.11", "cpython", [0.05] * 4, 0.02, 0.001,
                    [31 * MIB, 32 * MIB, 40 * MIB])
    fast = _records("numpy_vectorised", "cpython3.11", "cpython", [0.02, 0.01, 0.01, 0.01], 0.02, 0.1,
                    [130 * MIB, 131 * MIB, 129 * MIB])
    failed = [make_record("cython_lists", "cpython3.11", "cpython", [], status="crashed")]
    cells = summaries.summarise(base + fast + failed, JULIA_ROLES).set_index("variant")
    numpy = cells.loc["numpy_vectorised"]
    assert numpy["memory_peak_bytes"] == 130 * MIB and numpy["memory_growth_bytes"] == 100 * MIB
    assert numpy["memory_method"] == "vmhwm" and numpy["memory_processes"] == 3
    assert cells.loc["pure_python", "memory_growth_bytes"] == 2 * MIB  # median of 1, 2, 10 MiB
    # one time: 0.02 + 0.1 + (0.02 − 0.01) = 0.13 s against 0.021 s; 0.04 s a call faster: 3 calls
    assert numpy["one_time_seconds"] == pytest.approx(0.13)
    assert numpy["break_even_calls"] == 3 and numpy["break_even_note"] == ""
    assert cells.loc["pure_python", "break_even_note"] == "the baseline"
    assert math.isnan(cells.loc["cython_lists", "break_even_calls"])
    assert math.isnan(cells.loc["cython_lists", "memory_peak_bytes"])


def test_a_cell_says_when_some_peaks_are_lifetime_peaks():
    found = [memory.ProcessMemory(10, 20, "vmhwm"), memory.ProcessMemory(10, 50, "ru_maxrss"),
             memory.ProcessMemory(10, None, None)]
    cell = memory.summarise_cell(found)
    assert cell is not None and cell.method == "ru_maxrss on 1 of 2" and cell.processes == 2
    assert cell.peak == 35 and cell.growth == 25
    assert memory.ProcessMemory(50, 40, "vmhwm").growth == 0  # a call that released memory grew nothing
    assert memory.summarise_cell([memory.ProcessMemory(None, None, None)]) is None


def test_processes_csv_has_the_memory_and_start_up_of_every_process():
    rows = summaries.record_rows(_records("pure_python", "cpython3.11", "cpython", [0.05] * 3, 0.02, 0.001,
                                          [31 * MIB]))
    row = rows.iloc[0]
    assert row["memory_peak_bytes"] == 31 * MIB and row["memory_growth_bytes"] == MIB
    assert row["memory_peak_method"] == "vmhwm" and row["interpreter_start_seconds"] == 0.02
    assert row["warmup_cost_seconds"] == pytest.approx(0.0)


def test_the_pyperf_export_carries_each_processes_peak_as_mem_max_rss():
    records = _records("pure_python", "cpython3.11", "cpython", [0.05] * 3, 0.02, 0.001, [31 * MIB, 33 * MIB])
    records.append(make_record("pure_python", "cpython3.11", "cpython", [0.05] * 3, process_index=2))
    suite = json.loads(pyperf_export.export(records)["cpython3.11"])
    runs = suite["benchmarks"][0]["runs"]
    assert [run.get("metadata", {}).get("mem_max_rss") for run in runs] == [31 * MIB, 33 * MIB, None]
