"""The workload folders this checkout can run, and each one's contract (workloads/<name>/spec.py: WORKLOAD).

The orchestrator reads a contract in-process (stdlib-only data and two small functions) but never imports a
variant. `snapshot()` is the contract as data, with a sha256 of every variant source: it goes into the
archive, so the report never imports workloads/ and `reproduce` can tell which sources changed since.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKLOADS_DIR = ROOT / "workloads"
HARNESS = WORKLOADS_DIR / "harness.py"
BUILDER = WORKLOADS_DIR / "build.py"
# extra folders holding workload folders (workloads/__init__.py)
WORKLOADS_PATH_ENV = "PYSHOOTOUT_WORKLOADS_PATH"
DEFAULT_WORKLOAD = "julia"  # the tutorial's workload: what `nox -s compare` runs when no --workload is given


class WorkloadError(ValueError):
    """A workload folder that cannot be loaded: the message is one line naming the folder and the cause."""


def search_path() -> list[Path]:
    extra = [Path(d) for d in os.environ.get(WORKLOADS_PATH_ENV, "").split(os.pathsep) if d]
    return [WORKLOADS_DIR, *extra]


def available() -> list[str]:
    return sorted({p.parent.name for d in search_path() for p in d.glob("*/spec.py")})


def folder(name: str) -> Path:
    for directory in search_path():
        if (directory / name / "spec.py").is_file():
            return directory / name
    raise WorkloadError(f"no workload folder {name!r} (looked in {', '.join(map(str, search_path()))})")


def load(name: str):
    """The Workload contract of <folder>/<name>/spec.py (the workloads package's path follows the search
    path)."""
    import workloads
    from workloads.contract import Workload

    spec = folder(name) / "spec.py"
    parent = str(spec.parent.parent.resolve())
    if parent not in [str(Path(p).resolve()) for p in workloads.__path__]:
        workloads.__path__.append(parent)
    try:
        module = importlib.import_module(f"workloads.{name}.spec")
    except Exception as exc:  # noqa: BLE001 - a user's spec.py may fail in any way: one line
        raise WorkloadError(f"{spec} does not load: {exc.__class__.__name__}: {exc}") from None
    workload = getattr(module, "WORKLOAD", None)
    if workload is None:
        raise WorkloadError(f"{spec} defines no WORKLOAD (see docs/adding-a-workload.md)")
    if not isinstance(workload, Workload):  # e.g. a dict, or a class of an older API: would fail deep inside
        raise WorkloadError(f"{spec}: WORKLOAD is a {_type_name(workload)}, "
                            "not a workloads.contract.Workload (see docs/adding-a-workload.md)")
    if workload.name != name:  # the workers import workloads.<WORKLOAD.name>: another folder, or none
        raise WorkloadError(f"{spec}: WORKLOAD.name is {workload.name!r}, not the folder's name {name!r}")
    return workload


def _type_name(value) -> str:
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def source_hashes(workload, variant) -> dict[str, str | None]:
    """sha256 of each source a variant's numbers depend on (None for one that is missing)."""
    base = folder(workload.name)
    hashes = {}
    for relative in variant.sources:
        path = (base / relative).resolve()
        hashes[os.path.relpath(path, ROOT)] = (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        )
    return hashes


def spec_hash(workload) -> str:
    """sha256 of the workload's spec.py: inputs, work count and verification policy live there."""
    return hashlib.sha256((folder(workload.name) / "spec.py").read_bytes()).hexdigest()


def snapshot(workload, variant_names: list[str]) -> dict:
    """The contract as data, plus every selected variant's source hashes (fixtures included when selected)."""
    data = workload.to_json()
    data["spec"] = {os.path.relpath(folder(workload.name) / "spec.py", ROOT): spec_hash(workload)}
    table = workload.table(include_fixtures=True)
    data["variants"] = [
        {**table[name].to_json(), "sources": source_hashes(workload, table[name])} for name in variant_names
    ]
    return data
