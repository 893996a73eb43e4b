"""The one place tests make records and roles by hand (everything else comes from real runs), and the CPU
burners of the tests that disturb a run on purpose."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from shootout.results import archive
from shootout.results.records import Build, Environment, Interpreter, Record
from shootout.results.runspec import Manifest
from shootout.results.snapshot import RolesSnapshot
from workloads.record import Interference

PARTS = {"build": Build, "environment": Environment, "interference": Interference, "interpreter": Interpreter}
JULIA_ROLES = {"julia": RolesSnapshot("pure_python", "pure_python", "cffi_c", "cffi_simd",
                                      "cffi_simd_openmp")}


def make_record(variant: str, interpreter: str, implementation: str, times: list[float], *,
                status: str = "ok", process_index: int = 0, workload: str = "julia", size: str = "10x5",
                threads: int = 1, technology: str = "python", work_units: int = 1000, **fields) -> Record:
    """A record as a worker writes it: ok ones verified with their times, others with an error."""
    ok = status == "ok"
    values = {
        "run_id": "test", "workload": workload, "variant": variant, "technology": technology,
        "interpreter": Interpreter(name=interpreter, implementation=implementation), "params": {"size": size},
        "size": size, "threads": threads, "process_index": process_index, "status": status,
        "error": None if ok else "boom", "times_seconds": list(times), "verified": ok,
        "work_units": work_units if ok else None, "first_call_seconds": times[0] if times else None,
    }
    values.update(fields)
    for name, part in PARTS.items():
        if isinstance(values.get(name), dict):
            values[name] = part.from_json(values[name])
    return Record(**values)


def forge_archive(source, target, records: list[Record]):
    """A copy of a real archive with these records instead of its own (timings and processes tables rebuilt,
    manifest re-hashed), so statistics can be tested on archives whose numbers are known."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(archive.REPORT))
    shutil.rmtree(target / "records")
    (target / "records").mkdir()
    names = {id(record): f"{index:05d}" for index, record in enumerate(records)}
    archive.write_tree(target, archive.record_files(records, lambda r: names[id(r)]))
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


# Busy until its parent is gone: a test killed before its `finally` (a timeout's SIGTERM, a second Ctrl-C)
# must not leave a loop burning a CPU under every later measurement on the machine.
_BURN_WHILE_PARENT_LIVES = "import os\nparent = os.getppid()\nwhile os.getppid() == parent:\n    pass\n"


@contextlib.contextmanager
def cpu_burners(cpus: set[int], count: int = 1):
    """`count` busy loops pinned to `cpus` for the duration of the block."""
    burners = [subprocess.Popen([sys.executable, "-c", _BURN_WHILE_PARENT_LIVES],
                                preexec_fn=lambda: os.sched_setaffinity(0, cpus))  # noqa: PLW1509
               for _ in range(count)]
    try:
        yield burners
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
