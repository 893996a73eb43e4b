"""`nox -s profile`: the tutorial's profilers in their own envs, written into an archive's profiles/ folder.

Profiling envs live apart from timing envs (profilers and their deps must never perturb a timed run). The
result goes into an existing archive (`--into results/<run-id>`: re-hashed and re-rendered) or, by default,
into a new profile-only archive.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import archive, environments, metadata, stats
from .console import say
from .interpreters import Interpreter
from .logged import run_logged
from .workloads import ROOT

PROFILER = ROOT / "workloads" / "profiler.py"

# (tool, implementation it runs on): cProfile/line_profiler/annotations on CPython; memory on both; vmprof on PyPy
PLAN = [
    ("cprofile", "cpython"),
    ("line", "cpython"),
    ("memory", "cpython"),
    ("cython-annotate", "cpython"),
    ("numba-inspect", "cpython"),
    ("memory", "pypy"),
    ("vmprof", "pypy"),
]


@dataclass
class ProfileOptions:
    interpreters: list[Interpreter]
    width: int
    max_iterations: int
    results_dir: Path
    work_dir: Path
    into: Path | None
    command_line: list[str]
    timeout: float = 1800


def run(options: ProfileOptions, render: Callable[[Path], bytes]) -> tuple[Path, int]:
    started = dt.datetime.now(dt.timezone.utc)
    runs_dir = options.work_dir / "runs"
    if options.into:
        archive.read(options.into)  # refuse to add to an archive that does not verify
        run_id, run_dir = options.into.name, runs_dir / f"{options.into.name}-profile-{os.getpid()}"
        shutil.rmtree(run_dir, ignore_errors=True)
        shutil.copytree(options.into, run_dir)
    else:
        run_id, run_dir = archive.reserve(runs_dir, options.results_dir,
                                          archive.safe_run_id(f"{started:%Y%m%d-%H%M%S}-profile"))
    staging = run_dir
    profiles = staging / "profiles"
    shutil.rmtree(profiles, ignore_errors=True)
    profiles.mkdir(parents=True)
    logs = staging / "logs"
    logs.mkdir(exist_ok=True)

    envs: dict[str, environments.TargetEnv] = {}
    for interp in options.interpreters:
        if interp.available:
            say(f"profiling environment {interp.name}")
            envs[interp.implementation] = environments.ensure(
                interp, options.work_dir / "profile-envs", logs / f"profile-env-{interp.name}.log",
                purpose="profile-",
            )
    results = []
    for tool, implementation in PLAN:
        env = envs.get(implementation)
        entry = {"tool": tool, "implementation": implementation}
        if env is None:
            entry.update(status="skipped", error=f"no {implementation} interpreter available")
            results.append(entry)
            continue
        out_dir = profiles / env.name
        log = logs / f"profile-{env.name}-{tool}.log"
        cmd = [
            str(env.python), str(PROFILER), "--tool", tool, "--width", str(options.width),
            "--max-iterations", str(options.max_iterations), "--out", str(out_dir),
        ]
        say(f"profile {tool} on {env.name} ({options.width}x{options.max_iterations})")
        t0 = time.perf_counter()
        code = run_logged(cmd, log, timeout=options.timeout, cwd=ROOT)
        entry.update(
            env=env.name, seconds=round(time.perf_counter() - t0, 2), log_file=f"logs/{log.name}",
            status="ok" if code == 0 else "failed",
            error=None if code == 0 else (f"exit {code}" if code is not None else "timed out") + "; see the log",
        )
        results.append(entry)
    for env in envs.values():
        env.release()
        (staging / "locks").mkdir(exist_ok=True)
        (staging / "locks" / f"profile-{env.name}.txt").write_text(env.lock)
    (profiles / "index.json").write_bytes(archive.dumps({
        "width": options.width, "max_iterations": options.max_iterations, "results": results,
        "command_line": options.command_line, "started_at": started.isoformat(timespec="seconds"),
    }))
    git = metadata.git_info()
    if not options.into:  # a profile-only archive: the same layout, with no timing cells
        archive.write_tree(staging, {
            "metadata.json": archive.dumps({
                "run_id": run_id, "kind": "profile", "workload": "julia", "variants": [], "sizes": [],
                "threads": [], "method": {"name": "profile", "processes": 0, "warmups": 0, "calls": 0,
                                          "jit_calls": 0},
                "machine": metadata.machine(), "interpreters": [i.to_json() for i in options.interpreters],
                "environments": {n: e.to_json() for n, e in envs.items()}, "planned_cells": [],
                "git": git, "command_line": options.command_line,
                "started_at": started.isoformat(timespec="seconds"),
                "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            }),
            "builds.json": archive.dumps([]),
            "timings.csv.gz": archive.gzip_bytes(stats.tidy([]).to_csv(index=False).encode()),
        })
        manifest_extra = {"run_id": run_id, "status": "complete", "missing_cells": [],
                          "command_line": options.command_line, "git": git}
    else:
        old = json.loads((staging / archive.MANIFEST).read_text())
        manifest_extra = {k: v for k, v in old.items() if k not in ("files", "schema_version")}
        manifest_extra["profiled_by"] = options.command_line
    final = archive.publish(staging, options.results_dir / run_id, manifest_extra, render)
    shutil.rmtree(run_dir, ignore_errors=True)
    failed = [r for r in results if r["status"] == "failed"]
    for r in results:
        say(f"  {r['tool']:16} {r['implementation']:8} {r['status']}{': ' + r['error'] if r.get('error') else ''}")
    return final, (1 if failed else 0)
