"""`reproduce results/<run-id>`: run an archive again as it was recorded, then compare the two.

From the archive alone: the workloads, variants, parameter sets, thread counts, method and precision, seed,
timeouts; the interpreters, matched here by implementation and version (a missing one is one line naming it and
how to get it); the target-environment packages pinned exactly from the archive's locks. Before anything runs,
every variant source whose sha256 differs from the archive's (or that is gone) is listed. The new archive's
metadata says which archive it reproduces, and it holds the comparison with the original (reproduction.json,
the diff of original → reproduction), which its report opens with.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..results import archive, diff
from . import catalog
from .console import say
from .interpreters import INSTALL_HINTS, Interpreter, resolve
from .matrix import Method, ParamSet
from .options import load_workload, set_workloads_path
from .usage import UsageError

REPRODUCTION = "reproduction.json"


@dataclass
class SourceChange:
    path: str
    archived: str | None
    now: str | None

    def line(self) -> str:
        if self.now is None:
            return f"{self.path}: missing in this checkout"
        if self.archived is None:
            return f"{self.path}: was missing when the archive ran"
        return f"{self.path}: changed (sha256 {self.archived[:12]}… then, {self.now[:12]}… now)"


def changed_sources(data: archive.Archive) -> list[SourceChange]:
    """Every variant source the archive names whose content is not what it was."""
    changes, seen = [], set()
    for contract in data.contracts.values():
        for sources in [contract.spec, *(v.sources for v in contract.variants)]:
            for path, archived in sorted(sources.items()):
                if path in seen:
                    continue
                seen.add(path)
                file = catalog.ROOT / path
                now = hashlib.sha256(file.read_bytes()).hexdigest() if file.is_file() else None
                if now != archived:
                    changes.append(SourceChange(path, archived, now))
    return changes


def _candidates(old: dict) -> list[str]:
    version = str(old.get("version") or "")
    major_minor = ".".join(version.split(".")[:2])
    impl = old.get("implementation")
    names = [old.get("executable")] if old.get("executable") else []
    if impl == "pypy":
        names += [f"pypy{major_minor}", "pypy3", "pypy"]
    else:
        threaded = "t" if str(old.get("name", "")).endswith("t") else ""
        names += [f"python{major_minor}{threaded}", f"{major_minor}{threaded}", "current", "python3"]
    return [n for n in dict.fromkeys(names) if n]


def match_interpreter(old: dict) -> Interpreter:
    """The interpreter here with the archived one's implementation and version (patch level preferred)."""
    version = str(old.get("version") or "")
    fallback = None
    for name in _candidates(old):
        found = resolve(name)
        if not found.available or found.implementation != old.get("implementation"):
            continue
        if found.version == version and found.name == old.get("name"):
            return found
        if fallback is None and found.name == old.get("name"):
            fallback = found
    if fallback is not None:
        say(f"reproduce: {old.get('name')} was {version}, here {fallback.version} ({fallback.executable})")
        return fallback
    hint = INSTALL_HINTS.get(str(old.get("implementation")), "")
    raise UsageError(f"reproduce: the archive ran on {old.get('implementation')} {version} ({old.get('name')}), "
                     f"which is not available here; install: {hint}")


def reproduce_options(path: Path, results_dir: Path | None, work_dir: Path, workloads_path: str | None):
    """CompareOptions for running `path` again as it was recorded."""
    from .compare import CompareOptions, WorkloadSelection

    data = archive.read(path)
    meta = data.metadata
    set_workloads_path(workloads_path or meta.get("workloads_path"))
    selections = [
        WorkloadSelection(load_workload(name), meta["variants"][name],
                          [ParamSet(s["label"], tuple(sorted(s["params"].items()))) for s in meta["sizes"][name]])
        for name in meta["workloads"]
    ]
    interpreters = [match_interpreter(old) for old in meta["interpreters"] if old.get("available")]
    locks = {env: data.text(f"locks/{env}.txt") for env in (meta.get("environments") or {})
             if f"locks/{env}.txt" in data.manifest["files"]}
    return data, CompareOptions(
        selections=selections, interpreters=interpreters, threads=meta["threads"],
        method=Method(**{"stop_rule": "median", **meta["method"]}), results_dir=results_dir or path.parent, work_dir=work_dir,
        timeout=float(meta.get("timeout_seconds") or 900), build_timeout=900.0, seed=int(meta["seed"]),
        command_line=["nox", "-s", "reproduce", "--", str(path)], locks=locks,
        baseline_interpreter=meta.get("baseline_interpreter"),
        extra_metadata={"reproduces": {"run_id": meta.get("run_id"), "path": str(path),
                                       "manifest_sha256": archive.sha256_bytes((path / archive.MANIFEST).read_bytes())}},
    )


def attach_comparison(original: archive.Archive, reproduction: Path, work_dir: Path,
                      render) -> diff.Comparison:
    """Add reproduction.json (original → reproduction) to the new archive and publish it again."""
    comparison = diff.compare(original, archive.read(reproduction))
    staging = work_dir / "runs" / f"{reproduction.name}-reproduction-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(reproduction, staging)
    (staging / REPRODUCTION).write_text(json.dumps(comparison.to_json(), indent=1, sort_keys=True, default=str))
    manifest = json.loads((staging / archive.MANIFEST).read_text())
    extra = {k: v for k, v in manifest.items() if k not in ("files", "schema_version")}
    archive.publish(staging, reproduction, extra, render)
    shutil.rmtree(staging, ignore_errors=True)
    return comparison
