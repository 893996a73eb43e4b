"""results/<run-id>/: written atomically, every file hashed in manifest.json, read back with json/csv only (no
pickle, no eval), refusing anything whose hashes, schema or fields do not hold, in one line.

Writing: a run stages its whole archive in the work dir (.nox/shootout/runs/<run-id>/archive), then copies it
into a hidden temp dir next to its final place and renames it there. A full or read-only results disk costs
nothing measured: the temp dir is removed, the final name never appears half-written, and the complete archive
stays in the work dir, named in the error.

Schema-version policy (as asv's results `api_version`): SCHEMA_VERSION is bumped on any change an older reader
would misread (a field renamed, removed or given a new meaning; a new required file). Adding an optional field
is not a bump. The reader takes every version from 1 up to its own: an older archive is upgraded in memory by
MIGRATIONS[v] (v → v+1), one small function per bump, and is never rewritten on disk. A newer version is
refused with the version that wrote it. tests/fixtures/archive-v1 must keep rendering. The bumps so far:
  1 → 2  the workload contract: generic parameters (`size` label), work_units, values_differing, the contract
         snapshot in metadata (migrations.v1_to_v2).
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sys
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from . import counts, migrations, summaries
from . import records as records_mod
from .records import PlainRecord, Record, RecordError
from .snapshot import ContractSnapshot, RolesSnapshot, SnapshotError

SCHEMA_VERSION = records_mod.SCHEMA_VERSION  # archive and record format move together
MANIFEST = "manifest.json"
REPORT = "report.html"  # derived from the other files, so not itself in the hash list
ARCHIVE_STATUSES = ("complete", "incomplete")
TIMING_COLUMNS = ("workload", "variant", "interpreter", "threads", "process_index", "call_index", "seconds")


class ArchiveError(Exception):
    """An archive that cannot be trusted or read; the message is the one line the user sees."""


class ArchiveWriteError(Exception):
    """The archive could not be written where asked (disk full, read-only...); it is complete at `kept`."""

    def __init__(self, message: str, kept: Path):
        super().__init__(message)
        self.kept = kept


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip (no mtime, no name) so the same table gives the same bytes."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as fh:
        fh.write(data)
    return buffer.getvalue()


def dumps(obj) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=True, allow_nan=True, default=str) + "\n").encode()


def record_files(records: list[Record], name: Callable[[Record], str]) -> dict[str, bytes]:
    """The files made from the worker records: records/<name>.json and the two tables of them, timings.csv.gz
    (one row per call) and processes.csv (one row per process), the only places they become JSON and CSV."""
    files = {f"records/{name(r)}.json": dumps(r.to_json()) for r in records}
    files["timings.csv.gz"] = gzip_bytes(summaries.tidy(records).to_csv(index=False).encode())
    files["processes.csv"] = summaries.record_rows(records).to_csv(index=False).encode()
    return files


def count_files(records: list[Record], name: Callable[[Record], str]) -> dict[str, bytes]:
    """The files of the counting processes (optional part): counts/<name>.json and instructions.csv (one row
    per counted call). Apart from records/ and timings.csv.gz: their seconds are valgrind's."""
    files = {f"counts/{name(r)}.json": dumps(r.to_json()) for r in records}
    files["instructions.csv"] = counts.count_rows(records).to_csv(index=False).encode()
    return files


def safe_run_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:80]


@dataclass
class Archive:
    path: Path
    manifest: dict
    metadata: dict
    records: list[Record]
    builds: list[dict]
    timings: pd.DataFrame
    contracts: dict[str, ContractSnapshot]  # by workload name, in the run's order
    plain: list[PlainRecord] = field(default_factory=list)  # plain/*.json: the harness-overhead check
    counts: list[Record] = field(default_factory=list)  # counts/*.json: counting processes (Callgrind)

    def text(self, relative: str) -> str:
        return (self.path / relative).read_text(errors="replace")

    @property
    def roles(self) -> dict[str, RolesSnapshot]:
        """Each workload's roles, with the run's baseline interpreter (None: the default rule,
        summaries.py)."""
        chosen = self.metadata.get("baseline_interpreter")
        chosen = chosen if isinstance(chosen, str) else None
        return {name: replace(contract.roles, baseline_interpreter=chosen)
                for name, contract in self.contracts.items()}


