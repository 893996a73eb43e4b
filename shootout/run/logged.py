"""Run a child process with its whole output in a log file the archive keeps (env, reference, build, profile).

The child gets its own session, so a Ctrl-C at the terminal reaches only the orchestrator, which then kills
the child's whole group through `stop` (see interrupts.py) instead of each child dying at its own moment.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .interrupts import NO_STOP, StopRequest, kill_group


def run_logged(
    cmd: list[str], log: Path, *, mode: str = "w", timeout: float | None = None, cwd: Path | None = None,
    env: dict | None = None, stop: StopRequest = NO_STOP,
) -> int | None:
    """The exit code, or None when the timeout killed it; the log shows the command line and the exit code.

    When `stop` is requested meanwhile the child is killed and its (negative) code returned: callers check
    `stop.requested` before treating that as a failure.
    """
    with log.open(mode) as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        proc = subprocess.Popen(
            cmd, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=cwd, env=env,
            start_new_session=True,
        )
        with stop.child(proc):
            try:
                returncode = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                kill_group(proc)
                proc.wait()
                returncode = None
        fh.write(f"\n# exit code: {returncode}\n")
    return returncode
