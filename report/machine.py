"""The run's context, from metadata.json, builds.json and locks/: machine, interpreters, environments, builds,
and how to reproduce it. Every field is archive text, shown escaped.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from shootout.results.archive import Archive

from .columns import Column, Provisioning
from .formatting import DASH, flatten


@dataclass(frozen=True)
class InterpreterInfo:
    name: str
    implementation: str
    version: str
    executable: str
    available: bool
    reason: str
    details: list[tuple[str, str]]
    label: str = ""  # 'cpython3.13t (free-threaded, GIL off)' (report/columns.py); the name when plain
    build: Provisioning | None = None  # how a provisioned interpreter was made; None when the run found it


@dataclass(frozen=True)
class EnvironmentInfo:
    name: str
    details: list[tuple[str, str]]


@dataclass(frozen=True)
class BuildRow:
    env: str
    workload: str
    variant: str
    status: str
    seconds: float | None
    compiler: str
    flags: str
    sha256: str


@dataclass(frozen=True)
class Machine:
    summary: str
    rows: list[tuple[str, str]]
    interpreters: list[InterpreterInfo]
    environments: list[EnvironmentInfo]
    builds: list[BuildRow]
    locks: list[tuple[str, str]]  # (environment, pinned packages)


@dataclass(frozen=True)
class Reproduce:
    command: str
    rerender: str
    git_commit: str
    git_dirty: bool


def dict_of(value) -> dict:
    return value if isinstance(value, dict) else {}


def machine_summary(machine: dict) -> str:
    cpu, memory = dict_of(machine.get("cpu")), dict_of(machine.get("memory"))
    parts = [str(cpu.get("model") or "unknown CPU")]
    if cpu.get("logical_cpus"):
        parts.append(f"{cpu['logical_cpus']} logical CPUs")
    total = str(memory.get("MemTotal") or "")
    if total.endswith(" kB") and total[:-3].strip().isdigit():
        parts.append(f"{int(total[:-3]) / 1024 / 1024:.1f} GiB RAM")
    if machine.get("kernel"):
        parts.append(str(machine["kernel"]).split(" #")[0])
    if machine.get("hostname"):
        parts.append(f"host {machine['hostname']}")
    return ", ".join(parts)


def _interpreter(info: dict, column: Column | None) -> InterpreterInfo:
    return InterpreterInfo(
        name=str(info.get("name")), implementation=str(info.get("implementation") or DASH),
        version=str(info.get("version") or DASH), executable=str(info.get("executable") or DASH),
        available=bool(info.get("available")), reason=str(info.get("reason") or ""),
        details=flatten(info.get("info") or {}),
        label=column.label if column is not None else str(info.get("name")),
        build=column.build if column is not None else None,
    )


def _flags_text(b: dict) -> str:
    """A build's compiler flags; a cffi build script that did not report its own chose them itself."""
    flags = b.get("flags")
    if isinstance(flags, list):
        return " ".join(str(f) for f in flags)
    if "flags" in b and flags is None:
        return "chosen by its build script (not reported)"
    return str(flags or "")


def _build(b: dict) -> BuildRow:
    seconds = b.get("seconds")
    return BuildRow(
        env=str(b.get("env")), workload=str(b.get("workload") or ""), variant=str(b.get("variant")),
        status=str(b.get("status")),
        seconds=(float(seconds) if isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
                 else None),
        compiler=str(b.get("compiler_version") or b.get("compiler") or DASH),
        flags=_flags_text(b),
        sha256=str(b.get("extension_sha256") or DASH)[:16],
    )


def machine(data: Archive, variant_rank, columns: dict[str, Column] | None = None) -> Machine:
    """variant_rank(workload, variant) orders the builds as the report orders the variants; columns (by name)
    say which interpreter is a free-threaded build and how each provisioned one was built."""
    meta = dict_of(data.metadata)
    info = dict_of(meta.get("machine"))
    environments = dict_of(meta.get("environments"))
    builds = sorted((b for b in data.builds if isinstance(b, dict)),
                    key=lambda b: (str(b.get("env")), str(b.get("workload") or ""),
                                   variant_rank(str(b.get("workload") or ""), str(b.get("variant")))))
    return Machine(
        summary=machine_summary(info), rows=flatten(info),
        interpreters=[_interpreter(i, (columns or {}).get(str(i.get("name"))))
                      for i in meta.get("interpreters") or [] if isinstance(i, dict)],
        environments=[EnvironmentInfo(str(name), flatten({k: v for k, v in env.items() if k != "lock"})
                                      if isinstance(env, dict) else [("", str(env))])
                      for name, env in sorted(environments.items(), key=lambda kv: str(kv[0]))],
        builds=[_build(b) for b in builds],
        locks=[(rel.removeprefix("locks/").removesuffix(".txt"), data.text(rel))
               for rel in sorted(data.manifest.get("files", {})) if rel.startswith("locks/")],
    )


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _precise_enough(method: dict, precision: float) -> str:
    """The stop rule the run used (archives before "stop_rule" used the cell's own median)."""
    if method.get("stop_rule") == "speedup":
        return (f"the 95% CI of its speedup is within ±{precision:.1%} or its median's within "
                f"±{precision / 2:.1%}, the baseline's within ±{precision / 2:.1%}")
    return f"the 95% CI of its median is within ±{precision:.1%}"


def method_text(method: dict, seed) -> str:
    """How the run measured, in one sentence (metadata.json "method", written by
    shootout.run.matrix.Method)."""
    processes, most, precision = _number(method.get("processes")), _number(method.get("max_processes")), \
        _number(method.get("precision"))
    count = "?" if processes is None else f"{processes:g}"
    baseline = _number(method.get("baseline_processes"))
    budget = _number(method.get("run_seconds"))
    if precision and most is not None:
        count += f" to {most:g} fresh processes per cell (until {_precise_enough(method, precision)}"
        count += f"; at least {baseline:g} for the baseline cell" if baseline else ""
        count += f"; none past the minimum after {budget / 60:g} min)" if budget else ")"
    else:
        count += " fresh processes per cell"
    calls, jit = _number(method.get("calls")), _number(method.get("jit_calls"))
    warmups = _number(method.get("warmups")) or 0
    steady = _number(method.get("jit_steady_calls"))
    jit_text = (f"as many as their cell's warm-up needs plus {steady:g}, at most {jit:g} calls"
                if steady and jit else f"{'?' if jit is None else f'{jit:g}'} calls")
    return (f"Method {method.get('name') or '?'}: {count}, up to "
            f"{'?' if calls is None else f'{calls + warmups:g}'} calls each, the first set apart (JIT cells, "
            f"PyPy and Numba: {jit_text}), in rounds shuffled by the seed ({seed}).")


def reproduce(data: Archive) -> Reproduce:
    meta = dict_of(data.metadata)
    command_line = meta.get("command_line") or data.manifest.get("command_line") or []
    command = (shlex.join(str(p) for p in command_line) if isinstance(command_line, list)
               else str(command_line))
    git = dict_of(meta.get("git"))
    return Reproduce(command, f"nox -s report -- results/{data.manifest.get('run_id') or data.path.name}",
                     str(git.get("commit") or "unknown"), bool(git.get("dirty")))
