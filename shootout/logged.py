"""Run a child process with its whole output in a log file the archive keeps (env, reference, build, profile)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def run_logged(
    cmd: list[str], log: Path, *, mode: str = "w", timeout: float | None = None, cwd: Path | None = None,
    env: dict | None = None,
) -> int | None:
    """The exit code, or None when the timeout killed it; the log shows the command line and the exit code."""
    with log.open(mode) as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        try:
            returncode = subprocess.run(
                cmd, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=cwd, env=env,
                timeout=timeout, check=False,
            ).returncode
        except subprocess.TimeoutExpired:
            returncode = None
        fh.write(f"\n# exit code: {returncode}\n")
    return returncode
