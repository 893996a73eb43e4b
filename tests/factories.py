"""The one place tests make records and roles by hand (everything else comes from real runs)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from shootout.results import archive, records, summaries
from shootout.results.runspec import Manifest
from shootout.results.snapshot import RolesSnapshot

JULIA_ROLES = {"julia": RolesSnapshot("pure_python", "pure_python", "cffi_c", "cffi_simd", "cffi_simd_openmp")}


def make_record(variant: str, interpreter: str, implementation: str, times: list[float], *, status: str = "ok",
                process_index: int = 0, workload: str = "julia", size: str = "10x5", threads: int = 1,
                technology: str = "python", work_units: int = 1000, **fields) -> dict:
    """A record as a worker writes it: ok ones verified with their times, others with an error."""
    ok = status == "ok"
    record = records.synthetic(
        run_id="test", workload=workload, variant=variant, technology=technology, interpreter=interpreter,
        implementation=implementation, params={"size": size}, size=size, threads=threads,
        status=records.Status(status), error=None if ok else "boom", process_index=process_index,
    )
    record.update(times_seconds=list(times), verified=ok, work_units=work_units if ok else None,
                  first_call_seconds=times[0] if times else None)
    record.update(fields)
    return record


def forge_archive(source, target, records: list[dict]):
    """A copy of a real archive with these records instead of its own (timings and processes tables rebuilt,
    manifest re-hashed), so statistics can be tested on archives whose numbers are known."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(archive.REPORT))
    shutil.rmtree(target / "records")
    (target / "records").mkdir()
    for index, record in enumerate(records):
        (target / "records" / f"{index:05d}.json").write_bytes(archive.dumps(record))
    (target / "timings.csv.gz").write_bytes(archive.gzip_bytes(summaries.tidy(records).to_csv(index=False).encode()))
    (target / "processes.csv").write_bytes(summaries.record_rows(records).to_csv(index=False).encode())
    rehash(target)
    return archive.read(target)


def rehash(path: Path, keep_version: bool = True) -> None:
    """Make manifest.json agree with the (changed) files again, as a buggy tool or a careful attacker would;
    its schema_version kept (an older archive stays one), or the current one."""
    old = json.loads((path / archive.MANIFEST).read_text())
    fresh = archive.build_manifest(path, Manifest.from_json(old).to_json())
    if keep_version:
        fresh["schema_version"] = old["schema_version"]
    (path / archive.MANIFEST).write_bytes(archive.dumps(fresh))
