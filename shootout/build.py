"""Build each variant inside each target env, timed, with its log kept whether it worked or not."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .environments import TargetEnv
from .interrupts import NO_STOP, StopRequest
from .logged import run_logged
from .workloads import BUILDER, ROOT


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
    flags: list = field(default_factory=list)
    tool_versions: dict = field(default_factory=dict)
    extension_sha256: str | None = None
    error: str | None = None

    @property
    def usable(self) -> bool:
        return self.status in ("ok", "not_needed")

    def to_json(self) -> dict:
        return asdict(self)

    def record_field(self) -> dict:
        """The `build` object of a worker record."""
        return {
            "status": self.status,
            "seconds": self.seconds,
            "flags": self.flags,
            "compiler": self.compiler,
            "compiler_version": self.compiler_version,
            "tool_versions": self.tool_versions,
            "extension_sha256": self.extension_sha256,
        }


def log_name(env: str, workload: str, variant: str) -> str:
    return f"build-{env}-{workload}-{variant}.log"


def build_variant(
    env: TargetEnv, workload: str, variant: str, builds_dir: Path, logs_dir: Path, timeout: float,
    stop: StopRequest = NO_STOP,
) -> BuildResult:
    """Build in the env's interpreter. When `stop` is requested meanwhile the result means nothing: check it."""
    build_dir = builds_dir / env.name / workload / variant
    build_dir.mkdir(parents=True, exist_ok=True)
    record_path = build_dir / "build-record.json"
    record_path.unlink(missing_ok=True)
    log_path = logs_dir / log_name(env.name, workload, variant)
    cmd = [
        str(env.python), str(BUILDER), "--workload", workload, "--variant", variant,
        "--build-dir", str(build_dir), "--record", str(record_path),
    ]
    started = time.perf_counter()
    returncode = run_logged(
        cmd, log_path, timeout=timeout, cwd=ROOT, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"), stop=stop
    )
    error = f"build timed out after {timeout:.0f} s" if returncode is None else None
    seconds = time.perf_counter() - started
    record: dict = {}
    if record_path.exists():
        try:
            record = json.loads(record_path.read_text())
        except json.JSONDecodeError as exc:
            error = error or f"unreadable build record: {exc}"
    if not record and error is None:
        error = f"builder exited {returncode} without a record; see the log"
    status = record.get("status", "build_failed") if error is None else "build_failed"
    if status == "build_failed" and not error:
        error = record.get("error") or f"builder exited {returncode}"
    return BuildResult(
        workload=workload,
        variant=variant,
        env=env.name,
        status=status,
        seconds=round(seconds, 3),
        build_dir=str(build_dir),
        log_file=f"logs/{log_path.name}",
        compiler=record.get("compiler"),
        compiler_version=record.get("compiler_version"),
        flags=list(record.get("flags") or []),
        tool_versions=dict(record.get("tool_versions") or {}),
        extension_sha256=record.get("extension_sha256"),
        error=error if status in ("build_failed",) else record.get("error"),
    )
