"""The workload contract: everything a workload folder declares, in one place, so that the orchestrator, the
harness, the archive and the report need nothing else from it (docs/adding-a-workload.md walks through it).

A workload folder `workloads/<name>/` holds `spec.py`, which defines `WORKLOAD = Workload(...)`, and one
module per variant. Each variant module provides

    prepare(inputs, params) -> prepared    # convert the workload's plain-Python inputs to the kernel's form
                                           #   (timed apart from the kernel: prepare_seconds)
    calculate(prepared, params, threads) -> output
                                           # the timed call; must not modify `prepared`
                                           #   (every call is verified)
    to_list(output) -> flat list           # optional; the output as Python numbers
                                           #   (timed apart: output_seconds); default:
                                           #   output.ravel().tolist(), output.tolist(), or list(output)
    KERNEL_MODULE                          # compiled variants: the extension module actually imported

Stdlib only, Python 3.9 syntax: imported inside every target interpreter (PyPy 3.9 too) and by the
orchestrator.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

TECHNOLOGIES = ("python", "numpy", "cython", "pythran", "numba", "cffi")
BUILDS = ("none", "cython", "pythran", "cffi")
OUTPUT_TYPES = {"int32": "i", "float64": "d"}  # element type -> array typecode (hashed little-endian)


@dataclass(frozen=True)
class Parameter:
    """A named input size; `--param name=value` on the command line, `quick` under --quick."""

    name: str
    default: Any
    quick: Any
    help: str = ""
    kind: str = "int"  # "int" | "float"
    minimum: float = 1

    def parse(self, text: str):
        """The value of `text`, or ValueError naming what is accepted."""
        try:
            value = int(text) if self.kind == "int" else float(text)
        except ValueError:
            what = "a whole number" if self.kind == "int" else "a number"
            raise ValueError(f"{self.name}={text!r} is not {what}") from None
        if value < self.minimum:
            raise ValueError(f"{self.name}={text!r} must be >= {self.minimum:g}")
        return value


@dataclass(frozen=True)
class Verification:
    """How every call's output is judged against the reference variant's output.

    exact: the same values, compared as bytes (sha256 of the little-endian array).
    tolerance: |out - ref| <= atol + rtol * |ref| for every element (NumPy's isclose rule, as NPBench uses for
    floats): for variants that legitimately reorder floating-point operations.
    """

    kind: str = "exact"  # "exact" | "tolerance"
    output_type: str = "int32"  # "int32" | "float64"
    rtol: float = 0.0
    atol: float = 0.0


@dataclass(frozen=True)
class Roles:
    """Which variants play which part in the report."""

    baseline: str  # speedups are over this variant on the baseline interpreter
    reference: str  # its output (on the orchestrator's CPython) is the correct one
    # the compiled yardstick of "kernel quality" (single-thread compiled variants)
    scalar_c: str | None = None
    limit_serial: str | None = None  # the machine's ruler at 1 thread: "% of limit"
    limit_parallel: str | None = None  # ... at N threads
    # the GIL study's control: a pure-Python parallel variant whose threads share nothing, so its scaling is
    # the interpreter's own limit; planned by default only beside a free-threaded column
    threads_control: str | None = None


@dataclass(frozen=True)
class Figure:
    """An image of the reference output drawn by the report (from the archive alone), row-major."""

    title: str
    caption: str
    scale: str = "linear"  # "linear" | "log" (log for counts with a long tail, like escape iterations)
    rows: str | None = None  # parameter giving the image's rows; None: a square image (sqrt of the points)
    invert: bool = False  # dark for high values (True) or for low values (False)


@dataclass(frozen=True)
class Variant:
    name: str
    technology: str  # one of TECHNOLOGIES
    # paths relative to the workload folder (the module first); what its numbers depend on
    sources: tuple = ()
    build: str = "none"  # one of BUILDS
    parallel: bool = False  # honours --threads
    openmp: bool = False  # compiled with -fopenmp
    extension_module: str | None = None  # compiled variants: the top-level name of the built module
    unsupported: dict = field(default_factory=dict)  # sys.implementation.name or "free-threaded" -> reason
    description: str = ""
    schedule: str | None = None  # how a parallel variant shares out work, shown with thread scaling
    schedule_group: str | None = None  # variants differing only in schedule: the report compares them
    slow_reasons: dict = field(default_factory=dict)  # implementation -> why it is far from the scalar C
    # builder-specific: cffi "script", "kernel", "extra_cflags"
    build_options: dict = field(default_factory=dict)

    @property
    def compiled(self) -> bool:
        return self.extension_module is not None

    def unsupported_on(self, keys) -> str | None:
        """Why this variant cannot run where these platform keys hold (implementation, "free-threaded")."""
        return next((self.unsupported[k] for k in keys if k in self.unsupported), None)

    def to_json(self) -> dict:
        return {
            "name": self.name, "technology": self.technology, "sources": list(self.sources),
            "build": self.build,
            "parallel": self.parallel, "openmp": self.openmp, "extension_module": self.extension_module,
            "unsupported": dict(self.unsupported), "description": self.description, "schedule": self.schedule,
            "schedule_group": self.schedule_group, "slow_reasons": dict(self.slow_reasons),
        }


@dataclass(frozen=True)
class Workload:
    name: str
    title: str  # the report's heading
    summary: str  # one paragraph for the report: what is computed, and where it comes from
    parameters: tuple  # of Parameter
    label: str  # how one parameter set is written in cell keys and tables, e.g. "{n}x{n}x{steps}"
    work_unit: str  # what ns-per-unit counts, singular ("cell update", "token")
    verification: Verification
    roles: Roles
    variants: tuple  # of Variant, in report order
    make_inputs: Callable  # params -> the plain-Python inputs every variant's prepare() starts from
    count_work: Callable  # (params, output values) -> work units of one call
    shorthand: tuple = ()  # --sizes A x B ... gives these parameters, in order
    fixtures: tuple = ()  # test-only variants (of Variant), run only with --include-test-variants
    figures: tuple = ()  # of Figure
    known_checksums: tuple = ()  # ((params dict items as a tuple), sum of the output): published values
    # a standalone script in the workload's folder that runs the baseline variant's kernel without the harness
    # (`python FILE PARAMS_JSON CALLS` prints {"times_seconds": [...], "checksum": ...}): the yardstick of
    # the harness-overhead check; None: the check is not made for this workload
    plain_program: str | None = None
    # for every compiled variant: no fast-math, no FMA contraction
    cflags: tuple = ("-O3", "-ffp-contract=off")
    openmp_flags: tuple = ("-fopenmp",)

    def __post_init__(self):
        problem = self.problem()
        if problem:
            raise ValueError(f"workload {self.name!r}: {problem}")

    def problem(self) -> str | None:
        """The first thing wrong with this declaration, in one line (checked when spec.py is imported)."""
        names = [v.name for v in (*self.variants, *self.fixtures)]
        params = [p.name for p in self.parameters]
        checks = [
            (len(set(names)) == len(names), "two variants share a name"),
            (all(v.technology in TECHNOLOGIES for v in self.variants),
             f"a technology is not one of {TECHNOLOGIES}"),
            (all(v.build in BUILDS for v in (*self.variants, *self.fixtures)),
             f"a build is not one of {BUILDS}"),
            (all(v.build == "none" or v.extension_module for v in (*self.variants, *self.fixtures)),
             "a compiled variant (build != none) names no extension_module"),
            (self.verification.kind in ("exact", "tolerance"), "verification kind is not exact or tolerance"),
            (self.verification.output_type in OUTPUT_TYPES,
             f"output_type is not one of {list(OUTPUT_TYPES)}"),
            (all(r is None or r in names for r in vars(self.roles).values()), "a role names no variant"),
            (self.roles.baseline in names and self.roles.reference in names,
             "baseline and reference are required"),
            (self._control_ok(), "threads_control is not a parallel variant of technology python"),
            (all(n in params for n in self.shorthand), "shorthand names an undeclared parameter"),
            (self._label_ok(), f"label {self.label!r} uses an undeclared parameter"),
        ]
        return next((message for ok, message in checks if not ok), None)

    def _control_ok(self) -> bool:
        control = self.roles.threads_control
        found = next((v for v in self.variants if v.name == control), None)
        return control is None or (found is not None and found.parallel and found.technology == "python")

    def _label_ok(self) -> bool:
        try:
            self.format_label(self.defaults())
        except (KeyError, IndexError, ValueError):
            return False
        return True

    def variant(self, name: str, include_fixtures: bool = True) -> Variant:
        table = self.table(include_fixtures)
        if name not in table:
            raise KeyError(f"{name!r} is not a variant of {self.name} "
                           f"(accepted: {', '.join(self.table(False))})")
        return table[name]

    def table(self, include_fixtures: bool = False) -> dict:
        variants = list(self.variants) + (list(self.fixtures) if include_fixtures else [])
        return {v.name: v for v in variants}

    def module(self, variant: Variant) -> str:
        """The import name of a variant's module: workloads.<workload>.<variant> (fixtures:
        ...fixtures.<variant>)."""
        fixture = any(v.name == variant.name for v in self.fixtures)
        return f"workloads.{self.name}.{'fixtures.' if fixture else ''}{variant.name}"

    def defaults(self, quick: bool = False) -> dict:
        return {p.name: (p.quick if quick else p.default) for p in self.parameters}

    def format_label(self, params: dict) -> str:
        return self.label.format(**params)

    def known_checksum(self, params: dict):
        for items, checksum in self.known_checksums:
            if dict(items) == dict(params):
                return checksum
        return None

    def to_json(self) -> dict:
        """The contract as data, snapshotted into every archive (the report reads this, never workloads/)."""
        return {
            "name": self.name, "title": self.title, "summary": self.summary, "label": self.label,
            "work_unit": self.work_unit, "shorthand": list(self.shorthand),
            "parameters": [{"name": p.name, "default": p.default, "quick": p.quick, "help": p.help,
                            "kind": p.kind, "minimum": p.minimum} for p in self.parameters],
            "verification": {"kind": self.verification.kind, "output_type": self.verification.output_type,
                             "rtol": self.verification.rtol, "atol": self.verification.atol},
            "roles": {"baseline": self.roles.baseline, "reference": self.roles.reference,
                      "scalar_c": self.roles.scalar_c, "limit_serial": self.roles.limit_serial,
                      "limit_parallel": self.roles.limit_parallel,
                      "threads_control": self.roles.threads_control},
            "variants": [v.to_json() for v in self.variants],
            "figures": [{"title": f.title, "caption": f.caption, "rows": f.rows, "scale": f.scale,
                         "invert": f.invert} for f in self.figures],
            "cflags": list(self.cflags), "openmp_flags": list(self.openmp_flags),
            "plain_program": self.plain_program,
        }
