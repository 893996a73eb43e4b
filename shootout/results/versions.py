"""The study across interpreter versions: one archive, several releases of each implementation.

Its columns are ordered by implementation, then language level, then the implementation's own release (PyPy
7.3 before 8.0 at one language level), and compared two ways, each ratio with its CI and Holm-adjusted test
from summaries.compare_interpreters:
- `steps`: each column against the previous release of the same implementation (what changed between
  consecutive versions, per variant);
- `pypy_gains`: each PyPy column against the CPython column of the same language level (PyPy 3.11 vs CPython
  3.11), where the run has one; the one a GIL build when there are several.
A ratio between columns whose toolchains differ (another compiler or C library built their extensions) says
so.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import summaries


@dataclass(frozen=True)
class VersionColumn:
    """One interpreter column of a run, as the study orders it."""

    name: str
    implementation: str
    version: str  # the language version, "3.11.17"
    release: str  # the implementation's own: PyPy's "8.0.1"; CPython's is its version
    free_threaded: bool
    toolchain: str  # "gcc 16.2.0, glibc 2.43" ("" when the archive does not record it)

    @property
    def language(self) -> str:
        return ".".join(self.version.split(".")[:2])

    @property
    def order(self) -> tuple:
        return (self.implementation, _numbers(self.version)[:2], _numbers(self.release), self.free_threaded,
                self.name)


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def toolchain_of(info: dict) -> str:
    """'gcc 16.2.0, glibc 2.43' from the probe's compiler line and C library ('' when not recorded): what a
    column's extensions were built with and run against."""
    compiler = str(info.get("build_compiler") or "")
    words = compiler.split()
    # "x86_64-linux-gnu-gcc (Debian 16.2.0-4) 16.2.0": the compiler's name and its version
    short = f"{words[0].rsplit('-', 1)[-1]} {words[-1]}" if len(words) >= 2 else compiler
    return ", ".join(part for part in (short, str(info.get("libc") or "")) if part)


def columns(metadata: dict) -> list[VersionColumn]:
    """The run's available interpreter columns, in the study's order."""
    found = []
    for entry in metadata.get("interpreters") or []:
        if not isinstance(entry, dict) or not entry.get("available"):
            continue
        info: dict = entry["info"] if isinstance(entry.get("info"), dict) else {}
        version = str(entry.get("version") or info.get("version") or "")
        release = str(info.get("pypy_version") or version)
        found.append(VersionColumn(str(entry["name"]), str(entry.get("implementation") or ""), version,
                                   release, bool(info.get("free_threaded")), toolchain_of(info)))
    return sorted(found, key=lambda c: c.order)


def _compared(records: list, pairs: list[tuple[VersionColumn, VersionColumn]], kind: str) -> pd.DataFrame:
    frames = []
    for top, bottom in pairs:
        frame = summaries.compare_interpreters(records, top.name, bottom.name)
        if frame.empty:
            continue
        frame.insert(0, "comparison", kind)
        frame["toolchains_differ"] = bool(top.toolchain and bottom.toolchain
                                          and top.toolchain != bottom.toolchain)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def steps(records: list, found: list[VersionColumn]) -> pd.DataFrame:
    """Per variant: each column's time over the previous release's of the same implementation (and thread
    flavour); below 1 the newer one is faster."""
    pairs = []
    for index, column in enumerate(found):
        earlier = [c for c in found[:index] if c.implementation == column.implementation
                   and c.free_threaded == column.free_threaded]
        if earlier:
            pairs.append((column, earlier[-1]))
    return _compared(records, pairs, "step")


def pypy_gains(records: list, found: list[VersionColumn]) -> pd.DataFrame:
    """Per variant: each PyPy column's time over the CPython column of its language level; below 1 PyPy
    wins."""
    pairs = []
    for pypy in (c for c in found if c.implementation == "pypy"):
        same = [c for c in found if c.implementation == "cpython" and c.language == pypy.language]
        same.sort(key=lambda c: (c.free_threaded, c.order))  # a GIL build first
        if same:
            pairs.append((pypy, same[0]))
    return _compared(records, pairs, "pypy_gain")
