"""File locks between pyshootout runs that share a work dir (two `nox -s compare` in one checkout).

flock(2) locks belong to an open file and vanish with the process, so a killed run never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class Lock:
    """An flock on `path`; exclusive to change what it guards, shared to use it while others may too."""

    def __init__(self, path: Path, what: str):
        self.path = path
        self.what = what
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)

    def acquire(self, shared: bool = False) -> Lock:
        """Take the lock; say once on stderr when another run holds it and we wait."""
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        try:
            fcntl.flock(self._fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another pyshootout run using {self.what} ({self.path})", file=sys.stderr,
                  flush=True)
            fcntl.flock(self._fd, mode)
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None


@contextmanager
def exclusive(path: Path, what: str) -> Iterator[Lock]:
    lock = Lock(path, what).acquire()
    try:
        yield lock
    finally:
        lock.release()
