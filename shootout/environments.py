"""One virtual environment per target interpreter, with pinned requirements and a lock of what was installed.

Environments are created with uv (as nox's uv backend does) or venv+pip when uv is absent, and reused while
the interpreter and the pins are unchanged: rebuilding numpy-sized envs on every run would dwarf the runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .interpreters import Interpreter
from .logged import run_logged

REQUIREMENTS_DIR = Path(__file__).parent / "requirements"
MARKER = ".shootout-env.json"


class EnvironmentError_(RuntimeError):
    """The environment could not be created or populated."""


@dataclass
class TargetEnv:
    name: str
    interpreter: Interpreter
    path: Path
    python: Path
    requirements_file: Path
    created_seconds: float  # 0.0 when reused
    reused: bool
    lock: str  # `pip freeze` style, one pin a line
    backend: str  # "uv" or "venv"

    def to_json(self) -> dict:
        data = asdict(self)
        data["interpreter"] = self.interpreter.name
        for key in ("path", "python", "requirements_file"):
            data[key] = str(data[key])
        return data


def requirements_for(interp: Interpreter, purpose: str = "") -> Path:
    """purpose "" for timing envs, "profile-" for profiling envs (never mixed: profilers perturb timings)."""
    return REQUIREMENTS_DIR / (purpose + ("pypy.txt" if interp.implementation == "pypy" else "cpython.txt"))


def find_uv() -> str | None:
    try:
        from uv import find_uv_bin  # the pinned uv wheel of the orchestrator's env

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def _run(cmd: list[str], log: Path) -> None:
    returncode = run_logged(cmd, log, mode="a")
    if returncode != 0:
        raise EnvironmentError_(f"{' '.join(cmd[:3])} ... failed with exit {returncode}; see {log}")


def _fingerprint(interp: Interpreter, requirements: Path) -> dict:
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
    }


def ensure(
    interp: Interpreter, envs_dir: Path, log: Path, recreate: bool = False, purpose: str = ""
) -> TargetEnv:
    """Create (or reuse) the env for one interpreter; raises EnvironmentError_ with a log path on failure."""
    path = envs_dir / interp.name
    python = path / "bin" / "python"
    requirements = requirements_for(interp, purpose)
    fingerprint = _fingerprint(interp, requirements)
    marker = path / MARKER
    uv = find_uv()
    backend = "uv" if uv else "venv"
    reused = (
        not recreate
        and marker.exists()
        and python.exists()
        and json.loads(marker.read_text()) == fingerprint
    )
    started = time.perf_counter()
    if not reused:
        if path.exists():
            shutil.rmtree(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if uv:
            _run([uv, "venv", "--quiet", "--seed", "--python", str(interp.executable), str(path)], log)
            _run([uv, "pip", "install", "--python", str(python), "-r", str(requirements)], log)
        else:
            _run([str(interp.executable), "-m", "venv", str(path)], log)
            _run([str(python), "-m", "pip", "install", "-r", str(requirements)], log)
        marker.write_text(json.dumps(fingerprint))
    seconds = 0.0 if reused else time.perf_counter() - started
    lock = freeze(python, uv)
    return TargetEnv(
        name=interp.name,
        interpreter=interp,
        path=path,
        python=python,
        requirements_file=requirements,
        created_seconds=seconds,
        reused=reused,
        lock=lock,
        backend=backend,
    )


def freeze(python: Path, uv: str | None) -> str:
    cmd = [uv, "pip", "freeze", "--python", str(python)] if uv else [str(python), "-m", "pip", "freeze"]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False)
    return out.stdout if out.returncode == 0 else f"# freeze failed: {out.stderr.strip()}\n"


def orchestrator_lock() -> str:
    """Pins of the CPython env the orchestrator itself runs in (pandas, scipy, plotly...)."""
    return freeze(Path(sys.executable), find_uv())
