"""Kernel quality: each single-thread compiled kernel (and numpy, for reference) against the workload's scalar
C variant (its contract's `scalar_c` role) at the same interpreter and size, with the likely reason when it is
more than summaries.KERNEL_QUALITY_BOUND slower.

The reason comes first from the contract (the variant's own slow_reasons for that implementation), else from
what is known of the technology on that implementation (below: cpyext on PyPy, numpy's whole-array passes,
Numba's dispatcher), else from the size sweep when it shows the gap is a fixed cost per call.
"""

from __future__ import annotations

from dataclasses import dataclass

from shootout.results import summaries
from shootout.results.cells import CellSummary, SizeFit
from shootout.results.snapshot import ContractSnapshot

from . import formatting
from .ordering import Order

COMPILED = tuple(summaries.COMPILED_TECHNOLOGIES)
QUALITY_TECHNOLOGIES = (*COMPILED, "numpy")

# What is known of a technology, by (technology, implementation), then technology alone.
TECHNOLOGY_REASONS = {
    ("numpy", "pypy"): "numpy on PyPy runs through cpyext, PyPy's emulation of the CPython C API: every "
    "numpy call crosses it (boxing and converting its arguments), on top of the whole-array passes numpy "
    "makes.",
    ("numpy", "cpython"): "a vectorised numpy version makes one pass over memory per array operation, with "
    "temporary arrays, and cannot stop early for one element: it moves more data and often does more work "
    "than a scalar loop that keeps its values in registers.",
    ("cython", "pypy"): "Cython extensions on PyPy are loaded through cpyext, PyPy's emulation of the "
    "CPython C API: every Python object the kernel touches (arguments, list items, results) crosses it, and "
    "the argument conversion per call is a fixed cost that dominates at small sizes.",
    ("pythran", "pypy"): "Pythran modules on PyPy are loaded through cpyext: argument conversion per call is "
    "a fixed cost that dominates at small sizes.",
    "numba": "Numba's dispatcher checks and unboxes the arguments on every call: a fixed cost per call that "
    "dominates at small sizes.",
}
OVERHEAD_REASON = ("the steady slope (ns per {unit}) is within {bound}× of {scalar}'s, so the gap is the "
                   "fixed cost per call ({overhead}), which dominates at this size.")
GENERIC_REASON = ("no known mechanism recorded for this variant; compare its measured call overhead and "
                  "slope (needs a size sweep) and its build flags.")


@dataclass(frozen=True)
class QualityRow:
    variant: str
    interpreter: str
    technology: str
    ratios: list  # time ÷ the scalar C variant's, per size (largest work first); None where not measured
    slow: bool
    reason: str | None
    fit: SizeFit | None
    slope_ratio: float | None  # this variant's ns per unit ÷ the scalar C variant's

    @property
    def reference_only(self) -> bool:
        return self.technology not in COMPILED

    @property
    def overhead(self) -> str | None:
        return formatting.overhead(self.fit.a) if self.fit else None


@dataclass(frozen=True)
class Quality:
    scalar_c: str
    rows: list[QualityRow]
    sizes: list[str]  # largest work first
    bound: float
    scalar_fits: list[SizeFit]

    @property
    def has_fits(self) -> bool:
        return any(r.fit is not None for r in self.rows)


def reason_for(contract: ContractSnapshot, variant: str, technology: str, implementation: str) -> str | None:
    declared = contract.variant(variant)
    return ((declared.slow_reasons.get(implementation) if declared else None)
            or TECHNOLOGY_REASONS.get((technology, implementation)) or TECHNOLOGY_REASONS.get(technology))


def _ratios(cells: list[CellSummary], scalar_c: str) -> dict[tuple[str, str], dict[str, float]]:
    """(variant, interpreter) -> {size: time ÷ scalar C time} for single-thread verified kernels."""
    good = [c for c in cells if c.ok and c.threads == 1]
    scalar = {(c.interpreter, c.size): c.median for c in good if c.variant == scalar_c}
    families: dict[tuple[str, str], dict[str, float]] = {}
    for c in good:
        base = scalar.get((c.interpreter, c.size))
        if c.technology in QUALITY_TECHNOLOGIES and c.variant != scalar_c and base:
            # numpy is not compiled, so summaries leaves it out of vs_scalar_c; the same ratio, for reference
            families.setdefault((c.variant, c.interpreter), {})[c.size] = c.vs_scalar_c or c.median / base
    return families


def _row(cells: list[CellSummary], key: tuple[str, str], by_size: dict, sizes: list[str], fits: dict,
         context: tuple[ContractSnapshot, str, str]) -> QualityRow:
    contract, scalar_c, work_unit = context
    variant, interp = key
    cell = next(c for c in cells if (c.variant, c.interpreter) == key)
    fit, c_fit = fits.get((variant, interp, 1)), fits.get((scalar_c, interp, 1))
    slope_ratio = fit.b_ns / c_fit.b_ns if fit and c_fit and c_fit.b_ns > 0 and fit.b_ns > 0 else None
    bound = summaries.KERNEL_QUALITY_BOUND
    slow = max(by_size.values()) > bound
    reason = None
    if slow and slope_ratio is not None and slope_ratio <= bound and fit.a > 0:
        reason = OVERHEAD_REASON.format(unit=work_unit, bound=bound, scalar=scalar_c,
                                        overhead=formatting.overhead(fit.a))
    elif slow:
        reason = reason_for(contract, variant, cell.technology, cell.implementation) or GENERIC_REASON
    return QualityRow(variant, interp, cell.technology, [by_size.get(s) for s in sizes], slow, reason, fit,
                      slope_ratio)


def kernel_quality(cells: list[CellSummary], contract: ContractSnapshot, order: Order,
                   fits: dict) -> Quality | None:
    """None when the contract names no scalar C variant or no kernel could be compared with it."""
    scalar_c = contract.roles.scalar_c
    if not scalar_c:
        return None
    families = _ratios(cells, scalar_c)
    if not families:
        return None
    sizes = sorted(order.sizes, key=lambda s: -order.size(s))
    rows = [_row(cells, key, by_size, sizes, fits, (contract, scalar_c, contract.work_unit))
            for key, by_size in families.items()]
    rows.sort(key=lambda r: (r.reference_only, order.variant(r.variant), order.interpreter(r.interpreter)))
    scalar_fits = [fits[(scalar_c, i, 1)] for i in order.interpreters if (scalar_c, i, 1) in fits]
    return Quality(scalar_c, rows, sizes, summaries.KERNEL_QUALITY_BOUND, scalar_fits)
