"""Peak memory and start-up as the harness measures them (workloads/harness.py), in this process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from workloads import harness

MIB = 1 << 20


def _touch(size: int) -> bytearray:
    """`size` bytes, every page written (resident, not just reserved)."""
    block = bytearray(size)
    block[::4096] = b"x" * len(block[::4096])
    return block


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="Linux /proc only")
def test_the_peak_of_a_call_is_reset_before_it_and_covers_what_it_allocated():
    memory = harness.PeakMemory()
    try:
        assert memory.method == "vmhwm"
        _touch(64 * MIB)  # a peak before the calls, freed at once: the reset must forget it
        memory.reset()
        memory.note()
        quiet = memory.peak
        before = memory.resident()
        assert quiet < before + 32 * MIB
        memory.reset()
        block = _touch(64 * MIB)
        memory.note()
        del block
        assert memory.peak >= before + 60 * MIB
        memory.reset()
        memory.note()
        assert memory.peak >= before + 60 * MIB  # the largest call's peak is kept
    finally:
        memory.close()


def test_without_clear_refs_the_peak_is_ru_maxrss_and_says_so(monkeypatch):
    real_open = os.open

    def refuse_clear_refs(path, *args):
        if str(path).endswith("clear_refs"):
            raise PermissionError(path)
        return real_open(path, *args)

    monkeypatch.setattr(harness.os, "open", refuse_clear_refs)
    memory = harness.PeakMemory()
    try:
        memory.reset()
        memory.note()
        assert memory.method == "ru_maxrss" and memory.peak == harness._rusage_peak_bytes() > 0
    finally:
        memory.close()


def test_status_values_are_read_in_bytes():
    status = b"Name:\tpython\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n"
    assert harness._status_bytes(status, b"VmRSS:") == 1024 * 1024
    assert harness._status_bytes(status, b"VmHWM:") == 2048 * 1024
    assert harness._status_bytes(status, b"VmSwap:") is None


def test_start_up_is_measured_only_from_a_launch_before_the_harness_started():
    start = harness._HARNESS_START_MONOTONIC
    assert harness.interpreter_start_seconds(start - 0.25) == pytest.approx(0.25)
    assert harness.interpreter_start_seconds(None) is None
    assert harness.interpreter_start_seconds(start + 1.0) is None  # another clock: not a duration


# ---------------------------------------------------------------- real workers (slow tier)

HARNESS = ROOT / "workloads" / "harness.py"
# 8 MiB arrays: numpy_roll's four rolled copies and its temporaries are far above any allocator's noise
LARGE = {"n": 1024, "steps": 2}


@pytest.mark.slow
def test_every_verified_worker_of_a_real_run_records_its_memory_and_start_up(quick_data):
    ok = [r for r in quick_data.records if r.ok]
    assert {r.interpreter.implementation for r in ok} == {"cpython", "pypy"}
    for r in ok:
        where = f"{r.variant} on {r.interpreter.name} p{r.process_index}"
        assert r.memory_peak_method == "vmhwm", where
        assert 4 * MIB < r.memory_before_bytes <= r.memory_peak_bytes < 4096 * MIB, where
        assert 0 < r.interpreter_start_seconds < 10, where


def _environment_python(data, implementation: str) -> str:
    """The target environment's interpreter of the archive's column of this implementation."""
    record = next(r for r in data.records if r.ok and r.interpreter.implementation == implementation)
    return data.metadata["environments"][record.environment.name]["python"]


@pytest.fixture(scope="module")
def large_reference(tmp_path_factory) -> Path:
    reference = tmp_path_factory.mktemp("large") / "reference.json"
    subprocess.run([sys.executable, str(HARNESS), "--workload", "diffusion", "--make-reference", "--params",
                    json.dumps(LARGE), "--out", str(reference)], check=True, cwd=ROOT, capture_output=True)
    return reference


@pytest.mark.slow
@pytest.mark.parametrize("implementation", ["cpython", "pypy"])
def test_a_kernel_that_allocates_large_arrays_shows_them_as_growth(quick_data, large_reference, tmp_path,
                                                                   implementation):
    params, reference = json.dumps(LARGE), large_reference
    out = tmp_path / "record.json"
    subprocess.run([_environment_python(quick_data, implementation), str(HARNESS), "--workload", "diffusion",
                    "--variant", "numpy_roll", "--params", params, "--calls", "2", "--reference",
                    str(reference), "--out", str(out), "--launched-at", repr(time.monotonic())],
                   check=True, cwd=ROOT, capture_output=True)
    record = json.loads(out.read_text())
    assert record["status"] == "ok" and record["memory_peak_method"] == "vmhwm"
    assert 0 < record["interpreter_start_seconds"] < 10
    # the four rolled copies and the expression's temporaries of one step: several of its 8 MiB arrays
    assert record["memory_peak_bytes"] - record["memory_before_bytes"] >= 3 * 8 * MIB
