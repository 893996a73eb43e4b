"""The worker record: one JSON object per worker process (or per cell that produced none), and its checks.

A record is data from another process, maybe another machine or an older pyshootout: it is checked field by
field before anything counts it. `problem(record)` names the first thing wrong in one line, or returns None.
"""

from __future__ import annotations

import math
from enum import Enum

SCHEMA_VERSION = 2


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


FAILED = frozenset({Status.BUILD_FAILED, Status.CRASHED, Status.TIMEOUT, Status.WRONG_OUTPUT})
NOT_RUN = frozenset({Status.UNSUPPORTED, Status.SKIPPED})
STATUSES = frozenset(s.value for s in Status)

_SCALAR = (str, int, float, bool, type(None))


def _number(value, allow_none: bool = True) -> bool:
    if value is None:
        return allow_none
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def _text(value) -> bool:
    return isinstance(value, str) and value != ""


def _seconds_list(value) -> bool:
    return isinstance(value, list) and all(_number(t, allow_none=False) for t in value)


def _count(least: int):
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= least


FIELDS = {  # what each field of a worker or plain-program record must hold
    "workload": _text, "variant": _text, "size": _text, "beside": _text,
    "technology": lambda v: v is None or isinstance(v, str),
    "interpreter": lambda v: isinstance(v, dict) and isinstance(v.get("name"), str)
    and isinstance(v.get("implementation"), (str, type(None))),
    "params": lambda v: isinstance(v, dict) and all(isinstance(k, str) and isinstance(x, _SCALAR)
                                                     for k, x in v.items()),
    "threads": _count(1), "process_index": _count(0),
    "times_seconds": _seconds_list, "output_seconds": _seconds_list,
    "status": lambda v: v in STATUSES, "verified": lambda v: isinstance(v, bool),
    "error": lambda v: v is None or isinstance(v, str), "build": lambda v: v is None or isinstance(v, dict),
    "import_seconds": _number, "prepare_seconds": _number, "first_call_seconds": _number,
    "work_units": _number,
}
WORKER_FIELDS = ("workload", "variant", "technology", "interpreter", "params", "size", "threads",
                 "process_index", "times_seconds", "status", "verified", "error", "build", "import_seconds",
                 "prepare_seconds", "first_call_seconds", "output_seconds", "work_units")
PLAIN_FIELDS = ("workload", "variant", "threads", "beside", "size", "interpreter", "process_index",
                "times_seconds", "status", "verified")


def _typed(record: dict, names: tuple) -> str | None:
    """The first of `names` missing from the record or holding a value FIELDS refuses, in one line."""
    for key in names:
        if key not in record:
            return f"no {key!r} field"
        if not FIELDS[key](record[key]):
            return f"field {key!r} has an invalid value {str(record[key])[:60]!r}"
    return None


def problem(record) -> str | None:
    """What is wrong with a record, in one line; None when it can be counted."""
    if not isinstance(record, dict):
        return f"a record must be a JSON object, not {type(record).__name__}"
    wrong = _typed(record, WORKER_FIELDS)
    if wrong:
        return wrong
    if record["status"] == Status.OK and (not record["verified"] or not record["times_seconds"]):
        return "status ok without a verified output and its times"
    if record["verified"] and record["status"] != Status.OK:
        return f"verified but status {record['status']}"
    return None


def plain_problem(record) -> str | None:
    """What is wrong with a plain-program record (plain/*.json: the harness-overhead check), in one line."""
    if not isinstance(record, dict) or record.get("kind") != "plain":
        return "a plain-program record must be a JSON object with kind 'plain'"
    wrong = _typed(record, PLAIN_FIELDS)
    if wrong:
        return wrong
    if record["verified"] != (record["status"] == Status.OK):
        return f"verified {record['verified']} with status {record['status']}"
    return None


def mismatch(record: dict, expected: dict) -> str | None:
    """Which field of a worker's record disagrees with the job it was given (a record for another cell)."""
    for key in ("workload", "variant", "threads", "process_index", "params"):
        if record.get(key) != expected.get(key):
            return f"record is for {key}={record.get(key)!r}, the job was {expected.get(key)!r}"
    return None


def synthetic(
    *, run_id: str, workload: str, variant: str, technology: str | None, interpreter: str,
    implementation: str | None, params: dict, size: str, threads: int, status: Status, error: str | None,
    process_index: int = 0, **extra,
) -> dict:
    """The record of a cell or process that produced none of its own (unsupported, build_failed, crashed...)."""
    record = {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "workload": workload,
        "variant": variant,
        "technology": technology,
        "interpreter": {"name": interpreter, "implementation": implementation},
        "params": dict(params),
        "size": size,
        "threads": threads,
        "process_index": process_index,
        "build": None,
        "import_seconds": None,
        "prepare_seconds": None,
        "first_call_seconds": None,
        "times_seconds": [],
        "output_seconds": [],
        "checksum": None,
        "output_sha256": None,
        "values_differing": None,
        "work_units": None,
        "verified": False,
        "status": str(status),
        "error": error,
    }
    record.update(extra)
    return record
