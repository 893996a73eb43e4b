"""SIGINT and SIGTERM as state, never as exceptions.

A handler that raises lands wherever the main thread happens to be: inside a logging lock release or a
__del__, Python prints "Exception ignored" and the interrupt is lost (seen on a loaded machine). So the
handler here only records the signal and kills the child process group that is running (a worker, a build, an
env install), which makes whatever the main thread waits on return at once; the run loop asks `requested`
between steps and stops, archives what finished and exits 130.

While the archive is being written the run must not be torn: the first signal there only says so, and a
further one abandons the run (the half-written staging tree is removed; nothing is published under the final
name).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

EXIT_INTERRUPTED = 130
SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _write(text: str) -> None:
    """Straight to fd 2: safe inside a signal handler even if sys.stderr's lock is held by the interrupted
    code."""
    try:
        os.write(2, (text + "\n").encode())
    except OSError:
        pass


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL a child's whole process group (children run in their own session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass
class StopRequest:
    """What the signals said so far; the orchestrator's loops read `requested`."""

    signal_name: str | None = None
    count: int = 0
    archiving: bool = False
    warned_while_archiving: bool = False
    abandon_paths: list[Path] = field(default_factory=list)
    children: set = field(default_factory=set)
    _previous: dict = field(default_factory=dict)

    @property
    def requested(self) -> bool:
        return self.count > 0

    def handle(self, signum: int, frame=None) -> None:
        """The signal handler: record, kill running children, and (while archiving) warn, then abandon."""
        self.count += 1
        if self.signal_name is None:
            self.signal_name = signal.Signals(signum).name
        if self.archiving:
            self._while_archiving()
            return
        for proc in list(self.children):
            kill_group(proc)
        if self.count == 1:
            _write(f"{self.signal_name}: stopping the running worker; archiving what finished (exit 130)")

    def _while_archiving(self) -> None:
        if not self.warned_while_archiving:
            self.warned_while_archiving = True
            _write("still archiving: press Ctrl-C again to abandon (nothing would be written)")
            return
        for path in self.abandon_paths:
            shutil.rmtree(path, ignore_errors=True)
        _write("abandoned: no archive written")
        sys.stdout.flush()
        os._exit(EXIT_INTERRUPTED)

    def install(self) -> None:
        for signum in SIGNALS:
            self._previous[signum] = signal.signal(signum, self.handle)

    def restore(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()

    @contextmanager
    def child(self, proc: subprocess.Popen) -> Iterator[subprocess.Popen]:
        """Register a running child so a signal kills it; kill it if it is still running when the block
        exits."""
        self.children.add(proc)
        try:
            if self.requested:  # the signal came between Popen and here
                kill_group(proc)
            yield proc
        finally:
            self.children.discard(proc)
            if proc.poll() is None:
                kill_group(proc)
                proc.wait()

    @contextmanager
    def archiving_phase(self, staging: Path) -> Iterator[None]:
        """Signals no longer stop anything; the second one abandons and removes `staging`."""
        self.archiving = True
        self.abandon_paths.append(staging)
        try:
            yield
        finally:
            self.archiving = False
            self.abandon_paths.remove(staging)


NO_STOP = StopRequest()  # for callers outside a run (tests, profile): never requested, never installed


@contextmanager
def handling(stop: StopRequest) -> Iterator[StopRequest]:
    """Install the handlers for the duration of a run (main thread only) and restore the previous ones."""
    stop.install()
    try:
        yield stop
    finally:
        stop.restore()
