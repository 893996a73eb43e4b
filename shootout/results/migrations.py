"""Upgrades of older archives, in memory, one small function per schema bump (archive.MIGRATIONS).

v1 → v2 (the workload contract, issue 11): v1 knew one workload, Julia, with `width` and `max_iterations` as
fixed fields. v2 records carry the parameter set's label as `size`, count `work_units` (v1: inner_iterations)
and `values_differing` (v1: pixels_differing); metadata is keyed by workload ("workloads", "contracts",
"variants", "sizes"), and v1 archives get their contract from the frozen copy of Julia's as it was when v1 was
written (migration_data/julia-v1-contract.json).
The v1 timings table keeps its width and max_iterations columns (nothing reads them but pandas users).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

JULIA_V1_CONTRACT = Path(__file__).parent / "migration_data" / "julia-v1-contract.json"
RENAMED_V1 = {"pixels_differing": "values_differing", "inner_iterations": "work_units"}


def _v1_label(params) -> str:
    if isinstance(params, dict):
        return f"{params.get('width')}x{params.get('max_iterations')}"
    return "?"


def _v1_record(record):
    if not isinstance(record, dict):
        return record  # the checks after migration name what is wrong with it
    record = dict(record)
    for old, new in RENAMED_V1.items():
        if old in record:
            record[new] = record.pop(old)
    record.setdefault("size", _v1_label(record.get("params")))
    record.setdefault("prepare_seconds", None)
    record.setdefault("output_seconds", [])
    record.setdefault("work_units", None)
    if isinstance(record.get("cpu_pinned"), int) and not isinstance(record["cpu_pinned"], bool):
        record["cpu_pinned"] = [record["cpu_pinned"]]  # v1 wrote a serial worker's one CPU as a number
    return record


def _v1_contract(selected) -> dict:
    contract = json.loads(JULIA_V1_CONTRACT.read_text())
    if isinstance(selected, list) and selected:
        names = set(selected)
        contract["variants"] = [v for v in contract["variants"] if v["name"] in names]
    return contract


def _v1_metadata(meta):
    """v1: one workload, "variants" a list, "sizes" [[width, max_iterations]]; v2: keyed by workload."""
    if not isinstance(meta, dict):
        return meta
    meta = dict(meta)
    name = meta.get("workload") if isinstance(meta.get("workload"), str) else "julia"
    variants = meta.get("variants") if isinstance(meta.get("variants"), list) else []
    sizes = meta.get("sizes") if isinstance(meta.get("sizes"), list) else []
    meta["workloads"] = [name]
    meta["contracts"] = {name: _v1_contract(variants)}
    meta["variants"] = {name: variants}
    meta["sizes"] = {name: [{"label": f"{s[0]}x{s[1]}", "params": {"width": s[0], "max_iterations": s[1]}}
                            for s in sizes if isinstance(s, list) and len(s) == 2]}
    return meta


def v1_to_v2(parts: dict) -> dict:
    parts = copy.copy(parts)
    parts["metadata"] = _v1_metadata(parts["metadata"])
    parts["records"] = {rel: _v1_record(r) for rel, r in parts["records"].items()}
    return parts
