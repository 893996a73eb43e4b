"""results/<run-id>/: written atomically (temp dir + rename), every file hashed in manifest.json, read back
with json/csv only (no pickle, no eval), refusing anything whose hashes or schema do not match."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
REPORT = "report.html"  # derived from the other files, so not itself in the hash list


class ArchiveError(Exception):
    """An archive that cannot be trusted or read; the message is the one line the user sees."""


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


def safe_run_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:80]


@dataclass
class Archive:
    path: Path
    manifest: dict
    metadata: dict
    records: list[dict]
    builds: list[dict]
    timings: pd.DataFrame

    def text(self, relative: str) -> str:
        return (self.path / relative).read_text(errors="replace")


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


def commit(staging: Path, final: Path) -> Path:
    """Atomic publish: the archive appears whole or not at all."""
    if final.exists():
        backup = final.with_name(f".{final.name}.old")
        shutil.rmtree(backup, ignore_errors=True)
        os.rename(final, backup)
        os.rename(staging, final)
        shutil.rmtree(backup, ignore_errors=True)
    else:
        os.rename(staging, final)
    return final


def publish(staging: Path, final: Path, manifest_extra: dict, render: Callable[[Path], bytes]) -> Path:
    """Hash the staged files into the manifest, render the report from them, and rename into place.

    A rendering bug must never cost the measurements: the archive is published anyway and the error is said
    on stderr with the command that renders it again.
    """
    manifest = build_manifest(staging, manifest_extra)
    (staging / MANIFEST).write_bytes(dumps(manifest))
    try:
        (staging / REPORT).write_bytes(render(staging))
    except Exception as exc:  # noqa: BLE001 - see the docstring
        print(
            f"report rendering failed ({exc.__class__.__name__}: {exc}); the archive is intact, "
            f"re-render with: nox -s report -- {final}",
            file=sys.stderr, flush=True,
        )
    return commit(staging, final)


def read(path: Path) -> Archive:
    """Load and verify an archive; any problem is an ArchiveError with one clear line."""
    path = Path(path)
    if not path.is_dir():
        raise ArchiveError(f"{path}: not a directory (expected results/<run-id>/)")
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise ArchiveError(f"{path}: not a pyshootout archive (no {MANIFEST})")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"{manifest_path}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or "files" not in manifest:
        raise ArchiveError(f"{manifest_path}: not a pyshootout manifest (no file list)")
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ArchiveError(
            f"{manifest_path}: unknown schema_version {version!r} (this pyshootout reads {SCHEMA_VERSION})"
        )
    for relative, entry in sorted(manifest["files"].items()):
        target = path / relative
        if ".." in Path(relative).parts or Path(relative).is_absolute():
            raise ArchiveError(f"{manifest_path}: refuses path {relative!r} outside the archive")
        if not target.is_file():
            raise ArchiveError(f"{path}: manifest lists {relative} but the file is missing")
        if sha256_bytes(target.read_bytes()) != entry.get("sha256"):
            raise ArchiveError(f"{path}: {relative} does not match its sha256 in the manifest (modified or corrupt)")
    try:
        metadata = json.loads((path / "metadata.json").read_text())
        records = [
            json.loads((path / rel).read_text())
            for rel in sorted(manifest["files"])
            if rel.startswith("records/") and rel.endswith(".json")
        ]
        builds = json.loads((path / "builds.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ArchiveError(f"{path}: unreadable archive file ({exc})") from None
    try:
        timings = pd.read_csv(path / "timings.csv.gz")
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"{path}/timings.csv.gz: unreadable ({exc.__class__.__name__}: {exc})") from None
    return Archive(path, manifest, metadata, records, builds, timings)
