"""The workload contract as an archive holds it (metadata.json "contract"): typed, checked, read without
workloads/.

Archives are data from elsewhere: `ContractSnapshot.from_json` checks each field's type and raises
SnapshotError with one line naming the first bad one.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class SnapshotError(Exception):
    """A contract snapshot that does not hold; the message names the bad field."""


def _text(data: dict, key: str, default: str = "") -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise SnapshotError(f"contract field {key!r} is not text")
    return value


def _optional_text(data: dict, key: str) -> str | None:
    """A contract field that may be absent or null (None)."""
    return None if data.get(key) is None else _text(data, key)


@dataclass(frozen=True)
class VariantSnapshot:
    name: str
    technology: str
    parallel: bool = False
    description: str = ""
    schedule: str | None = None
    schedule_group: str | None = None
    slow_reasons: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)  # repo-relative path -> sha256 (None: missing at run time)
    compiled: bool = False

    @classmethod
    def from_json(cls, data) -> VariantSnapshot:
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise SnapshotError("a contract variant is not an object with a name")
        reasons, sources = data.get("slow_reasons") or {}, data.get("sources") or {}
        if isinstance(sources, list):  # a bare Workload.to_json(): paths without hashes
            sources = dict.fromkeys(map(str, sources))
        if not isinstance(reasons, dict) or not all(isinstance(v, str) for v in reasons.values()):
            raise SnapshotError(f"variant {data['name']!r}: slow_reasons is not a map of text")
        if not isinstance(sources, dict):
            raise SnapshotError(f"variant {data['name']!r}: sources is not a map")
        return cls(data["name"], _text(data, "technology"), bool(data.get("parallel")),
                   _text(data, "description"), _optional_text(data, "schedule"),
                   _optional_text(data, "schedule_group"),
                   dict(reasons), dict(sources), bool(data.get("extension_module")))


@dataclass(frozen=True)
class RolesSnapshot:
    baseline: str
    reference: str
    scalar_c: str | None = None
    limit_serial: str | None = None
    limit_parallel: str | None = None
    baseline_interpreter: str | None = None  # the run's choice (--baseline-interpreter), not the contract's
    threads_control: str | None = None  # the GIL study's control (None in archives from before it)

    @classmethod
    def from_json(cls, data) -> RolesSnapshot:
        if not isinstance(data, dict):
            raise SnapshotError("contract roles are not an object")
        return cls(_text(data, "baseline"), _text(data, "reference"), _optional_text(data, "scalar_c"),
                   _optional_text(data, "limit_serial"), _optional_text(data, "limit_parallel"),
                   threads_control=_optional_text(data, "threads_control"))

    def limit_for(self, threads: int) -> str | None:
        return self.limit_serial if threads == 1 else self.limit_parallel


@dataclass(frozen=True)
class FigureSnapshot:
    title: str
    caption: str
    scale: str = "linear"
    rows: str | None = None
    invert: bool = False


@dataclass(frozen=True)
class ContractSnapshot:
    name: str
    title: str
    summary: str
    label: str
    work_unit: str
    roles: RolesSnapshot
    variants: tuple  # of VariantSnapshot, in the workload's order
    figures: tuple = ()
    verification: dict = field(default_factory=dict)
    parameters: tuple = ()  # of dicts: name, default, quick, help, kind, minimum
    cflags: tuple = ()
    spec: dict = field(default_factory=dict)  # spec.py path -> sha256

    @classmethod
    def from_json(cls, data) -> ContractSnapshot:
        if not isinstance(data, dict):
            raise SnapshotError("the contract is not an object")
        variants = data.get("variants") or []
        figures = data.get("figures") or []
        if not isinstance(variants, list) or not isinstance(figures, list):
            raise SnapshotError("contract variants/figures are not lists")
        return cls(
            _text(data, "name"), _text(data, "title"), _text(data, "summary"), _text(data, "label"),
            _text(data, "work_unit"), RolesSnapshot.from_json(data.get("roles")),
            tuple(VariantSnapshot.from_json(v) for v in variants),
            tuple(_figure(f) for f in figures),
            dict(data.get("verification") or {}), tuple(data.get("parameters") or ()),
            tuple(data.get("cflags") or ()),
            dict(data.get("spec") or {}) if isinstance(data.get("spec"), dict) else {},
        )

    def variant(self, name: str) -> VariantSnapshot | None:
        return next((v for v in self.variants if v.name == name), None)

    @property
    def order(self) -> dict[str, int]:
        return {v.name: i for i, v in enumerate(self.variants)}


def _figure(data) -> FigureSnapshot:
    if not isinstance(data, dict):
        raise SnapshotError("a contract figure is not an object")
    return FigureSnapshot(_text(data, "title"), _text(data, "caption"), _text(data, "scale", "linear"),
                          _optional_text(data, "rows"), bool(data.get("invert")))
