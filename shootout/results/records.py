"""The worker record (workloads/record.py: one typed Record, its JSON and its checks, Record.from_json) as the
results library sees it: the statuses grouped, and whether a record is for a given job.
"""

from __future__ import annotations

from workloads.record import (
    SCHEMA_VERSION,
    STATUSES,
    Build,
    Environment,
    Interpreter,
    PlainRecord,
    Record,
    RecordError,
    Status,
)

__all__ = ["SCHEMA_VERSION", "STATUSES", "Build", "Environment", "Interpreter", "PlainRecord", "Record",
           "RecordError", "Status"]

FAILED = frozenset({Status.BUILD_FAILED, Status.CRASHED, Status.TIMEOUT, Status.WRONG_OUTPUT})
NOT_RUN = frozenset({Status.UNSUPPORTED, Status.SKIPPED})


def mismatch(record: Record, expected: Record) -> str | None:
    """Which field of a worker's record disagrees with the job it was given (a record for another cell)."""
    for key in ("workload", "variant", "threads", "process_index", "params"):
        if getattr(record, key) != getattr(expected, key):
            return f"record is for {key}={getattr(record, key)!r}, the job was {getattr(expected, key)!r}"
    return None
