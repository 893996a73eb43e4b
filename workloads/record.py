"""The worker record: one JSON object per worker process (or per cell that produced none of its own).

One typed Record, written by the harness (`to_json`) and read back by the orchestrator and every reader of an
archive (`from_json`), as pyperf's Run. A record is data from another process, maybe another machine or an
older pyshootout: `from_json` checks every field it knows, in declaration order, and raises one RecordError
naming the first one that is wrong. Fields it does not know are kept in `extra` (adding an optional field is
no schema bump).

Runs inside every target interpreter (imported by the harness): stdlib only, Python 3.9, never imports
shootout/. The harness cannot know two names the orchestrator gives: the interpreter's column name and the
size label; they are None in the worker's JSON and filled in (shootout/run/runner.py) before the record is
read back.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any, Callable

SCHEMA_VERSION = 2  # archive.py's policy: bumped on any change an older reader would misread


class Status(str, Enum):
    """How a worker process (and, worst first, its cell) ended."""

    OK = "ok"
    BUILD_FAILED = "build_failed"
    CRASHED = "crashed"
    TIMEOUT = "timeout"
    WRONG_OUTPUT = "wrong_output"
    UNSUPPORTED = "unsupported"
    SKIPPED = "skipped"

    def __str__(self) -> str:
        return self.value


STATUSES = frozenset(s.value for s in Status)
# how memory_peak_bytes was read (harness.PeakMemory): VmHWM reset before each call, or the lifetime ru_maxrss
MEMORY_METHODS = ("vmhwm", "ru_maxrss")


class RecordError(ValueError):
    """A record that cannot be counted; the message is one line naming the first wrong field."""


# ---------------------------------------------------------------- what a field may hold

_SCALAR = (str, int, float, bool, type(None))


def _real(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def duration(value) -> bool:
    """A duration or a count of something: a finite number >= 0."""
    return _real(value) and math.isfinite(value) and value >= 0


def maybe(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: v is None or check(v)


def text(value) -> bool:
    return isinstance(value, str) and value != ""


def seconds_list(value) -> bool:
    return isinstance(value, list) and all(duration(t) for t in value)


def count(least: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= least


def instance_of(*types) -> Callable[[Any], bool]:
    """An instance of one of `types` (True and False are no int here)."""
    return lambda v: isinstance(v, types) and (bool in types or not isinstance(v, bool))


def scalar_map(value) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(x, _SCALAR)
                                           for k, x in value.items())


def int_list(value) -> bool:
    return isinstance(value, list) and all(count(0)(c) for c in value)


def counts_or_none(value) -> bool:
    """One entry per timed call: a count, or None for a call that was not counted."""
    return isinstance(value, list) and all(v is None or count(0)(v) for v in value)


def a_status(value) -> bool:
    return value in STATUSES


def _field(check: Callable[[Any], bool], default: Any = None, *, required: bool = False, factory=None,
           part: Any = None):
    """A field with its check; `required`: an archive's record must have the key; `part`: a nested type."""
    meta = {"check": check, "required": required, "part": part}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


# ---------------------------------------------------------------- reading and writing any of the types below


def _read(cls, data, where: str):
    """cls built from a JSON object, every known field checked in order; unknown keys kept in `extra`."""
    if not isinstance(data, dict):
        raise RecordError(f"{where or 'a record'} must be a JSON object, not {type(data).__name__}")
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name != "extra" and f.name in data:
            values[f.name] = _checked(f, data[f.name], where)
        elif f.name != "extra" and f.metadata["required"]:
            raise RecordError(f"no {where + f.name!r} field")
    values["extra"] = {k: v for k, v in data.items() if k not in cls.__dataclass_fields__}
    return cls(**values)


def _checked(f, value, where: str):
    """The value of field `f` (a nested part read as its type), or RecordError."""
    name = where + f.name
    if not f.metadata["check"](value):
        raise RecordError(f"field {name!r} has an invalid value {str(value)[:60]!r}")
    part = f.metadata["part"]
    return _read(part, value, name + ".") if part is not None and value is not None else value


def _write(obj) -> dict:
    """The JSON object of any type below: every field (None too), then the unknown ones it was read with."""
    out = {}
    for f in fields(obj):
        if f.name != "extra":
            value = getattr(obj, f.name)
            nested = f.metadata["part"] is not None and value is not None
            out[f.name] = _write(value) if nested else _plain(value)
    out.update(obj.extra)
    return out