# ---------------------------------------------------------------- writing


def reserve(runs_dir: Path, results_dir: Path, base_id: str) -> tuple[str, Path]:
    """A run id no other run (concurrent or earlier) has, and its staging dir: made exclusively, so two runs
    started in the same second get `<id>` and `<id>-2`."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        run_id = base_id if n == 1 else f"{base_id}-{n}"
        if (results_dir / run_id).exists():
            continue
        try:
            (runs_dir / run_id).mkdir()
        except FileExistsError:
            continue
        return run_id, runs_dir / run_id
    raise ArchiveError(f"no free run id for {base_id} in {runs_dir}")


def write_tree(directory: Path, files: dict[str, bytes]) -> None:
    for relative, data in files.items():
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def build_manifest(directory: Path, extra: dict) -> dict:
    entries = {}
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory).as_posix()
        if path.is_file() and relative not in (MANIFEST, REPORT):
            entries[relative] = {"sha256": sha256_bytes(path.read_bytes()), "bytes": path.stat().st_size}
    return {"schema_version": SCHEMA_VERSION, "files": entries, **extra}


def swap_into_place(temp: Path, final: Path) -> None:
    """Put the complete directory `temp` at `final` (same file system): rename(2) is atomic, so the name shows
    the old complete tree (an archive resumed or profiled into, a provisioned interpreter built again), then
    briefly nothing, then the new one; never a partial one."""
    if final.exists():
        backup = final.with_name(f".{final.name}.old-{os.getpid()}")
        shutil.rmtree(backup, ignore_errors=True)
        os.rename(final, backup)
        os.rename(temp, final)
        shutil.rmtree(backup, ignore_errors=True)
    else:
        os.rename(temp, final)


def install(staging: Path, final: Path) -> Path:
    """Copy a complete staged archive next to `final` and rename it into place; never leaves a partial one."""
    temp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(temp, ignore_errors=True)
        shutil.copytree(staging, temp)
        swap_into_place(temp, final)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            reason += " (the results disk is full)"
        raise ArchiveWriteError(
            f"could not write the archive to {final.parent}: {reason}; it is complete in {staging} "
            f"(move it there once there is room: mv {staging} {final})", staging,
        ) from None
    return final


def publish(staging: Path, final: Path, manifest_extra: dict, render: Callable[[Path], bytes]) -> Path:
    """Hash the staged files into the manifest, render the report from them, and install into place.

    A rendering bug must never cost the measurements: the archive is published anyway and the error is said
    on stderr with the command that renders it again.
    """
    manifest = build_manifest(staging, manifest_extra)
    (staging / MANIFEST).write_bytes(dumps(manifest))
    try:
        html = render(staging)
    except Exception as exc:  # noqa: BLE001 - see the docstring
        print(
            f"report rendering failed ({exc.__class__.__name__}: {exc}); the archive is intact, "
            f"re-render with: nox -s report -- {final}",
            file=sys.stderr, flush=True,
        )
    else:
        (staging / REPORT).write_bytes(html)
    return install(staging, final)


def write_file_atomic(target: Path, data: bytes) -> None:
    """Replace one file whole (report.html over a good one): a temp file, then rename; no partial file
    left."""
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------- reading

MIGRATIONS: dict[int, Callable[[dict], dict]] = {  # v -> upgrade of the raw archive parts from v to v+1
    1: migrations.v1_to_v2,
}


def _load_json(path: Path, relative: str):
    try:
        return json.loads((path / relative).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ArchiveError(f"{path}/{relative}: unreadable "
                           f"({exc.__class__.__name__}: {str(exc)[:120]})") from None


def _read_manifest(path: Path) -> dict:
    if not path.is_dir():
        raise ArchiveError(f"{path}: not a directory (expected results/<run-id>/)")
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise ArchiveError(f"{path}: not a pyshootout archive (no {MANIFEST})")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ArchiveError(f"{manifest_path}: not valid JSON ({str(exc)[:120]})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise ArchiveError(f"{manifest_path}: not a pyshootout manifest (no file list)")
    version = manifest.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ArchiveError(f"{manifest_path}: unknown schema_version {version!r} (this pyshootout reads 1 to "
                           f"{SCHEMA_VERSION})")
    if version > SCHEMA_VERSION:
        raise ArchiveError(f"{manifest_path}: unknown schema_version {version!r}: written by a newer "
                           f"pyshootout (this one reads 1 to {SCHEMA_VERSION}); upgrade pyshootout to "
                           f"read it")
    if manifest.get("status", "complete") not in ARCHIVE_STATUSES:
        raise ArchiveError(f"{manifest_path}: status {str(manifest.get('status'))[:40]!r} is not one of "
                           f"{', '.join(ARCHIVE_STATUSES)}")
    return manifest


def _verify_files(path: Path, manifest: dict) -> None:
    for relative, entry in sorted(manifest["files"].items()):
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            raise ArchiveError(f"{path}/{MANIFEST}: entry for {str(relative)[:80]!r} has no sha256")
        if ".." in Path(relative).parts or Path(relative).is_absolute() or "\x00" in relative:
            raise ArchiveError(f"{path}/{MANIFEST}: refuses path {relative[:80]!r} outside the archive")
        target = path / relative
        if not target.is_file():
            raise ArchiveError(f"{path}: manifest lists {relative} but the file is missing")
        if sha256_bytes(target.read_bytes()) != entry["sha256"]:
            raise ArchiveError(f"{path}: {relative} does not match its sha256 in the manifest "
                               f"(modified or corrupt)")
    for required in ("metadata.json", "builds.json", "timings.csv.gz"):
        if required not in manifest["files"]:
            raise ArchiveError(f"{path}: {MANIFEST} does not list {required}")


def _read_timings(path: Path) -> pd.DataFrame:
    try:
        timings = pd.read_csv(path / "timings.csv.gz")
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile, pd.errors.ParserError, pd.errors.EmptyDataError,
            UnicodeDecodeError, ValueError) as exc:
        raise ArchiveError(f"{path}/timings.csv.gz: unreadable "
                           f"({exc.__class__.__name__}: {str(exc)[:120]})") from None
    return timings


def read(path: Path) -> Archive:
    """Load, verify, upgrade and check an archive; any problem is an ArchiveError with one clear line."""
    path = Path(path)
    manifest = _read_manifest(path)
    _verify_files(path, manifest)
    parts = {
        "manifest": manifest,
        "metadata": _load_json(path, "metadata.json"),
        "builds": _load_json(path, "builds.json"),
        "records": {rel: _load_json(path, rel) for rel in sorted(manifest["files"])
                    if rel.startswith("records/") and rel.endswith(".json")},
    }
    for version in range(manifest["schema_version"], SCHEMA_VERSION):
        parts = MIGRATIONS[version](parts)
    _check_parts(path, parts)
    records = _typed_records(path, parts["records"])
    contracts = _contracts(path, parts["metadata"], records)
    timings = _read_timings(path)
    _check_timings(path, timings, records.values())
    return Archive(path, parts["manifest"], parts["metadata"], list(records.values()), parts["builds"],
                   timings, contracts, _plain_records(path, manifest), _count_records(path, manifest))


def _typed_records(path: Path, raw: dict) -> dict[str, Record]:
    """Each record file (migrated to this version's JSON) as a Record; the first bad field is the error."""
    typed = {}
    for relative, data in raw.items():
        try:
            typed[relative] = Record.from_json(data)
        except RecordError as exc:
            raise ArchiveError(f"{path}/{relative}: {exc}") from None
        if typed[relative].instrument is not None:  # its seconds are valgrind's: never among the timed ones
            raise ArchiveError(f"{path}/{relative}: a counting process's record among the timed ones")
    return typed


def _plain_records(path: Path, manifest: dict) -> list[PlainRecord]:
    """The plain-program records (an optional part: archives from before the overhead check have none)."""
    found = []
    for relative in sorted(manifest["files"]):
        if relative.startswith("plain/") and relative.endswith(".json"):
            try:
                found.append(PlainRecord.from_json(_load_json(path, relative)))
            except RecordError as exc:
                raise ArchiveError(f"{path}/{relative}: {exc}") from None
    return found


def _count_records(path: Path, manifest: dict) -> list[Record]:
    """The counting processes' records (an optional part: only runs with --instruments instructions)."""
    found = []
    for relative in sorted(manifest["files"]):
        if relative.startswith("counts/") and relative.endswith(".json"):
            try:
                record = Record.from_json(_load_json(path, relative))
            except RecordError as exc:
                raise ArchiveError(f"{path}/{relative}: {exc}") from None
            if record.instrument != "instructions":
                raise ArchiveError(f"{path}/{relative}: a counting record without instrument 'instructions'")
            found.append(record)
    return found


def _contracts(path: Path, meta: dict, records: dict[str, Record]) -> dict[str, ContractSnapshot]:
    raw = meta.get("contracts")
    if not isinstance(raw, dict):
        raise ArchiveError(f"{path}/metadata.json: no 'contracts' object")
    try:
        contracts = {str(name): ContractSnapshot.from_json(data) for name, data in raw.items()}
    except SnapshotError as exc:
        raise ArchiveError(f"{path}/metadata.json: {exc}") from None
    for relative, record in records.items():
        if record.workload not in contracts:
            raise ArchiveError(f"{path}/{relative}: workload {record.workload!r} has no contract in "
                               "metadata.json")
    return contracts


# ---------------------------------------------------------------- checks of what was read

_METADATA_TYPES = {
    "run_id": str, "workloads": list, "contracts": dict, "variants": dict, "sizes": dict, "threads": list,
    "method": dict,
    "machine": dict, "interpreters": list, "environments": dict, "environment_failures": dict,
    "planned_cells": list, "git": dict, "command_line": list, "seed": int,
}


def _check_parts(path: Path, parts: dict) -> None:
    meta = parts["metadata"]
    if not isinstance(meta, dict):
        raise ArchiveError(f"{path}/metadata.json: not a JSON object")
    for key, kind in _METADATA_TYPES.items():
        if key in meta and meta[key] is not None and not isinstance(meta[key], kind):
            raise ArchiveError(f"{path}/metadata.json: {key!r} is not a {kind.__name__}")
    if not all(isinstance(i, dict) for i in meta.get("interpreters") or []):
        raise ArchiveError(f"{path}/metadata.json: 'interpreters' holds something that is not an object")
    builds = parts["builds"]
    if not isinstance(builds, list) or not all(
        isinstance(b, dict) and isinstance(b.get("env"), str) and isinstance(b.get("variant"), str)
        for b in builds
    ):
        raise ArchiveError(f"{path}/builds.json: not a list of builds with env and variant")


def _check_timings(path: Path, timings: pd.DataFrame, records: Iterable[Record]) -> None:
    missing = [c for c in TIMING_COLUMNS if c not in timings.columns]
    if missing:
        raise ArchiveError(f"{path}/timings.csv.gz: no column {missing[0]!r}")
    expected = sum(len(r.times_seconds) for r in records)
    if len(timings) != expected:
        raise ArchiveError(f"{path}/timings.csv.gz: {len(timings)} rows for the records' {expected} "
                           f"timed calls")
    seconds = pd.to_numeric(timings["seconds"], errors="coerce")
    if seconds.isna().any() or (seconds < 0).any():
        raise ArchiveError(f"{path}/timings.csv.gz: 'seconds' holds a value that is not a time")
