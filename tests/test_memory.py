"""Peak memory and start-up as the harness measures them (workloads/harness.py), in this process."""

from __future__ import annotations

import os

import pytest

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
