"""Nothing lost, nothing hidden: each fault is provoked for real and must end as a recorded status or one
line."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT, WORK_DIR, only_archive, run_shootout
from factories import rehash

from shootout import cli
from shootout.results import archive, summaries

TINY = "40x30"


def _compare(results, *args, timeout=900):
    return run_shootout(
        "compare", "--sizes", TINY, "--processes", "1", "--calls", "2", "--jit-calls", "2",
        "--include-test-variants", "--interpreter", sys.executable, "--seed", "11", "-o", str(results),
        "--work-dir", str(WORK_DIR), *args, timeout=timeout,
    )


def _by_variant(path):
    data = archive.read(path)
    summary = summaries.summarise(data.records, data.roles)
    return {row.variant: row for row in summary.itertuples()}


@pytest.mark.slow
def test_crash_and_hang_are_recorded_and_the_rest_still_runs(tmp_path):
    started = time.monotonic()
    proc = _compare(tmp_path, "--variant", "crash_abort,hang_forever,pure_python,cffi_c", "--timeout", "8")
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert time.monotonic() - started < 600
    cells = _by_variant(only_archive(tmp_path))
    assert cells["crash_abort"].status == "crashed" and "SIGABRT" in cells["crash_abort"].error
    assert cells["hang_forever"].status == "timeout" and "8 s" in cells["hang_forever"].error
    for good in ("pure_python", "cffi_c"):
        assert cells[good].status == "ok" and cells[good].verified
    assert "crash_abort on cpython" in proc.stdout and "hang_forever on cpython" in proc.stdout
    # NaN
    assert not cells["crash_abort"].verified and cells["crash_abort"].speedup != cells["crash_abort"].speedup


@pytest.mark.slow
def test_a_worker_that_exits_0_with_a_bad_record_is_crashed_and_the_run_goes_on(tmp_path):
    proc = _compare(tmp_path, "--variant", "truncated_record,malformed_record,pure_python")
    assert proc.returncode == 1, proc.stderr[-3000:]
    cells = _by_variant(only_archive(tmp_path))
    assert cells["truncated_record"].status == "crashed"
    assert "worker exited 0 with no readable record (JSONDecodeError" in cells["truncated_record"].error
    assert cells["malformed_record"].status == "crashed"
    assert "worker exited 0 with a malformed record (field 'times_seconds'" in cells["malformed_record"].error
    assert cells["pure_python"].status == "ok" and cells["pure_python"].verified


@pytest.mark.slow
def test_build_failure_is_recorded_with_its_log(tmp_path):
    proc = _compare(tmp_path, "--variant", "broken_build,pure_python")
    assert proc.returncode == 1, proc.stderr[-3000:]
    path = only_archive(tmp_path)
    cells = _by_variant(path)
    assert cells["broken_build"].status == "build_failed"
    assert cells["pure_python"].status == "ok" and cells["pure_python"].verified
    build = next(b for b in archive.read(path).builds if b["variant"] == "broken_build")
    log = (path / build["log_file"]).read_text()
    assert "error" in log.lower() and "broken_build" in log
    html = (path / "report.html").read_text()
    assert build["log_file"] in html  # linked from the report


def test_missing_compiler_is_a_usage_error(tmp_path, monkeypatch, capsys):
    """In-process (the fast tier): test_exit_codes checks the same exit code through real processes."""
    monkeypatch.setenv("CC", "/nonexistent/gcc-99")
    assert cli.main(["compare", "--variant", "cffi_c", "-o", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "'/nonexistent/gcc-99'" in err
    assert not (tmp_path / "r").exists()


# `python -m shootout` whose archiving phase lasts argv[1] seconds longer (publish sleeps first), so that the
# tests can signal it while it archives; the delay lives here, not in the product.
SLOW_ARCHIVING = """
import sys, time
from shootout import cli
from shootout.results import archive
pause, publish = float(sys.argv.pop(1)), archive.publish
def slow_publish(*args, **kwargs):
    time.sleep(pause)
    return publish(*args, **kwargs)
