"""The harness-overhead check: the baseline kernel in the harness against the same kernel run plainly.

Fast tier: the comparison on records whose numbers are known, and the plain record's checks. Slow tier: a real
run of both workloads' baselines beside their plain programs, on CPython and PyPy, whose later calls must not
be more than overhead.LIMIT slower in the harness (the CI wholly above it fails the test: a harness that
changes the code PyPy's JIT generates, as importing hashlib before the calls did, costs 8-10%).
"""

from __future__ import annotations

import json
import sys

import pytest
from conftest import PYPY, WORK_DIR, only_archive, run_shootout
from factories import make_record

from shootout.results import archive, overhead
from shootout.results.records import Interpreter, PlainRecord, RecordError


def plain(times, index=0, status="ok", interpreter="cpython3.11"):
    return PlainRecord(workload="julia", variant="pure_python", threads=1,
                       beside=f"julia-pure_python-{interpreter}-t1-10x5", size="10x5",
                       interpreter=Interpreter(name=interpreter, implementation="cpython"),
                       process_index=index,
                       times_seconds=times, status=status, verified=status == "ok")


def harness(times, index=0, interpreter="cpython3.11"):
    return make_record("pure_python", interpreter, "cpython", times, process_index=index)


def test_call_k_is_compared_with_call_k_over_the_plain_programs_calls():
    plains = [plain([2.0 + i / 100, 1.0 + i / 1000, 1.0 + i / 1000], i) for i in range(6)]
    slower = [harness([2.0 + i / 100, 1.05 + i / 1000, 1.05 + i / 1000, 9.9], i) for i in range(6)]
    [found] = overhead.check(slower, plains)
    assert found.calls == 3 and found.harness_processes == found.plain_processes == 6
    assert found.first.value == pytest.approx(1.0)
    assert found.later.value == pytest.approx(1.05, rel=1e-3)  # call 4 (9.9 s) is past N: not compared
    assert found.flagged and found.later.interval.low > 1 + overhead.LIMIT


def test_a_harness_within_the_noise_is_not_flagged_and_failed_plain_processes_are_counted():
    plains = [plain([2.0, 1.0 + (-1) ** i * 0.02], i) for i in range(6)] + [plain([], 6, status="crashed")]
    same = [harness([2.0, 1.0 + (-1) ** (i + 1) * 0.02], i) for i in range(6)]
    [found] = overhead.check(same, plains)
    assert not found.flagged and found.failed_plain == 1
    assert overhead.describe(found.later).startswith("+0.0%")


def _problem(data) -> str | None:
    try:
        PlainRecord.from_json(data)
    except RecordError as exc:
        return str(exc)
    return None


def test_a_plain_record_is_checked_like_a_worker_record():
    assert _problem(plain([1.0]).to_json()) is None
    assert "kind" in _problem({"kind": "worker"})
    assert "times_seconds" in _problem(plain([-1.0]).to_json())
    assert _problem({**plain([1.0]).to_json(), "verified": False}) == "verified False with status ok"


@pytest.mark.slow
def test_the_harness_adds_nothing_measurable_to_the_baselines_calls(tmp_path):
    """Both workloads' baselines, each beside its plain program, interleaved, on CPython and PyPy.

    Sizes where a PyPy call lasts milliseconds: at 96x96x12 (a third of a millisecond) both programs' calls
    2..9 are still in PyPy's warm-up, and differences of 20 microseconds in it came out as +5..+11%."""
    if PYPY is None:
        pytest.fail("pypy3 is not installed: apt-get install pypy3 pypy3-dev pypy3-venv (see README)")
    results = tmp_path / "results"
    proc = run_shootout(
        "compare", "--workload", "julia,diffusion", "--variant", "pure_python", "--param", "width=400",
        "--param", "n=160", "--param", "steps=40", "--processes", "6", "--interpreter",
        f"{sys.executable},{PYPY}", "--seed", "3", "-o", str(results), "--work-dir", str(WORK_DIR))
    assert proc.returncode == 0, proc.stderr[-4000:]
    data = archive.read(only_archive(results))
    checked = overhead.check(data.records, data.plain)
    assert {(o.workload, o.interpreter.startswith("pypy")) for o in checked} == \
        {(w, pypy) for w in ("julia", "diffusion") for pypy in (False, True)}
    for o in checked:
        assert o.plain_processes == 6 and o.failed_plain == 0, o
        assert not o.flagged, f"{o.beside}: later calls {overhead.describe(o.later)} in the harness"
    manifest = json.loads((data.path / "manifest.json").read_text())
    assert sum(name.startswith("plain/") for name in manifest["files"]) == 24
