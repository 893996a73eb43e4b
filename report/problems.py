"""What failed or was unsupported, and why: one Problem per cell that did not run and verify, with its error
text and the tail of its build log. A log is only read when the manifest lists it (archive.read verified its
path and sha256).
"""

from __future__ import annotations

from dataclasses import dataclass

from shootout.results.archive import Archive
from shootout.results.cells import CellSummary
from shootout.results.records import Record

from .ordering import Order

LOG_TAIL_CHARS = 20_000
ERROR_CHARS = 6_000


@dataclass(frozen=True)
class Problem:
    cell: CellSummary
    severity: str  # bad | muted
    processes: str  # "2 wrong_output"
    error: str
    log_rel: str | None
    log: str | None  # the last LOG_TAIL_CHARS characters
    log_omitted: int
    log_missing: str | None  # a log a record names that the archive does not hold


def _log_text(data: Archive, rel) -> tuple[str | None, str | None, int]:
    """(relative path, tail of the text, characters omitted) for a log the manifest lists, else Nones."""
    if not rel or not isinstance(rel, str) or rel not in data.manifest.get("files", {}):
        return None, None, 0
    text = data.text(rel)
    omitted = max(0, len(text) - LOG_TAIL_CHARS)
    return rel, text[omitted:], omitted


def _errors(mine: list[Record], build: dict, status: str) -> str:
    errors: list[str] = []
    for r in mine:
        if r.error and r.error not in errors:
            errors.append(r.error)
    if status == "build_failed" and build.get("error") and str(build["error"]) not in errors:
        errors.append(str(build["error"]))
    error = "\n\n".join(errors) or "(no error text recorded)"
    return error[:ERROR_CHARS] + ("\n… (truncated)" if len(error) > ERROR_CHARS else "")


def _build_of(data: Archive, cell: CellSummary) -> dict:
    """The cell's build: by environment, workload and variant (v1 builds name no workload)."""
    for b in data.builds:
        if (str(b.get("env")), str(b.get("variant"))) == (cell.interpreter, cell.variant) \
                and b.get("workload") in (None, cell.workload):
            return b
    return {}


def _problem(data: Archive, cell: CellSummary) -> Problem:
    mine = sorted((r for r in data.records if r.cell_key == cell.key), key=lambda r: r.process_index)
    statuses: dict[str, int] = {}
    for r in mine:
        statuses[str(r.status)] = statuses.get(str(r.status), 0) + 1
    build = _build_of(data, cell)
    log_named = next((r.build_log for r in mine if r.build_log), None) or build.get("log_file")
    rel, log, omitted = _log_text(data, log_named)
    return Problem(
        cell=cell, severity="bad" if cell.failed else "muted",
        processes=", ".join(f"{n} {s}" for s, n in sorted(statuses.items())),
        error=_errors(mine, build, cell.status), log_rel=rel, log=log, log_omitted=omitted,
        log_missing=str(log_named) if (log_named and rel is None) else None,
    )


def problems(data: Archive, cells: list[CellSummary], order: Order) -> list[Problem]:
    """Failed cells first (red), then unsupported or skipped ones (grey), each group in the table's order."""
    found = [_problem(data, c) for c in cells if not c.ok]
    return sorted(found, key=lambda p: (0 if p.cell.failed else 1, order.cell(p.cell)))
