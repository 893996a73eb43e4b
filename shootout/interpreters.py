"""Find and probe the target interpreters: a missing one becomes a skipped column with its reason, never a crash."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

INSTALL_HINTS = {
    "pypy": "apt-get install pypy3 pypy3-dev pypy3-venv (or: uv python install pypy)",
    "cpython": "apt-get install python3 python3-dev python3-venv (or: uv python install 3.11)",
}

# Stdlib-only, valid on Python 3.9: prints what the orchestrator needs to know about an interpreter.
_PROBE = r"""
import json, platform, sys, sysconfig
info = {
    "implementation": sys.implementation.name,
    "version": platform.python_version(),
    "version_info": list(sys.version_info[:3]),
    "executable": sys.executable,
    "compiler": platform.python_compiler(),
    "build": list(platform.python_build()),
    "cache_tag": sys.implementation.cache_tag,
    "pypy_version": ".".join(map(str, sys.pypy_version_info[:3])) if hasattr(sys, "pypy_version_info") else None,
    "include_dir": sysconfig.get_paths().get("include"),
}
print(json.dumps(info))
"""


class InterpreterError(ValueError):
    """A user-named interpreter that cannot be used: a usage error, reported in one line."""


@dataclass
class Interpreter:
    """One target interpreter column of the comparison."""

    name: str  # "cpython3.11", "pypy3.9": the column label and the env name
    requested: str  # what the user (or the default) asked for
    executable: str | None = None
    implementation: str | None = None
    version: str | None = None
    available: bool = False
    reason: str | None = None  # why it is not available
    install_hint: str | None = None
    info: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


def probe(executable: str) -> dict:
    """Run the probe inside the interpreter; raises CalledProcessError/OSError if it cannot run."""
    out = subprocess.run(
        [executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    return json.loads(out)


def _kind_of(requested: str) -> str:
    return "pypy" if "pypy" in Path(requested).name.lower() else "cpython"


def resolve(requested: str) -> Interpreter:
    """Turn a name ("pypy3", "python3.12") or a path into a probed Interpreter, or an unavailable one."""
    kind = _kind_of(requested)
    executable = requested if ("/" in requested) else shutil.which(requested)
    if requested == "current":  # the interpreter under nox's venv, not the venv: target envs are made from it
        executable = getattr(sys, "_base_executable", None) or sys.executable
    if not executable or not Path(executable).exists():
        return Interpreter(
            name=_fallback_name(requested),
            requested=requested,
            reason=f"interpreter {requested!r} not found on PATH",
            install_hint=INSTALL_HINTS[kind],
        )
    try:
        info = probe(executable)
    except (OSError, subprocess.SubprocessError, json.JSONDecodeError) as exc:
        return Interpreter(
            name=_fallback_name(requested),
            requested=requested,
            executable=executable,
            reason=f"interpreter {requested!r} does not run: {exc}",
            install_hint=INSTALL_HINTS[kind],
        )
    impl = info["implementation"]
    major, minor = info["version_info"][:2]
    interp = Interpreter(
        name=f"{impl}{major}.{minor}",
        requested=requested,
        executable=executable,
        implementation=impl,
        version=info["version"],
        info=info,
    )
    if (major, minor) < (3, 9):
        interp.reason = f"{impl} {info['version']} is older than 3.9"
        interp.install_hint = INSTALL_HINTS["pypy" if impl == "pypy" else "cpython"]
    elif impl not in ("cpython", "pypy"):
        interp.reason = f"implementation {impl!r} is not supported (cpython and pypy are)"
    else:
        interp.available = True
    return interp


def _fallback_name(requested: str) -> str:
    return Path(requested).name.lower()


def discover(requested: list[str] | None) -> list[Interpreter]:
    """Default: the CPython running the orchestrator plus `pypy3` from PATH (skipped column if absent).

    An interpreter the user named explicitly must exist: otherwise it is a usage error.
    """
    names = requested or ["current", "pypy3"]
    found: list[Interpreter] = []
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
