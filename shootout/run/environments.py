"""One virtual environment per target interpreter, with pinned requirements and a lock of what was installed.

Environments are created with uv (as nox's uv backend does) or venv+pip when uv is absent, and reused while
the interpreter and the pins are unchanged: rebuilding numpy-sized envs on every run would dwarf the runs.

Runs sharing a work dir coordinate through a lock per env: creating (or re-creating) one is exclusive, using
one is shared and lasts until the run releases it, so no run ever sees, or deletes, an env another is half-way
through. The marker that makes an env reusable is written last, so an interrupted install is redone next time.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import rootfs
from .interpreters import TargetInterpreter
from .interrupts import NO_STOP, StopRequest
from .locking import Lock
from .logged import run_logged
from .uvbin import find_uv

REQUIREMENTS_DIR = Path(__file__).parent / "requirements"
MARKER = ".shootout-env.json"


class EnvironmentError_(RuntimeError):
    """The environment could not be created or populated."""


@dataclass
class TargetEnv:
    name: str
    interpreter: TargetInterpreter
    path: Path
    python: Path
    requirements_file: Path
    created_seconds: float  # 0.0 when reused
    reused: bool
    lock: str  # `pip freeze` style, one pin a line
    backend: str  # "uv" or "venv"
    lease: Lock | None = field(default=None, repr=False, compare=False)  # shared lock held while in use

    def release(self) -> None:
        if self.lease is not None:
            self.lease.release()
            self.lease = None

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("lease", None)
        data["interpreter"] = self.interpreter.name
        for key in ("path", "python", "requirements_file"):
            data[key] = str(data[key])
        return data


def requirements_for(interp: TargetInterpreter, purpose: str = "") -> Path:
    """purpose "" for timing envs, "profile-" for profiling envs (never mixed: profilers perturb timings).
    Free-threaded CPython has its own pins: no numba or cffi build exists for it. A file for the language
    level (pypy3.10.txt, cpython3.14.txt) wins over the implementation's: wheels differ between them."""
    kind = interp.implementation if interp.implementation in ("pypy", "graalpy") else \
        "cpython-freethreaded" if interp.free_threaded else "cpython"
    minor = ".".join((interp.version or "").split(".")[:2])
    candidates = [f"{purpose}{kind}{minor}.txt", f"{purpose}{kind}.txt", f"{kind}{minor}.txt", f"{kind}.txt"]
    return next((p for p in (REQUIREMENTS_DIR / c for c in candidates) if p.exists()),
                REQUIREMENTS_DIR / f"{kind}.txt")


def pinned_requirements(work_dir: Path, lock: str) -> tuple[Path, Path]:
    """An archive's lock as a requirements file, and the envs dir for envs built from exactly it
    (`reproduce`): keyed by the lock's hash, so they never replace the timing envs made from the project's own
    pins."""
    pins = "".join(line + "\n" for line in lock.splitlines()
                   if "==" in line and not line.lstrip().startswith("#"))
    digest = hashlib.sha256(pins.encode()).hexdigest()[:12]
    envs_dir = work_dir / "envs-locked" / digest
    envs_dir.mkdir(parents=True, exist_ok=True)
    requirements = envs_dir / "requirements.txt"
    if not requirements.exists() or requirements.read_text() != pins:
        requirements.write_text(pins)
    return envs_dir, requirements


def _run(cmd: list[str], log: Path, stop: StopRequest) -> None:
    returncode = run_logged(cmd, log, mode="a", stop=stop)
    if stop.requested:
        raise EnvironmentError_(f"interrupted while running {' '.join(cmd[:3])} ...; see {log}")
    if returncode != 0:
        raise EnvironmentError_(f"{' '.join(cmd[:3])} ... failed with exit {returncode}; see {log}")