archive.publish = slow_publish
sys.exit(cli.main())
"""


def _start_compare(results, *args, archive_pause=None):
    start = [sys.executable, "-m", "shootout"] if archive_pause is None else \
        [sys.executable, "-c", SLOW_ARCHIVING, str(archive_pause)]
    cmd = [
        *start, "compare", "--sizes", "200x300", "--processes", "3", "--calls", "3",
        "--jit-calls", "3", "--interpreter", sys.executable, "--seed", "3", "-o", str(results),
        "--work-dir", str(WORK_DIR), *args,
    ]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _wait_for_line(proc, prefix, timeout=600):
    """Read stderr until a line starts with prefix; everything read so far."""
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
        seen += line
        if line.startswith(prefix):
            return seen
    proc.kill()
    pytest.fail(f"never saw {prefix!r}: {seen[-2000:]}")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_archives_partial_run_then_resume_completes_it(tmp_path, sig):
    results = tmp_path / "results"
    proc = _start_compare(results, "--variant", "pure_python,pure_python_expanded_math")
    _wait_for_line(proc, "[1]")  # the first worker finished: interrupt mid-run
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err[-2000:]
    assert "Exception ignored" not in err and "Traceback" not in err
    path = only_archive(results)
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["status"] == "incomplete" and manifest["missing_cells"]
    assert (path / "report.html").read_text().count("incomplete") >= 1
    assert not [p for p in results.iterdir() if p.name.startswith(".")]
    before = {p.name: p.read_bytes() for p in (path / "records").glob("*.json")}
    assert before, "at least one finished process must be archived"
    # the killed one is not counted
    assert all(json.loads(data)["status"] == "ok" for data in before.values())

    resumed = run_shootout("compare", "--resume", str(path), "--work-dir", str(WORK_DIR))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["missing_cells"] == []
    after = archive.read(path)
    assert len(after.records) == 2 * 3
    # cells finished before the interrupt were kept byte for byte, not rerun
    complete_before = {
        name for name in before
        if sum(1 for other in before if other.rsplit("-p", 1)[0] == name.rsplit("-p", 1)[0]) == 3
    }
    for name in complete_before:
        assert (path / "records" / name).read_bytes() == before[name]


@pytest.mark.slow
def test_interrupt_during_a_build_is_not_a_build_failure(tmp_path):
    results = tmp_path / "results"
    proc = _start_compare(results, "--variant", "pure_python,cffi_c,cython_memoryview")
    _wait_for_line(proc, "build ")
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err[-2000:]
    path = only_archive(results)
    data = archive.read(path)
    assert data.manifest["status"] == "incomplete"
    assert all(r.status != "build_failed" for r in data.records)
    assert all(b["status"] != "build_failed" for b in data.builds)


@pytest.mark.slow
def test_second_signal_while_archiving_warns_and_the_archive_completes(tmp_path):
    results = tmp_path / "results"
    proc = _start_compare(results, "--variant", "pure_python", archive_pause=3)
    _wait_for_line(proc, "[1]")
    proc.send_signal(signal.SIGINT)
    _wait_for_line(proc, "archiving ")
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130
    assert "still archiving: press Ctrl-C again to abandon" in err
    path = only_archive(results)
    assert archive.read(path).manifest["status"] == "incomplete"


@pytest.mark.slow
def test_third_signal_while_archiving_abandons_without_a_trace(tmp_path):
    results = tmp_path / "results"
    runs_before = set((WORK_DIR / "runs").glob("*"))
    proc = _start_compare(results, "--variant", "pure_python", archive_pause=30)
    _wait_for_line(proc, "[1]")
    proc.send_signal(signal.SIGINT)
    _wait_for_line(proc, "archiving ")
    proc.send_signal(signal.SIGINT)
    _wait_for_line(proc, "still archiving")
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "abandoned: no archive written" in err
    assert not results.exists() or not list(results.iterdir())
    assert set((WORK_DIR / "runs").glob("*")) == runs_before  # the staged archive was removed too


def _archive_copy(tmp_path):
    """A copy of the small real v1 fixture archive (fast: no compare needed)."""
    copy = tmp_path / "archive"
    shutil.copytree(ROOT / "tests" / "fixtures" / "archive-v1", copy)
    return copy


def _report_fails(path, needle, capsys):
    """`report` on a damaged archive, in-process (test_exit_codes runs the real commands): exit 2, one line on
    stderr naming the damage, no traceback, and no report written."""
    assert cli.main(["report", str(path)]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], lines
    assert "Traceback" not in err and not (path / "report.html").exists()


def test_corrupt_archive_missing_file(tmp_path, capsys):
    path = _archive_copy(tmp_path)
    (path / "metadata.json").unlink()
    _report_fails(path, "manifest lists metadata.json but the file is missing", capsys)


def test_corrupt_archive_unknown_schema(tmp_path, capsys):
    path = _archive_copy(tmp_path)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["schema_version"] = 99
    (path / "manifest.json").write_text(json.dumps(manifest))
    _report_fails(path, "unknown schema_version 99", capsys)


def test_corrupt_archive_truncated_gzip(tmp_path, capsys):
    path = _archive_copy(tmp_path)
    data = (path / "timings.csv.gz").read_bytes()
    (path / "timings.csv.gz").write_bytes(data[: len(data) // 2])
    _report_fails(path, "timings.csv.gz does not match its sha256", capsys)
    rehash(path)  # even with a consistent manifest, the truncated gzip is refused in one line
    _report_fails(path, "timings.csv.gz: unreadable", capsys)


def test_corrupt_archive_manifest_is_not_json(tmp_path, capsys):
    path = _archive_copy(tmp_path)
    (path / "manifest.json").write_text("{not json")
    _report_fails(path, "manifest.json: not valid JSON", capsys)


def test_archive_is_read_without_pickle_or_eval():
    import ast

    for module in ("results/archive.py", "cli.py"):
        tree = ast.parse((ROOT / "shootout" / module).read_text())
        imported = {a.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                    for a in node.names} | {node.module for node in ast.walk(tree)
                                            if isinstance(node, ast.ImportFrom)}
        called = {node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                  for node in ast.walk(tree) if isinstance(node, ast.Call)}
        assert not {"pickle", "marshal", "shelve"} & imported, module
        assert not {"eval", "exec", "read_pickle"} & called, module


@pytest.mark.slow
def test_two_compares_at_once_share_a_fresh_work_dir_safely(tmp_path):
    """Both create the same env and the same reference at the same moment: one waits for the other's lock,
    both archives complete and verify, and the env is whole (its marker written once it was)."""
    from test_exit_codes import _env, nox_cmd

    work, results = tmp_path / "work", tmp_path / "results"
    args = ["compare", "--sizes", "40x30", "--processes", "2", "--calls", "2", "--interpreter",
            sys.executable, "--variant", "pure_python,cffi_c", "-o", str(results), "--work-dir", str(work)]
    procs = [subprocess.Popen(nox_cmd(*args), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, env=_env()) for _ in range(2)]
    outputs = [p.communicate(timeout=1200)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs[0][-2000:] + outputs[1][-2000:]
    assert any("waiting for another pyshootout run using" in out for out in outputs)
    archives = sorted(p for p in results.iterdir() if not p.name.startswith("."))
    assert len(archives) == 2 and not [p for p in results.iterdir() if p.name.startswith(".")]
    for path in archives:
        data = archive.read(path)
        assert data.manifest["status"] == "complete"
        assert all(r.status == "ok" and r.verified for r in data.records)
    marker = next((work / "envs").glob("*/.shootout-env.json"))
    assert json.loads(marker.read_text())["executable"]
