"""A run's description as its archive holds it, typed: the run spec (metadata.json: the workloads, variants,
parameter sets, threads, method, seed, interpreters and environments the run was asked for) and the manifest
(manifest.json beside its list of hashed files: the run's id, how it ended, the command, the commit).

One reader of each for everything that runs an archive again or adds to it: `compare --resume`, `reproduce`,
`profile --into`. The run part owns the types a spec turns back into (Method, ParamSet, Interpreter) and the
results library imports nothing from it, so here the method stays the object Method.to_json wrote and a
parameter set its label and values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .archive import MANIFEST, Archive, ArchiveError

# What build_manifest derives from the files themselves; everything else in manifest.json describes the run.
DERIVED_MANIFEST_FIELDS = ("files", "schema_version")


@dataclass(frozen=True)
class ParameterSetSpec:
    label: str  # the workload's label for it ("1000x300")
    params: dict


@dataclass(frozen=True)
class WorkloadSpec:
    name: str
    variants: list[str]
    sizes: list[ParameterSetSpec]


@dataclass(frozen=True)
class InterpreterSpec:
    """A column of the run: what was asked for and what it resolved to (written from
    shootout.run.interpreters.TargetInterpreter)."""

    name: str
    requested: str
    executable: str | None
    implementation: str | None
    version: str | None
    available: bool

    @classmethod
    def from_json(cls, data: dict) -> InterpreterSpec:
        def text(key: str) -> str | None:
            return None if data.get(key) is None else str(data[key])

        return cls(str(data.get("name") or ""), str(data.get("requested") or ""), text("executable"),
                   text("implementation"), text("version"), bool(data.get("available")))


@dataclass(frozen=True)
class RunSpec:
    """What a run was asked to do: enough to run it again or to run the cells it did not get to."""

    workloads: list[WorkloadSpec]
    threads: list[int]
    method: dict  # shootout.run.matrix.Method.to_json()
    seed: int
    timeout_seconds: float | None
    interpreters: list[InterpreterSpec]
    environments: list[str]  # target environments by name; each one's pins are locks/<name>.txt
    baseline_interpreter: str | None
    workloads_path: str | None  # extra folders of workloads the run looked in
    command_line: list[str]

    @classmethod
    def from_json(cls, meta: dict) -> RunSpec:
        """metadata.json (as archive.read gives it: checked and upgraded); KeyError or TypeError when a part
        a run needs is missing."""
        workloads = [
            WorkloadSpec(name, list(meta["variants"][name]),
                         [ParameterSetSpec(s["label"], dict(s["params"])) for s in meta["sizes"][name]])
            for name in meta["workloads"]
        ]
        timeout = meta.get("timeout_seconds")
        return cls(
            workloads=workloads, threads=[int(t) for t in meta["threads"]], method=dict(meta["method"]),
            seed=int(meta["seed"]), timeout_seconds=None if timeout is None else float(timeout),
            interpreters=[InterpreterSpec.from_json(i) for i in meta["interpreters"]],
            environments=list(meta.get("environments") or {}),
            baseline_interpreter=meta.get("baseline_interpreter"),
            workloads_path=meta.get("workloads_path"), command_line=list(meta.get("command_line") or []),
        )

    @classmethod
    def of(cls, data: Archive) -> RunSpec:
        try:
            return cls.from_json(data.metadata)
        except (KeyError, TypeError, ValueError) as exc:
            raise ArchiveError(f"{data.path}/metadata.json: does not describe a run that can be run again "
                               f"({exc.__class__.__name__}: {str(exc)[:80]})") from None


@dataclass(frozen=True)
class Manifest:
    """manifest.json but its file list: written by publish() beside the hashes it derives again each time."""

    run_id: str
    status: str  # archive.ARCHIVE_STATUSES
    command_line: list[str]
    git: dict
    missing_cells: list = field(default_factory=list)
    started_at: str | None = None
    finished_at: str | None = None
    added: dict = field(default_factory=dict)  # what later commands added (profiled_by...), kept as it is

    @classmethod
    def from_json(cls, raw: dict) -> Manifest:
        known = {"run_id", "status", "command_line", "git", "missing_cells", "started_at", "finished_at"}
        return cls(
            run_id=str(raw.get("run_id") or ""), status=str(raw.get("status") or "complete"),
            command_line=list(raw.get("command_line") or []), git=dict(raw.get("git") or {}),
            missing_cells=list(raw.get("missing_cells") or []), started_at=raw.get("started_at"),
            finished_at=raw.get("finished_at"),
            added={k: v for k, v in raw.items() if k not in known and k not in DERIVED_MANIFEST_FIELDS},
        )

    @classmethod
    def of(cls, directory: Path) -> Manifest:
        """The manifest of an archive's directory (a staged copy being added to: publish hashes it
        again)."""
        return cls.from_json(json.loads((Path(directory) / MANIFEST).read_text()))

    def to_json(self) -> dict:
        """The fields archive.publish writes beside the file list (times only where the run recorded them)."""
        times = {k: v for k, v in (("started_at", self.started_at), ("finished_at", self.finished_at)) if v}
        return {"run_id": self.run_id, "status": self.status, "missing_cells": self.missing_cells,
                "command_line": self.command_line, "git": self.git, **times, **self.added}
