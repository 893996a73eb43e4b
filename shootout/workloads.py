"""Read a workload's variant table (its spec.py, stdlib-only data) without importing any variant."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS_DIR = ROOT / "workloads"
HARNESS = WORKLOADS_DIR / "harness.py"
BUILDER = WORKLOADS_DIR / "build.py"


@dataclass(frozen=True)
class VariantInfo:
    name: str
    technology: str  # python|numpy|cython|pythran|numba|cffi
    build: str  # none|cython|pythran|cffi
    parallel: bool
    unsupported: dict  # implementation -> reason
    test_only: bool = False

    def reason_unsupported(self, implementation: str) -> str | None:
        return self.unsupported.get(implementation)


def available_workloads() -> list[str]:
    return sorted(p.parent.name for p in WORKLOADS_DIR.glob("*/spec.py"))


@cache
def load_spec(workload: str):
    path = WORKLOADS_DIR / workload / "spec.py"
    module_spec = importlib.util.spec_from_file_location(f"_shootout_spec_{workload}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def _get(entry, key, default=None):
    if isinstance(entry, dict):
        return entry.get(key, default)
    return getattr(entry, key, default)


def variants(workload: str, include_test_only: bool = False) -> dict[str, VariantInfo]:
    """The variant table, in the spec's order; test-only fixtures only when asked for."""
    spec = load_spec(workload)
    table: dict[str, VariantInfo] = {}
    sources = [(spec.VARIANTS, False)]
    if include_test_only:
        sources.append((getattr(spec, "FIXTURE_VARIANTS", {}), True))
    for mapping, test_only in sources:
        for name, entry in mapping.items():
            table[name] = VariantInfo(
                name=name,
                technology=_get(entry, "technology"),
                build=_get(entry, "build", "none") or "none",
                parallel=bool(_get(entry, "parallel", False)),
                unsupported=dict(_get(entry, "unsupported", {}) or {}),
                test_only=test_only or bool(_get(entry, "test_only", False)),
            )
    return table


def default_size(workload: str) -> tuple[int, int]:
    spec = load_spec(workload)
    return spec.DEFAULT_WIDTH, spec.DEFAULT_MAX_ITERATIONS


def reference_checksums(workload: str) -> dict:
    return dict(getattr(load_spec(workload), "REFERENCE_CHECKSUMS", {}))
