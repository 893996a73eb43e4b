"""`nox -s profile`: the tutorial's profilers in their own envs, written into an archive's profiles/ folder.

Any workload: workloads/profiler.py drives the workload's baseline variant (make_inputs, prepare, calculate)
and finds its Cython and Numba variants from the contract; a tool that has nothing to look at in this workload
(no Cython variant, no Numba variant, a baseline that needs a build or does not run on that interpreter) is
recorded as skipped with the reason. Profiling envs live apart from timing envs (profilers and their deps must
never perturb a timed run). The result goes into an existing archive (`--into results/<run-id>`: re-hashed and
re-rendered) or, by default, into a new profile-only archive.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ..results import archive, summaries
from ..results.runspec import Manifest
from . import catalog, environments, metadata
from .catalog import ROOT
from .console import say
from .interpreters import TargetInterpreter
from .logged import run_logged
from .matrix import ParamSet

PROFILER = ROOT / "workloads" / "profiler.py"

# (tool, implementation it runs on): cProfile/line_profiler/annotations on CPython; memory on both; vmprof on
# PyPy
BASELINE_TOOLS = ("cprofile", "line", "memory", "vmprof")  # the ones that run the baseline variant
PLAN = [
    ("cprofile", "cpython"),
    ("line", "cpython"),
    ("memory", "cpython"),
    ("cython-annotate", "cpython"),
    ("numba-inspect", "cpython"),
    ("memory", "pypy"),
    ("vmprof", "pypy"),
]


def not_applicable(workload, tool: str, implementation: str) -> str | None:
    """Why `tool` has nothing to profile in this workload on this implementation (None: it has)."""
    if tool in BASELINE_TOOLS:
        baseline = workload.variant(workload.roles.baseline)
        if baseline.build != "none":
            return (f"the baseline variant {baseline.name} needs a {baseline.build} build "
                    "(profiled: build-free only)")
        if baseline.unsupported.get(implementation):
            return f"the baseline variant {baseline.name}: {baseline.unsupported[implementation]}"
    elif tool == "cython-annotate" and not any(v.build == "cython" for v in workload.variants):
        return f"{workload.name} has no Cython variant"
    elif tool == "numba-inspect" and not any(v.technology == "numba" and not v.unsupported.get(implementation)
                                             for v in workload.variants):
        return f"{workload.name} has no Numba variant"
    return None


def profiled_variants(workload) -> list[str]:
    """The variants the tools look at: the baseline, then every Cython and Numba variant."""
    names = [workload.roles.baseline] + [v.name for v in workload.variants
                                         if v.build == "cython" or v.technology == "numba"]
    return list(dict.fromkeys(names))


@dataclass
class ProfileOptions:
    workload: object  # the workloads.contract.Workload
    size: ParamSet
    interpreters: list[TargetInterpreter]
    results_dir: Path
    work_dir: Path
    into: Path | None
    command_line: list[str]
    timeout: float = 1800


def run(options: ProfileOptions, render: Callable[[Path], bytes]) -> tuple[Path, int]:
    """Every tool of PLAN in its env, then the archive (a new profile-only one, or --into's, re-published)."""
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
    results = [run_tool(options, tool, implementation, envs.get(implementation), profiles, logs)
               for tool, implementation in PLAN]
    for env in envs.values():
        env.release()
        (staging / "locks").mkdir(exist_ok=True)
        (staging / "locks" / f"profile-{env.name}.txt").write_text(env.lock)
    (profiles / "index.json").write_bytes(archive.dumps(index_json(options, results, started)))
    git = metadata.git_info()
    if not options.into:  # a profile-only archive: the same layout, with no timing cells
        archive.write_tree(staging, profile_only_files(options, run_id, envs, git, started))
        manifest = Manifest(run_id, "complete", options.command_line, git)
    else:
        manifest = Manifest.of(staging)
        manifest = replace(manifest, added={**manifest.added, "profiled_by": options.command_line})
    final = archive.publish(staging, options.results_dir / run_id, manifest.to_json(), render)
    shutil.rmtree(run_dir, ignore_errors=True)
    failed = [r for r in results if r["status"] == "failed"]
    for r in results:
        say(f"  {r['tool']:16} {r['implementation']:8} "
            f"{r['status']}{': ' + r['error'] if r.get('error') else ''}")
    return final, (1 if failed else 0)


def run_tool(options: ProfileOptions, tool: str, implementation: str, env: environments.TargetEnv | None,
             profiles: Path, logs: Path) -> dict:
    """One profiler run (workloads/profiler.py in the env), or why it was skipped; its index.json entry."""
    workload = options.workload
    entry = {"tool": tool, "implementation": implementation}
    skip = (f"no {implementation} interpreter available" if env is None
            else not_applicable(workload, tool, implementation))
    if skip:
        entry.update(status="skipped", error=skip, env=env.name if env else None)
        return entry
    log = logs / f"profile-{env.name}-{tool}.log"
    cmd = [
        str(env.python), str(PROFILER), "--tool", tool, "--workload", workload.name,
        "--params", json.dumps(options.size.params, sort_keys=True), "--out", str(profiles / env.name),
    ]
    say(f"profile {tool} on {env.name} ({options.size.label})")
    t0 = time.perf_counter()
    code = run_logged(cmd, log, timeout=options.timeout, cwd=ROOT)
    entry.update(
        env=env.name, seconds=round(time.perf_counter() - t0, 2), log_file=f"logs/{log.name}",
        status="ok" if code == 0 else "failed",
        error=None if code == 0 else (f"exit {code}" if code is not None else "timed out") + "; see the log",
    )
    return entry


def index_json(options: ProfileOptions, results: list[dict], started: dt.datetime) -> dict:
    """profiles/index.json: what was profiled (workload, baseline, parameters, the sources' sha256) and
    how."""
    workload = options.workload
    profiled = catalog.snapshot(workload, profiled_variants(workload))
    return {
        "workload": workload.name, "title": workload.title, "work_unit": workload.work_unit,
        "baseline": workload.roles.baseline, "size": options.size.label, "params": options.size.params,
        "sources": {v["name"]: v["sources"] for v in profiled["variants"]},
        "results": results, "command_line": options.command_line,
        "started_at": started.isoformat(timespec="seconds"),
    }


def profile_only_files(
    options: ProfileOptions, run_id: str, envs: dict, git: dict, started: dt.datetime
) -> dict:
    """metadata.json, builds.json and timings.csv.gz of an archive that holds profiles and no timing cells."""
    name = options.workload.name
    return {
        "metadata.json": archive.dumps({
            "run_id": run_id, "kind": "profile", "workloads": [name],
            "contracts": {name: catalog.snapshot(options.workload, [])}, "variants": {name: []},
            "sizes": {name: []}, "threads": [],
            "method": {"name": "profile", "processes": 0, "warmups": 0, "calls": 0, "jit_calls": 0},
            "machine": metadata.machine(), "interpreters": [i.to_json() for i in options.interpreters],
            "environments": {n: e.to_json() for n, e in envs.items()}, "planned_cells": [],
            "git": git, "command_line": options.command_line,
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }),
        "builds.json": archive.dumps([]),
        "timings.csv.gz": archive.gzip_bytes(summaries.tidy([]).to_csv(index=False).encode()),
    }