def _plain(value):
    """A JSON-ready copy (lists and dicts are not shared with the record)."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return str(value) if isinstance(value, Enum) else value


class _Part:
    extra: dict[str, Any]

    def to_json(self) -> dict:
        return _write(self)

    @classmethod
    def from_json(cls, data):
        """The part of a JSON object, checked field by field; RecordError names the first wrong one."""
        return _read(cls, data, "")


# ---------------------------------------------------------------- the nested parts


@dataclass
class Interpreter(_Part):
    """The interpreter a process ran on; `name` is the orchestrator's column (None in the worker's JSON)."""

    name: str | None = _field(instance_of(str), required=True)
    implementation: str | None = _field(maybe(instance_of(str)))
    version: str | None = _field(maybe(instance_of(str)))
    executable: str | None = _field(maybe(instance_of(str)))
    free_threaded: bool | None = _field(maybe(instance_of(bool)))
    gil_enabled: bool | None = _field(maybe(instance_of(bool)))
    pypy_version: str | None = _field(maybe(instance_of(str)))
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Build(_Part):
    """How the compiled modules a process imported were built (shootout/run/builds.py)."""

    status: str | None = _field(maybe(instance_of(str)))
    seconds: float | None = _field(maybe(duration))
    flags: list[str] | None = _field(maybe(instance_of(list)))
    compiler: str | None = _field(maybe(instance_of(str)))
    compiler_version: str | None = _field(maybe(instance_of(str)))
    tool_versions: dict[str, Any] | None = _field(maybe(instance_of(dict)))
    extension_sha256: str | None = _field(maybe(instance_of(str)))
    cached: bool | None = _field(maybe(instance_of(bool)))
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Interference(_Part):
    """What else happened while the calls ran (the harness's Interference)."""

    wall_seconds: float | None = _field(maybe(duration))
    cpu_seconds: float | None = _field(maybe(duration))
    involuntary_switches: int | None = _field(maybe(count(0)))
    voluntary_switches: int | None = _field(maybe(count(0)))
    steal_seconds: float | None = _field(maybe(duration))
    cpu_pressure_seconds: float | None = _field(maybe(duration))
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Environment(_Part):
    """The environment a process ran in, and what making it cost (shootout/run/environments.py)."""

    name: str | None = _field(maybe(instance_of(str)))
    seconds: float | None = _field(maybe(duration))
    reused: bool | None = _field(maybe(instance_of(bool)))
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- the record


def cell_key(workload: str, variant: str, interpreter: str | None, threads: int, size: str | None) -> tuple:
    """A cell's identity, the key every per-cell table is grouped by (summaries.CELL_KEYS: the same order)."""
    return (workload, variant, interpreter, threads, size)


class _OfCell(_Part):
    """A process of one cell: a worker's Record, or a plain program's run beside that cell."""

    workload: str
    variant: str
    interpreter: Interpreter
    threads: int
    size: str | None

    @property
    def cell_key(self) -> tuple:
        """The cell the process belongs to (cell_key); a plain program's, the harness cell it ran beside."""
        return cell_key(self.workload, self.variant, self.interpreter.name, self.threads, self.size)


@dataclass
class Record(_OfCell):
    """One worker process (or a cell that produced none: build_failed, unsupported, timeout...).

    The fields an archive's record must have (`required`) come first, in the order they are checked; the rest
    were added over time and default to None when an older record lacks them.
    """

    workload: str = _field(text, required=True)
    variant: str = _field(text, required=True)
    interpreter: Interpreter = _field(instance_of(dict), required=True, part=Interpreter)
    params: dict[str, Any] = _field(scalar_map, required=True, factory=dict)
    threads: int = _field(count(1), 1, required=True)
    process_index: int = _field(count(0), 0, required=True)
    technology: str | None = _field(maybe(instance_of(str)), required=True)
    size: str | None = _field(text, required=True)  # the orchestrator's label of `params`
    times_seconds: list[float] = _field(seconds_list, required=True, factory=list)  # one per timed call
    status: str | None = _field(a_status, required=True)  # a Status value
    verified: bool = _field(instance_of(bool), False, required=True)  # every call's output verified
    error: str | None = _field(maybe(instance_of(str)), required=True)
    build: Build | None = _field(maybe(instance_of(dict)), required=True, part=Build)
    import_seconds: float | None = _field(maybe(duration), required=True)
    prepare_seconds: float | None = _field(maybe(duration), required=True)
    first_call_seconds: float | None = _field(maybe(duration), required=True)
    output_seconds: list[float] = _field(seconds_list, required=True, factory=list)
    work_units: float | None = _field(maybe(duration), required=True)
    # written by the harness
    schema_version: int = _field(count(1), SCHEMA_VERSION)
    run_id: str | None = _field(maybe(instance_of(str)))
    calls: int | None = _field(maybe(count(0)))  # the most calls asked for
    calls_verified: int | None = _field(maybe(count(0)))
    stop_reason: str | None = _field(maybe(instance_of(str)))  # why no further call: "calls" or "seconds"
    process_seconds: float | None = _field(maybe(duration))  # harness start to record written
    checksum: Any = _field(instance_of(*_SCALAR))
    expected_checksum: Any = _field(instance_of(*_SCALAR))
    output_sha256: str | None = _field(maybe(instance_of(str)))
    expected_sha256: str | None = _field(maybe(instance_of(str)))
    values_differing: int | None = _field(maybe(count(0)))
    max_abs_difference: float | None = _field(maybe(_real))
    points: int | None = _field(maybe(count(0)))
    verification: str | None = _field(maybe(instance_of(str)))
    reference_source: str | None = _field(maybe(instance_of(str)))
    kernel_module_file: str | None = _field(maybe(instance_of(str)))
    pid: int | None = _field(maybe(count(0)))
    cpu_affinity: list[int] | None = _field(maybe(int_list))
    interference: Interference | None = _field(maybe(instance_of(dict)), part=Interference)
    layout_padding: int | None = _field(maybe(count(0)))  # PyPy: small loops compiled before the variant
    gil_enabled_after: bool | None = _field(maybe(instance_of(bool)))
    # from the orchestrator's launch of the process to the harness's first line (its --launched-at)
    interpreter_start_seconds: float | None = _field(maybe(duration))
    memory_before_bytes: int | None = _field(maybe(count(0)))  # resident set (VmRSS) just before call 1
    memory_peak_bytes: int | None = _field(maybe(count(0)))  # largest resident set during a call
    memory_peak_method: str | None = _field(maybe(lambda v: v in MEMORY_METHODS))  # a MEMORY_METHODS value
    # added by the orchestrator
    started_at: float | None = _field(maybe(duration))  # Unix seconds
    process_wall_seconds: float | None = _field(maybe(duration))
    cpu_pinned: list[int] | None = _field(maybe(int_list))
    load_before: float | None = _field(maybe(duration))
    warmup_rule: str | None = _field(maybe(instance_of(str)))  # how its calls are split (warmup.rule_of)
    call_plan: str | None = _field(maybe(instance_of(str)))
    round: int | None = _field(maybe(count(0)))  # the sampler's round
    signal: str | None = _field(maybe(instance_of(str)))  # what killed the worker
    build_log: str | None = _field(maybe(instance_of(str)))  # logs/<file> of a cell whose build failed
    environment: Environment | None = _field(maybe(instance_of(dict)), part=Environment)
    # counting processes only (counts/*.json; shootout/run/counting.py): their seconds are valgrind's
    instrument: str | None = _field(maybe(instance_of(str)))  # "instructions": not a wall-clock process
    uncounted_calls: int | None = _field(maybe(count(0)))  # calls before counting started (warm-up)
    instructions: list[int | None] | None = _field(maybe(counts_or_none))  # per timed call; None: not counted
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data) -> Record:
        """The record of a JSON object, checked field by field; RecordError names the first wrong one."""
        record = _read(cls, data, "")
        if record.instructions is not None and len(record.instructions) != len(record.times_seconds):
            raise RecordError(f"{len(record.instructions)} instruction counts for "
                              f"{len(record.times_seconds)} timed calls")
        if record.status == Status.OK and (not record.verified or not record.times_seconds):
            raise RecordError("status ok without a verified output and its times")
        if record.verified and record.status != Status.OK:
            raise RecordError(f"verified but status {record.status}")
        return record

    @property
    def ok(self) -> bool:
        """Ran to the end with every call's output verified: the only records whose times count."""
        return self.status == Status.OK and self.verified and bool(self.times_seconds)


