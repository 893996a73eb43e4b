"""The worker record (workloads/record.py: one typed Record, its JSON and its checks, Record.from_json) as the
results library sees it: the statuses grouped, the check of a plain-program record, and whether a record is for
a given job.
"""

from __future__ import annotations

from workloads.record import (
    SCHEMA_VERSION,
    STATUSES,
    Build,
    Environment,
    Interpreter,
    Record,
    RecordError,
    Status,
    cell_key,
    field_problem,
    text,
)

__all__ = ["SCHEMA_VERSION", "STATUSES", "Build", "Environment", "Interpreter", "Record", "RecordError", "Status"]

FAILED = frozenset({Status.BUILD_FAILED, Status.CRASHED, Status.TIMEOUT, Status.WRONG_OUTPUT})
NOT_RUN = frozenset({Status.UNSUPPORTED, Status.SKIPPED})
PLAIN_FIELDS = ("workload", "variant", "threads", "interpreter", "process_index", "times_seconds", "status",
                "verified")


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


def plain_cell_key(plain: dict) -> tuple:
    """The cell a (checked) plain-program record was run beside, as Record.cell_key says it."""
    return cell_key(plain["workload"], plain["variant"], plain["interpreter"]["name"], plain["threads"], plain["size"])


def mismatch(record: Record, expected: Record) -> str | None:
    """Which field of a worker's record disagrees with the job it was given (a record for another cell)."""
    for key in ("workload", "variant", "threads", "process_index", "params"):
        if getattr(record, key) != getattr(expected, key):
            return f"record is for {key}={getattr(record, key)!r}, the job was {getattr(expected, key)!r}"
    return None
