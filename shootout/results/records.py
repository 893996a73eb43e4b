"""The worker record (workloads/record.py: one typed Record, its JSON and its checks) as the results library
sees it: the statuses grouped, the check of a plain-program record, and whether a record is for a given job.
"""

from __future__ import annotations

from workloads.record import (
    SCHEMA_VERSION,
    STATUSES,
    Build,
    Interpreter,
    Record,
    RecordError,
    Status,
    field_problem,
    text,
)

__all__ = ["SCHEMA_VERSION", "STATUSES", "Build", "Interpreter", "Record", "RecordError", "Status"]

FAILED = frozenset({Status.BUILD_FAILED, Status.CRASHED, Status.TIMEOUT, Status.WRONG_OUTPUT})
NOT_RUN = frozenset({Status.UNSUPPORTED, Status.SKIPPED})
PLAIN_FIELDS = ("workload", "variant", "threads", "interpreter", "process_index", "times_seconds", "status",
                "verified")


def problem(record) -> str | None:
    """What is wrong with a record's JSON object, in one line (Record.from_json's); None when it can be counted."""
    try:
        Record.from_json(record)
    except RecordError as exc:
        return str(exc)
    return None


def plain_problem(record) -> str | None:
    """What is wrong with a plain-program record (plain/*.json: the harness-overhead check), in one line."""
    if not isinstance(record, dict) or record.get("kind") != "plain":
        return "a plain-program record must be a JSON object with kind 'plain'"
    for key in ("beside", "size"):
        if not text(record.get(key)):
            return f"field {key!r} has an invalid value {str(record.get(key))[:60]!r}"
    wrong = field_problem(record, PLAIN_FIELDS)
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
    build = extra.pop("build", None)
    return Record(
        run_id=run_id, workload=workload, variant=variant, technology=technology,
        interpreter=Interpreter(name=interpreter, implementation=implementation), params=dict(params), size=size,
        threads=threads, process_index=process_index, status=str(status), error=error,
        build=None if build is None else Build(**build), **extra,
    ).to_json()
