"""The exit codes in README.md are what a user gets, through `nox -s ...` and through `python -m shootout
...`.

Each documented code is provoked for real both ways (nox runs the noxfile of this checkout, reusing its
session venvs), and the README's table must list exactly the codes provoked here.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT, WORK_DIR
from test_archive_faults import FIXTURE, tiny_disk  # noqa: F401 - the fixture is used by name

TINY = ["--sizes", "40x30", "--processes", "1", "--calls", "2", "--interpreter", sys.executable,
        "--work-dir", str(WORK_DIR)]


def _env() -> dict:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("NOX_CURRENT_SESSION", None)
    return env


def shootout_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "shootout", *args]


def nox_cmd(*args: str) -> list[str]:
    session, *rest = args
    return [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), "-s", session, "--", *rest]


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1200, env=_env(),
                          stdin=subprocess.DEVNULL, check=False)


def readme_codes() -> dict[int, str]:
    text = (ROOT / "README.md").read_text()
    table = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"^\| `(\d+)` \| (.+?) \|$", table,
                                                             re.MULTILINE)}


CASES = {
    0: lambda out: ["compare", *TINY, "--variant", "pure_python", "-o", str(out)],
    1: lambda out: ["compare", *TINY, "--variant", "wrong_kernel", "--include-test-variants", "-o", str(out)],
    2: lambda out: ["compare", "--variant", "no_such_variant", "-o", str(out)],
}


def test_readme_lists_exactly_the_codes_tested_here():
    assert set(readme_codes()) == set(CASES) | {3, 130}


@pytest.mark.slow
@pytest.mark.parametrize("code", sorted(CASES))
@pytest.mark.parametrize("via", ["nox", "python -m shootout"])
def test_exit_code(code, via, tmp_path):
    args = CASES[code](tmp_path / "results")
    proc = run(nox_cmd(*args) if via == "nox" else shootout_cmd(*args))
    assert proc.returncode == code, proc.stdout[-2000:] + proc.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.parametrize("via", ["nox", "python -m shootout"])
def test_exit_code_3_when_the_output_cannot_be_written(via, tiny_disk):  # noqa: F811
    args = ["report", str(FIXTURE), "-o", str(tiny_disk / "report.html")]
    proc = run(nox_cmd(*args) if via == "nox" else shootout_cmd(*args))
    assert proc.returncode == 3, proc.stdout[-2000:] + proc.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.parametrize("via", ["nox", "python -m shootout"])
def test_exit_code_130_on_ctrl_c(via, tmp_path):
    """Ctrl-C at a terminal signals the whole foreground process group: nox and the orchestrator alike."""
    args = ["compare", *TINY, "--sizes", "200x300", "--processes", "3", "--variant", "pure_python",
            "-o", str(tmp_path / "results")]
    cmd = nox_cmd(*args) if via == "nox" else shootout_cmd(*args)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=_env(), start_new_session=True)
    deadline, seen = time.monotonic() + 600, ""
    while time.monotonic() < deadline and "[1]" not in seen:
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
    assert "[1]" in seen, seen[-2000:]
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 130, (seen + out)[-3000:]
