"""`reproduce`: an archive run again from its own record, its sources checked first, the two compared."""

from __future__ import annotations

import json
import shutil
import sys

import pytest
from conftest import PYPY, ROOT, WORK_DIR, only_archive, run_shootout

from shootout.results import archive
from shootout.results.runspec import InterpreterSpec
from shootout.run import reproduce

WORDFREQ = ROOT / "tests" / "fixtures" / "workloads"


@pytest.mark.slow
def test_reproduce_names_an_edited_source_first_then_reruns_and_compares(tmp_path):
    """A copy of the wordfreq fixture workload, run; one variant edited; reproduced: the edited file is named
    before anything runs, the new archive says what it reproduces and carries the comparison."""
    workloads = tmp_path / "workloads"
    shutil.copytree(WORDFREQ, workloads)
    results = tmp_path / "results"
    first = run_shootout("compare", "--workloads-path", str(workloads), "--workload", "wordfreq",
                         "--param", "tokens=20000", "--param", "words=50", "--processes", "5", "--calls", "2",
                         "--variant", "pure_python,python_counter", "--interpreter",
                         f"{sys.executable},{PYPY}", "-o", str(results), "--work-dir", str(WORK_DIR))
    assert first.returncode == 0, first.stderr[-3000:]
    original = only_archive(results)
    edited = workloads / "wordfreq" / "python_counter.py"
    edited.write_text(edited.read_text() + "\n# edited after the run\n")

    again = run_shootout("reproduce", str(original), "-o", str(tmp_path / "again"), "--work-dir",
                         str(WORK_DIR))
    assert again.returncode == 0, again.stderr[-3000:]
    lines = again.stderr.splitlines()
    named = next(i for i, line in enumerate(lines) if "python_counter.py: changed" in line)
    assert named < next(i for i, line in enumerate(lines) if line.startswith("environment "))
    assert "sources changed since" in again.stderr and "1" in lines[named - 1]
    new = archive.read(only_archive(tmp_path / "again"))
    assert new.metadata["reproduces"]["run_id"] == original.name
    comparison = json.loads(new.text(reproduce.REPRODUCTION))
    assert comparison["baseline"] == original.name and len(comparison["cells"]) == 4
    assert "Reproduction of" in new.text("report.html")
    assert "normalised view:" in again.stdout


def test_a_missing_interpreter_is_one_line_naming_it_and_how_to_get_it():
    with pytest.raises(reproduce.UsageError) as caught:
        reproduce.match_interpreter(InterpreterSpec.from_json({
            "name": "cpython3.99", "implementation": "cpython", "version": "3.99.1",
            "executable": "/nonexistent/python3.99", "available": True}))
    message = str(caught.value)
    assert "cpython 3.99.1 (cpython3.99)" in message and "install:" in message and "\n" not in message
