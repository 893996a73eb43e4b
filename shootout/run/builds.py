"""Build each variant inside each target env, timed, with its log kept whether it worked or not; reuse a build
from the content-keyed cache when everything that can change the binary is the same (build_cache.py)."""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..results.records import Build
from . import build_cache
from .catalog import BUILDER, ROOT
from .environments import TargetEnv
from .interrupts import NO_STOP, StopRequest
from .logged import run_logged


@dataclass
class BuildResult:
    workload: str
    variant: str
    env: str
    status: str  # ok | not_needed | build_failed | unsupported
    seconds: float
    build_dir: str
    log_file: str  # relative to the archive: logs/build-<env>-<workload>-<variant>.log
    compiler: str | None = None
    compiler_version: str | None = None
    flags: list | None = field(default_factory=list)  # None: a cffi build script that did not report its own
    tool_versions: dict = field(default_factory=dict)
    extension_sha256: str | None = None
    error: str | None = None
    cached: bool = False  # reused from the build cache (seconds, log and flags are the original build's)
    key: str | None = None  # the build-cache key

    @property
    def usable(self) -> bool:
        return self.status in ("ok", "not_needed")

    def to_json(self) -> dict:
        return asdict(self)

    def record_field(self) -> Build:
        """The `build` part of a worker record."""
        return Build(status=self.status, seconds=self.seconds, flags=self.flags, compiler=self.compiler,
                     compiler_version=self.compiler_version, tool_versions=self.tool_versions,
                     extension_sha256=self.extension_sha256, cached=self.cached)


def log_name(env: str, workload: str, variant: str) -> str:
    return f"build-{env}-{workload}-{variant}.log"


@dataclass(frozen=True)
class BuildRequest:
    env: TargetEnv
    workload: object  # workloads.contract.Workload
    variant: str
    builds_dir: Path
    logs_dir: Path
    timeout: float
    cache_dir: Path | None = None  # None: --no-build-cache (always build, never store)


def build_variant(request: BuildRequest, stop: StopRequest = NO_STOP) -> BuildResult:
    """A cached build when the cache has this exact one, else a build in the env's interpreter (then cached).

    When `stop` is requested meanwhile the result means nothing: check it."""
    r = request
    build_key = build_cache.key(r.env, r.workload, r.variant)
    log_path = r.logs_dir / log_name(r.env.name, r.workload.name, r.variant)
    entry = build_cache.lookup(r.cache_dir, build_key) if r.cache_dir else None
    if entry is not None:
        shutil.copy2(entry / "build.log", log_path)
        record = json.loads((entry / "build-record.json").read_text())
        return _result(r, record, None, float(record.get("seconds") or 0.0), entry, log_path,
                       cached=True, key=build_key)
    build_dir = r.builds_dir / r.env.name / r.workload.name / r.variant
    build_dir.mkdir(parents=True, exist_ok=True)
    result = _build(r, build_dir, log_path, stop)
    result.key = build_key
    if result.status in ("ok", "not_needed") and not stop.requested and r.cache_dir is not None:
        build_cache.store(r.cache_dir, build_key, build_dir, r.workload.variant(r.variant).extension_module,
                          log_path)
    return result


def _build(r: BuildRequest, build_dir: Path, log_path: Path, stop: StopRequest) -> BuildResult:
    record_path = build_dir / "build-record.json"
    record_path.unlink(missing_ok=True)
    cmd = [
        str(r.env.python), str(BUILDER), "--workload", r.workload.name, "--variant", r.variant,
        "--build-dir", str(build_dir), "--record", str(record_path),
    ]
    started = time.perf_counter()
    returncode = run_logged(
        cmd, log_path, timeout=r.timeout, cwd=ROOT, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
        stop=stop,
    )
    error = f"build timed out after {r.timeout:.0f} s" if returncode is None else None
    seconds = time.perf_counter() - started
    record: dict = {}
    if record_path.exists():
        try:
            record = json.loads(record_path.read_text())
        except json.JSONDecodeError as exc:
            error = error or f"unreadable build record: {exc}"
    if not record and error is None:
        error = f"builder exited {returncode} without a record; see the log"
    if record and error is None:
        # what the build cost as the orchestrator saw it (kept when cached)
        record["seconds"] = round(seconds, 3)
        record_path.write_text(json.dumps(record, indent=1, sort_keys=True))
    return _result(r, record, error, seconds, build_dir, log_path, returncode=returncode)


def _flags(record: dict) -> list | None:
    """The builder record's flags; None only where the builder said it does not know them."""
    if "flags" in record and record["flags"] is None:
        return None
    return list(record.get("flags") or [])


def _result(r: BuildRequest, record: dict, error: str | None, seconds: float, build_dir: Path, log_path: Path,
            returncode: int | None = None, cached: bool = False, key: str | None = None) -> BuildResult:
    status = record.get("status", "build_failed") if error is None else "build_failed"
    if status == "build_failed" and not error:
        error = record.get("error") or f"builder exited {returncode}"
    return BuildResult(
        workload=r.workload.name, variant=r.variant, env=r.env.name, status=status, seconds=round(seconds, 3),
        build_dir=str(build_dir), log_file=f"logs/{log_path.name}", compiler=record.get("compiler"),
        compiler_version=record.get("compiler_version"), flags=_flags(record),
        tool_versions=dict(record.get("tool_versions") or {}),
        extension_sha256=record.get("extension_sha256"),
        error=error if status == "build_failed" else record.get("error"), cached=cached, key=key,
    )