@dataclass
class PlainRecord(_OfCell):
    """One process of a workload's plain program run beside a harness cell (the harness-overhead check,
    plain/*.json): the orchestrator writes it from the program's one JSON line, and the cell it ran beside.
    The fields it shares with Record hold what Record's do, and are checked the same way."""

    kind: str = _field(lambda v: v == "plain", "plain", required=True)
    beside: str = _field(text, required=True)  # the key of the harness cell it is compared with
    size: str = _field(text, required=True)
    workload: str = _field(text, required=True)
    variant: str = _field(text, required=True)
    threads: int = _field(count(1), 1, required=True)
    interpreter: Interpreter = _field(instance_of(dict), required=True, part=Interpreter)
    process_index: int = _field(count(0), 0, required=True)
    times_seconds: list[float] = _field(seconds_list, required=True, factory=list)
    status: str | None = _field(a_status, required=True)
    verified: bool = _field(instance_of(bool), False, required=True)  # its checksum is the reference's
    params: dict[str, Any] = _field(scalar_map, factory=dict)
    program: str | None = _field(maybe(instance_of(str)))  # the plain program (repo-relative when inside it)
    calls: int | None = _field(maybe(count(0)))
    round: int | None = _field(maybe(count(0)))
    started_at: float | None = _field(maybe(duration))
    layout_padding: int | None = _field(maybe(count(0)))
    checksum: Any = _field(instance_of(*_SCALAR))
    expected_checksum: Any = _field(instance_of(*_SCALAR))
    error: str | None = _field(maybe(instance_of(str)))
    process_wall_seconds: float | None = _field(maybe(duration))
    cpu_pinned: list[int] | None = _field(maybe(int_list))
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data) -> PlainRecord:
        """The plain-program record of a JSON object; RecordError names the first wrong field."""
        record = _read(cls, data, "")
        if record.verified != (record.status == Status.OK):
            raise RecordError(f"verified {record.verified} with status {record.status}")
        return record

    @property
    def ok(self) -> bool:
        return self.status == Status.OK and self.verified
