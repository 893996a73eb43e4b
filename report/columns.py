"""The interpreter columns of an archive as the report names them: which are free-threaded CPython builds (PEP
703) and whether their GIL was off, and how each provisioned CPython was built.

What a column *is* comes from the archive, never from the spelling of its name: free_threaded and gil_enabled
(at worker start) from its records' "interpreter", falling back to the probe in metadata.json
"interpreters"[].info; the build from info.provision, the provision.json that shootout/run/provision.py wrote
beside the build (profile, configure flags, the source tarball and its sha256, or uv's download, and the
seconds each phase took). An interpreter the run found already installed has no build record, and the report
says so rather than guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from shootout.results.records import Interpreter, Record
from shootout.results.versions import toolchain_of

from .formatting import DASH, seconds


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Provisioning:
    """How a provisioned CPython was built, as its provision.json records it."""

    optimized: bool | None
    method: str  # "source" (Debian's source package, built here) | "uv" (python-build-standalone) |
    # "debian-rootfs" (a Debian suite's binary package in its root file system) | ""
    configure_flags: str  # besides --prefix; "" when none were recorded (uv's builds record none)
    source: str  # what was built from, as text
    sha256: str  # of the upstream source tarball ("" when not recorded)
    seconds: float | None  # the whole provisioning
    phases: str  # "configure 31 s · make 1,210 s · install 22 s"

    @property
    def profile(self) -> str:
        if self.method == "debian-rootfs":
            return "Debian's own build"
        if self.optimized is None:
            return "build profile not recorded"
        return "optimized PGO+LTO build" if self.optimized else "fast unoptimised build (no PGO/LTO)"

    @property
    def flags_text(self) -> str:
        if self.configure_flags:
            return self.configure_flags
        if self.method == "uv":
            return "not recorded (uv installs python-build-standalone's prebuilt CPython)"
        if self.method == "debian-rootfs":
            return "Debian's (not rebuilt here)"
        return "none besides --prefix" if self.method == "source" else "not recorded"


@dataclass(frozen=True)
class Column:
    name: str
    implementation: str
    version: str
    free_threaded: bool
    gil: str  # free-threaded builds: "off", "on", "on at start in k of n processes", "state not recorded"
    build: Provisioning | None
    toolchain: str = ""  # "gcc 16.2.0, glibc 2.43": what its extensions were built with and run against
    show_toolchain: bool = False  # the run's columns differ in toolchain: every label says which is whose

    @property
    def note(self) -> str:
        """'free-threaded, GIL off' (and 'unoptimised build' for a fast one, the toolchain where the run's
        columns differ in it); '' for a plain column."""
        parts = [f"free-threaded, GIL {self.gil}"] if self.free_threaded else []
        if self.build is not None and self.build.optimized is False:
            parts.append("unoptimised build")
        if self.show_toolchain and self.toolchain:
            parts.append(self.toolchain)
        return "; ".join(parts)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.note})" if self.note else self.name

    @property
    def minor(self) -> str:
        return ".".join(self.version.split(".")[:2])

    @property
    def optimized(self) -> bool | None:
        return None if self.build is None else self.build.optimized

    @property
    def profile(self) -> str:
        return "build profile not recorded" if self.build is None else self.build.profile


def _source(p: dict) -> tuple[str, str]:
    """(what it was built from, the upstream tarball's sha256)."""
    if p.get("method") == "debian-rootfs":
        packages = _dict(p.get("packages"))
        main = next((f"{k} {v}" for k, v in packages.items() if k.startswith(("pypy3", "python3")) and
                     not k.endswith(("-dev", "-venv"))), "")
        return (f"Debian {p.get('suite') or '?'}'s binary package {main}, run in its root file system "
                f"(debootstrap, bubblewrap); extensions built with {p.get('compiler') or '?'}, glibc "
                f"{p.get('glibc') or '?'}"), ""
    if p.get("method") == "uv":
        uv = _dict(p.get("uv"))
        what = f"uv python install {uv.get('request') or '?'}: {uv.get('installed_as') or '?'}"
        return what + (f" ({uv['version']})" if uv.get("version") else ""), ""
    src = _dict(p.get("source"))
    what = str(src.get("upstream_tarball") or src.get("tarball") or "")
    if src.get("package"):
        what += (f" from Debian {src.get('suite') or ''} source package {src['package']} "
                 f"{src.get('debian_version') or ''}")
    applied = _dict(p.get("patches")).get("applied")
    if isinstance(applied, list) and applied:
        what += f", {len(applied)} security patch(es) applied"
    return " ".join(what.split()), str(src.get("sha256") or "")


def build_of(provision) -> Provisioning | None:
    """How the interpreter was provisioned, from info.provision; None when it was not (or the entry is not
    an object)."""
    p = _dict(provision)
    if not p:
        return None
    flags = p.get("configure_flags")
    flags = [str(f) for f in flags if not str(f).startswith("--prefix=")] if isinstance(flags, list) else []
    times = _dict(p.get("seconds"))
    phases = " · ".join(f"{k} {seconds(v)}"
                        for k, v in times.items() if k != "total" and _number(v) is not None)
    what, sha256 = _source(p)
    optimized = p["optimized"] if isinstance(p.get("optimized"), bool) else None
    return Provisioning(optimized, str(p.get("method") or ""), " ".join(flags), what or DASH, sha256,
                        _number(times.get("total")), phases)


def _gil(seen: list[Interpreter], info: dict) -> str:
    states = [s.gil_enabled for s in seen if s.gil_enabled is not None]
    if not states and isinstance(info.get("gil_enabled"), bool):
        states = [info["gil_enabled"]]
    on = sum(states)
    if not states:
        return "state not recorded"
    if on == 0:
        return "off"
    return "on" if on == len(states) else f"on at start in {on} of {len(states)} processes"


def _column(name: str, entry: dict, seen: list[Interpreter]) -> Column:
    info = _dict(entry.get("info"))
    free = any(s.free_threaded is True for s in seen) or info.get("free_threaded") is True
    version = next((s.version for s in seen if s.version), "") \
        or str(entry.get("version") or info.get("version") or "")
    implementation = str(entry.get("implementation")
                         or next((s.implementation for s in seen if s.implementation), ""))
    return Column(name, implementation, version, free, _gil(seen, info) if free else "",
                  build_of(info.get("provision")), toolchain_of(info))


def columns(meta: dict, records: list[Record]) -> dict[str, Column]:
    """Every interpreter column metadata.json declares or a record ran on, by name."""
    entries = {str(i["name"]): i
               for i in meta.get("interpreters") or [] if isinstance(i, dict) and i.get("name")}
    seen: dict[str, list[Interpreter]] = {}
    for r in records:
        if r.interpreter.name:
            seen.setdefault(r.interpreter.name, []).append(r.interpreter)
    found = {name: _column(name, _dict(entries.get(name)), seen.get(name, []))
             for name in sorted({*entries, *seen})}
    mixed = len({c.toolchain for c in found.values() if c.toolchain}) > 1
    return {name: replace(c, show_toolchain=mixed) for name, c in found.items()}


def notes(found: dict[str, Column]) -> dict[str, str]:
    """name -> its note, for the columns that have one (what report.ordering.Order labels columns with)."""
    return {name: c.note for name, c in found.items() if c.note}