def _fingerprint(interp: TargetInterpreter, requirements: Path, path: Path) -> dict:
    """What an env was made from, and where: a venv's scripts name its interpreter by the absolute path the
    env was made at, so an env reached by another path (a moved checkout, a symlinked work dir) is made
    again."""
    included = [requirements] + [
        requirements.parent / line.split(None, 1)[1].strip()
        for line in requirements.read_text().splitlines()
        if line.startswith("-r ")
    ]
    return {
        "executable": interp.executable,
        "version": interp.version,
        "implementation": interp.implementation,
        "requirements_sha256": hashlib.sha256(b"".join(p.read_bytes() for p in included)).hexdigest(),
        "bytecode": "compiled at install",  # envs made before that are re-made once
        "path": str(path.absolute()),
    }


def ensure(
    interp: TargetInterpreter, envs_dir: Path, log: Path, recreate: bool = False, purpose: str = "",
    stop: StopRequest = NO_STOP, requirements: Path | None = None,
) -> TargetEnv:
    """Create (or reuse) the env for one interpreter and hold it (shared) until `release()`.

    Raises EnvironmentError_ with a log path on failure.
    """
    path = envs_dir / interp.name
    lease = Lock(envs_dir / f".{interp.name}.lock", f"environment {interp.name}").acquire()
    try:
        env = _ensure_locked(
            interp, path, log, recreate, requirements or requirements_for(interp, purpose), stop)
    except BaseException:
        lease.release()
        raise
    env.lease = lease.acquire(shared=True)  # others may use it now, but nobody may re-create it under us
    return env


def _ensure_locked(
    interp: TargetInterpreter, path: Path, log: Path, recreate: bool, requirements: Path, stop: StopRequest
) -> TargetEnv:
    python = path / "bin" / "python"
    fingerprint = _fingerprint(interp, requirements, path)
    marker = path / MARKER
    # An interpreter in a Debian root file system gets a venv made and filled inside its sandbox: uv, outside,
    # would link the venv to a path that means the host's interpreter.
    in_rootfs = rootfs.launcher_root(str(interp.executable)) is not None
    uv = None if in_rootfs else find_uv()
    reused = (
        not recreate
        and marker.exists()
        and python.exists()
        and json.loads(marker.read_text()) == fingerprint
    )
    started = time.perf_counter()
    if not reused:
        _create(interp, path, python, requirements, uv, log, stop, in_rootfs)
        marker.write_text(json.dumps(fingerprint))
    return TargetEnv(
        name=interp.name,
        interpreter=interp,
        path=path,
        python=python,
        requirements_file=requirements,
        created_seconds=0.0 if reused else time.perf_counter() - started,
        reused=reused,
        lock=freeze(python, uv),
        backend="venv (rootfs)" if in_rootfs else "uv" if uv else "venv",
    )


def _create(
    interp: TargetInterpreter, path: Path, python: Path, requirements: Path, uv: str | None, log: Path,
    stop: StopRequest, in_rootfs: bool,
) -> None:
    if path.exists():
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if in_rootfs:
        rootfs.make_venv(str(interp.executable), path, lambda cmd: _run(cmd, log, stop))
        _run([str(python), "-m", "pip", "install", "--no-input", "-r", str(requirements)], log, stop)
    elif uv:
        _run([uv, "venv", "--quiet", "--seed", "--python", str(interp.executable), str(path)], log, stop)
        # --compile-bytecode: workers run with PYTHONDONTWRITEBYTECODE; without .pyc files each of them would
        # compile numpy (and numba...) from source again, a start-up cost no user pays.
        _run([uv, "pip", "install", "--compile-bytecode", "--python", str(python), "-r", str(requirements)],
             log, stop)
    else:
        _run([str(interp.executable), "-m", "venv", str(path)], log, stop)
        _run([str(python), "-m", "pip", "install", "-r", str(requirements)], log, stop)


def freeze(python: Path, uv: str | None) -> str:
    cmd = [uv, "pip", "freeze", "--python", str(python)] if uv else [str(python), "-m", "pip", "freeze"]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False)
    return out.stdout if out.returncode == 0 else f"# freeze failed: {out.stderr.strip()}\n"


def orchestrator_lock() -> str:
    """Pins of the CPython env the orchestrator itself runs in (pandas, scipy, plotly...)."""
    return freeze(Path(sys.executable), find_uv())
