"""One pyperf suite per interpreter, so `python -m pyperf compare_to cpython.json pypy.json --table` works.

pyperf wants the same host metadata on every run and the same number of values per run across the files it
compares, while our JIT cells make more calls per process than AOT ones. So each worker process becomes one
pyperf run whose single value is its steady-state mean, and whose warm-ups are its non-steady calls; every
benchmark then has one value per process on every interpreter. A process's peak resident memory during its
calls goes into pyperf's `mem_max_rss` metadata (`python -m pyperf show --metadata`).
"""

from __future__ import annotations

import datetime
import json
import tempfile
from pathlib import Path

import pyperf

from . import summaries
from .records import Record


def benchmark_name(record: Record) -> str:
    return f"{record.workload}-{record.variant}-t{record.threads}-{record.size}"


def _pyperf_date(unix_seconds: float) -> str:
    """pyperf's date format (ISO with a space), in UTC: the process's start, so `pyperf dump` shows when it
    ran."""
    return (datetime.datetime.fromtimestamp(unix_seconds, datetime.timezone.utc)
            .replace(tzinfo=None).isoformat(" "))


def export(records: list[Record]) -> dict[str, bytes]:
    """{interpreter name: pyperf JSON bytes} for every interpreter with at least one verified cell."""
    by_interp: dict[str, dict[str, list[pyperf.Run]]] = {}
    for record in sorted(records, key=lambda r: (r.interpreter.name, benchmark_name(r), r.process_index)):
        if not record.ok:
            continue
        steady = summaries.steady_times(record)
        warmups = [(1, float(v)) for v in record.times_seconds[:summaries.split(record).steady_start]]
        interp = record.interpreter
        when = {"date": _pyperf_date(record.started_at)} if record.started_at else {}
        # pyperf's own name for a worker's largest resident set: ours is that of its calls (memory.py)
        memory = {"mem_max_rss": record.memory_peak_bytes} if record.memory_peak_bytes else {}
        run = pyperf.Run(
            [sum(steady) / len(steady)],
            warmups=warmups or None,
            metadata={
                "name": benchmark_name(record),
                "loops": 1,
                "python_implementation": interp.implementation or "unknown",
                "python_version": interp.version or "unknown",
                "python_executable": interp.executable or "unknown",
                "unit": "second",
                **when,
                **memory,
            },
            collect_metadata=False,
        )
        by_interp.setdefault(str(interp.name), {}).setdefault(benchmark_name(record), []).append(run)
    exported: dict[str, bytes] = {}
    for interp_name, benches in sorted(by_interp.items()):
        suite = pyperf.BenchmarkSuite([pyperf.Benchmark(runs) for _, runs in sorted(benches.items())])
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "suite.json"
            suite.dump(str(path))
            # Canonical key order, so the archive bytes do not depend on pyperf's dict order.
            exported[interp_name] = (json.dumps(json.loads(path.read_text()), sort_keys=True) + "\n").encode()
    return exported
