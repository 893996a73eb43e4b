"""Find and probe the target interpreters: a missing one becomes a skipped column with its reason, never a
crash."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import provision, rootfs

INSTALL_HINTS = {
    "pypy": "apt-get install pypy3 pypy3-dev pypy3-venv (or: nox -s interpreters -- pypy3.10 pypy3.11)",
    "cpython": "apt-get install python3 python3-dev python3-venv (or: nox -s interpreters -- 3.13 3.13t)",
    "graalpy": "nox -s interpreters -- graalpy (uv's build: needs downloads)",
}

# Stdlib-only, valid on Python 3.9: prints what the orchestrator needs to know about an interpreter, with the
# toolchain its extensions are built with (the compiler sysconfig names, and the C library): a column in a
# Debian root file system has its suite's, and a ratio between two columns says when theirs differ.
_PROBE = r"""
import json, platform, subprocess, sys, sysconfig
def build_compiler():
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    try:
        out = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.splitlines()[0] if out else None
info = {
    "implementation": sys.implementation.name,
    "version": platform.python_version(),
    "version_info": list(sys.version_info[:3]),
    "executable": sys.executable,
    "compiler": platform.python_compiler(),
    "build": list(platform.python_build()),
    "cache_tag": sys.implementation.cache_tag,
    "pypy_version": (
        ".".join(map(str, sys.pypy_version_info[:3])) if hasattr(sys, "pypy_version_info") else None
    ),
    "include_dir": sysconfig.get_paths().get("include"),
    "gil_enabled": sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else None,
    "free_threaded": sysconfig.get_config_var("Py_GIL_DISABLED") == 1,
    "build_compiler": build_compiler(),
    "libc": " ".join(platform.libc_ver()).strip() or None,
}
print(json.dumps(info))
"""


class InterpreterError(ValueError):
    """A user-named interpreter that cannot be used: a usage error, reported in one line."""


@dataclass
class TargetInterpreter:
    """One target interpreter column of the comparison."""

    name: str  # "cpython3.11", "pypy3.9", "cpython3.13t" (free-threaded): the column label and the env name
    requested: str  # what the user (or the default) asked for
    executable: str | None = None
    implementation: str | None = None
    version: str | None = None
    available: bool = False
    reason: str | None = None  # why it is not available
    install_hint: str | None = None
    info: dict = field(default_factory=dict)

    @property
    def free_threaded(self) -> bool:
        return bool(self.info.get("free_threaded"))

    @property
    def platform_keys(self) -> list[str]:
        """What a variant's `unsupported` map is looked up with for this column (workloads/_runtime.py
        alike)."""
        return [str(self.implementation)] + (["free-threaded"] if self.free_threaded else [])

    def to_json(self) -> dict:
        return asdict(self)


def probe(executable: str) -> dict:
    """Run the probe inside the interpreter; raises CalledProcessError/OSError if it cannot run."""
    out = subprocess.run(
        [executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    return json.loads(out)


def _kind_of(requested: str) -> str:
    name = Path(requested).name.lower()
    return next((kind for kind in ("pypy", "graalpy") if kind in name), "cpython")


def _locate(requested: str) -> str | None:
    """A path as given, a name via PATH ("3.11" as python3.11, as a shell or pyenv finds it), "current" as the
    CPython under nox's venv (target envs come from it)."""
    if requested == "current":
        return getattr(sys, "_base_executable", None) or sys.executable
    if re.fullmatch(r"3\.\d+t?", requested):  # a bare version: what `python3.X` finds in the user's shell
        requested = f"python{requested}"
    executable = requested if "/" in requested else shutil.which(requested)
    return executable if executable and Path(executable).exists() else None


def _probe_or_error(executable: str) -> tuple[dict | None, str | None]:
    try:
        return probe(executable), None
    except (OSError, subprocess.SubprocessError, json.JSONDecodeError) as exc:
        return None, str(exc)


def resolve(requested: str, pythons_dir: Path | None = None) -> TargetInterpreter:
    """Turn a name ("pypy3", "python3.12", "3.13t") or a path into a probed TargetInterpreter, or an
    unavailable one.

    A name that PATH lacks (or whose PATH entry does not run, e.g. a pyenv shim) is looked up among the
    provisioned interpreters (`nox -s interpreters -- 3.13t`): "3.13t", "cpython3.13t", "python3.13t".
    """
    kind = _kind_of(requested)
    executable = _locate(requested)
    info, error = _probe_or_error(executable) if executable else (None, None)
    built = None
    if info is None and "/" not in requested and requested != "current":
        built = provision.find(requested, pythons_dir or provision.DEFAULT_PYTHONS_DIR)
        if built is not None:
            executable = str(built.executable)
            info, error = _probe_or_error(executable)
    elif info is not None:
        built = provision.owning(executable)
    if info is None:
        reason = f"does not run: {error}" if executable else "not found on PATH nor provisioned"
        return TargetInterpreter(
            name=_fallback_name(requested),
            requested=requested,
            executable=executable,
            reason=f"interpreter {requested!r} {reason}",
            install_hint=INSTALL_HINTS[kind],
        )
    if built is not None:
        info["provision"] = {"dir": str(built.path), **built.record}
    return _interpreter(requested, executable, info, built)


def _interpreter(
    requested: str, executable: str, info: dict, built: provision.Provisioned | None
) -> TargetInterpreter:
    impl = info["implementation"]
    major, minor = info["version_info"][:2]
    threaded = "t" if info.get("free_threaded") else ""
    fast = "-fast" if built is not None and not built.optimized else ""  # never mistaken for a timing build
    suite = f"-{built.record.get('suite')}" if built is not None and built.method == rootfs.METHOD else ""
    interp = TargetInterpreter(
        name=f"{impl}{major}.{minor}{threaded}{fast}{suite}",
        requested=requested,
        executable=executable,
        implementation=impl,
        version=info["version"],
        info=info,
    )
    if (major, minor) < (3, 9):
        interp.reason = f"{impl} {info['version']} is older than 3.9"
        interp.install_hint = INSTALL_HINTS.get(impl, INSTALL_HINTS["cpython"])
    elif impl not in ("cpython", "pypy", "graalpy"):
        interp.reason = f"implementation {impl!r} is not supported (cpython, pypy and graalpy are)"
    else:
        interp.available = True
    return interp


def _fallback_name(requested: str) -> str:
    return Path(requested).name.lower()


def discover(requested: list[str] | None) -> list[TargetInterpreter]:
    """Default: the CPython running the orchestrator plus `pypy3` from PATH (skipped column if absent).

    An interpreter the user named explicitly must exist: otherwise it is a usage error.
    """
    names = requested or ["current", "pypy3"]
    found: list[TargetInterpreter] = []
    seen: set[str] = set()
    for name in names:
        interp = resolve(name)
        if requested and not interp.available:
            raise InterpreterError(
                f"--interpreter {name!r}: {interp.reason}; install: {interp.install_hint or 'n/a'}"
            )
        if interp.name in seen:
            continue
        seen.add(interp.name)
        found.append(interp)
    return found
