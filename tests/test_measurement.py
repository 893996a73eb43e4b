"""The measurement conditions, provoked for real: a CPU burner on a worker's CPU makes its cell `disturbed`;
every call's output is verified; timed regions and interference are in every record."""

from __future__ import annotations

import os
import sys

import pytest
from conftest import WORK_DIR, only_archive, run_shootout
from factories import cpu_burners

from shootout.results import archive, summaries
from shootout.run import runner


@pytest.mark.slow
def test_a_burner_on_the_workers_cpu_flags_the_cell_disturbed_with_evidence(tmp_path):
    cpu = runner.cpus_for(1)[0]  # where a serial worker is pinned
    with cpu_burners({cpu}):
        proc = run_shootout("compare", "--sizes", "150x300", "--processes", "1", "--calls", "4", "--variant",
                            "pure_python", "--interpreter", sys.executable, "-o", str(tmp_path),
                            "--work-dir", str(WORK_DIR))
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = archive.read(only_archive(tmp_path))
    record = data.records[0]
    seen = record.interference
    assert record.cpu_pinned == [cpu] and record.load_before is not None
    assert seen.cpu_seconds < 0.8 * seen.wall_seconds and seen.involuntary_switches > 0
    row = summaries.summarise(data.records, data.roles).iloc[0]
    assert row["disturbed"].startswith("1 of 1 processes: got ") and "of its CPU" in row["disturbed"]
    if seen.cpu_pressure_seconds is not None:  # a kernel with PSI sees the worker and the burner wait
        assert seen.cpu_pressure_seconds > 0.3 * seen.wall_seconds and "waited for a CPU" in row["disturbed"]


@pytest.mark.slow
def test_every_call_is_verified_and_timed_regions_are_recorded(quick_data):
    for r in quick_data.records:
        if r.status != "ok":
            continue
        assert r.calls_verified == len(r.times_seconds)
        assert len(r.output_seconds) in (1, len(r.times_seconds))  # first call, or every call (own to_list)
        assert r.prepare_seconds is not None and r.interference.wall_seconds > 0
        threads = r.threads
        assert len(r.cpu_pinned) == min(threads, len(os.sched_getaffinity(0)))


@pytest.mark.slow
def test_every_record_says_when_its_process_started_and_processes_never_overlap(quick_data):
    timed = sorted((r.started_at, r.process_wall_seconds or 0.0, r.status) for r in quick_data.records
                   if r.status not in ("unsupported", "skipped", "build_failed"))
    assert timed and all(isinstance(t, float) for t, _, _ in timed)
    for (start, wall, _), (next_start, _, _) in zip(timed, timed[1:]):
        assert next_start >= start + wall - 0.01  # one worker at a time: timing is never shared with another
