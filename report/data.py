"""From an archive to the typed, display-ready data of its report: report/render.py only renders what `build`
returns (the split of coverage.py's HtmlDataGeneration and HtmlReporter).

Everything workload-specific comes from the archive's contract snapshots: titles, summaries, the baseline, the
work unit, the roles behind "% of limit" and "vs <scalar C>", schedules, slow reasons and figures. An archive
may hold several workloads: each gets its own sections, and a short side-by-side comparison follows them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from shootout.results import cells as cells_mod
from shootout.results import estimates, summaries
from shootout.results.archive import Archive
from shootout.results.cells import CellSummary
from shootout.results.snapshot import ContractSnapshot, RolesSnapshot

from . import (
    analysis,
    drift_panel,
    figures,
    footprint_panel,
    machine,
    ordering,
    output_image,
    quality,
    sidebyside,
    warmup_panels,
)
from . import columns as columns_mod
from . import gil as gil_mod
from .formatting import params_text
from .ordering import Order
from .problems import Problem, problems

# ---------------------------------------------------------------- the dataclasses


@dataclass(frozen=True)
class HeadlinePair:
    """The baseline variant on a PyPy and a CPython interpreter, single-threaded, with the Mann-Whitney
    p-value of the pair's table, Holm-adjusted within its family (summaries.compare_interpreters)."""

    pypy: CellSummary
    cpython: CellSummary
    p_value: float | None  # Holm-adjusted
    family_size: int = 0  # comparisons in its Holm family
    raw_p: float | None = None  # before the adjustment

    @property
    def time_ratio(self) -> float:
        """PyPy time ÷ CPython time (below 1: PyPy is faster)."""
        return self.pypy.median / self.cpython.median

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < estimates.SIGNIFICANCE


@dataclass(frozen=True)
class Headline:
    fastest: list[CellSummary]  # per interpreter
    comparisons: list[HeadlinePair]
    failed: list[str]
    not_run: int
    verified: int
    cells: int


@dataclass(frozen=True)
class SizeSection:
    size: str
    params: str  # the parameter set, as text
    baseline: str  # "<baseline variant> on <CPython column>"
    headline: Headline
    chart: figures.Chart | None
    chart_kind: str  # speedup | time
    not_charted: int
    warmup: list[warmup_panels.WarmupPanel]


@dataclass(frozen=True)
class Analyses:
    pairs: list[analysis.PairTable]
    quality: quality.Quality | None
    threads: analysis.ThreadScaling | None
    size_scaling: analysis.SizeScaling | None
    gil: gil_mod.GilStudy | None
    design: analysis.DesignCheck | None = None


@dataclass(frozen=True)
class WorkloadReport:
    name: str
    title: str
    summary: str
    work_unit: str
    prefix: str  # of its section ids: "" when the archive has one workload
    contract: ContractSnapshot
    order: Order
    baseline: str  # "<baseline variant> on <CPython column>"
    cells: list[CellSummary]
    sizes: list[str]
    sections: list[SizeSection]
    problems: list[Problem]
    figures: list[output_image.FigureImages]
    image_problems: list[str]
    analyses: Analyses
    footprint: footprint_panel.Footprint | None = None  # memory and start-up (None: not recorded)

    @property
    def roles(self) -> RolesSnapshot:
        return self.contract.roles

    @property
    def several(self) -> bool:
        """One of several workloads in the archive (its headings then name it)."""
        return bool(self.prefix)

    @property
    def multi_size(self) -> bool:
        return len(self.sizes) > 1

    @property
    def has_cells(self) -> bool:
        return bool(self.cells)


@dataclass(frozen=True)
class Report:
    run_id: str
    title: str
    archive_status: str
    missing_cells: list[str]
    started_at: str
    finished_at: str
    wall_seconds: float | None
    method: str  # how the run measured, in one sentence
    profile_only: bool
    workloads: list[WorkloadReport]
    side_by_side: list[sidebyside.SideBySide]
    technologies: list[str]
    env_failures: list[tuple[str, str]]
    missing_interpreters: list[dict]
    machine: machine.Machine
    reproduce: machine.Reproduce
    drift: drift_panel.DriftView | None
    tolerance: float
    unstable_ci: float
    quality_bound: float
    columns: dict  # interpreter name -> columns.Column

    @property
    def has_cells(self) -> bool:
        return any(w.has_cells for w in self.workloads)

    def label(self, interpreter: str) -> str:
        """'cpython3.13t (free-threaded, GIL off)': a column's name wherever one is named."""
        found = self.columns.get(interpreter)
        return found.label if found is not None else interpreter


@dataclass(frozen=True)
class ReportRun:
    """What every workload of one archive shares while its report is built."""

    data: Archive
    summary: pd.DataFrame
    cells: list[CellSummary]
    interpreters: tuple
    pairs: list[tuple[str, str]]
    tests: dict  # (pypy, cpython) -> summaries.compare_interpreters frame
    references: list[output_image.ArchivedReference]
    reference_problems: list[str]
    several: bool
    columns: dict  # interpreter name -> columns.Column
    samples: dict  # cell key -> its process means and rounds (summaries.process_samples)

    @property
    def labels(self) -> dict[str, str]:
        return {name: self.columns[name].label if name in self.columns else name
                for name in self.interpreters}

    @property
    def meta(self) -> dict:
        return machine.dict_of(self.data.metadata)


# ---------------------------------------------------------------- one size of one workload


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _declared(run: ReportRun, key: str, workload: str):
    """What metadata.json declares of one workload under `key` ("variants", "sizes"; keyed by workload in
    v2)."""
    found = run.meta.get(key)
    return found.get(workload) if isinstance(found, dict) else None


def _comparison(run: ReportRun, pair: tuple[str, str], pypy: CellSummary,
                cpython: CellSummary) -> HeadlinePair:
    """The headline's comparison, with the p-value the pair's table adjusted for its family."""
    test = run.tests.get(pair)
    if test is None or test.empty:
        return HeadlinePair(pypy, cpython, None)
    match = test[(test["workload"] == pypy.workload) & (test["variant"] == pypy.variant)
                 & (test["threads"] == pypy.threads) & (test["size"] == pypy.size)]
    if not len(match):
        return HeadlinePair(pypy, cpython, None)
    row = match.iloc[0]
    return HeadlinePair(pypy, cpython, float(row["p_holm"]), int(row["family_size"]), float(row["p_value"]))


def _headline(run: ReportRun, contract: ContractSnapshot, cells: list[CellSummary]) -> Headline:
    ranked = [c for c in cells if c.ok]
    fastest = []
    for interp in run.interpreters:
        candidates = [c for c in ranked if c.interpreter == interp]
        if candidates:
            fastest.append(min(candidates, key=lambda c: (c.median, c.variant, c.threads)))
    base = {c.interpreter: c for c in ranked if c.variant == contract.roles.baseline and c.threads == 1}
    comparisons = [_comparison(run, (p, c), base[p], base[c])
                   for p, c in run.pairs if p in base and c in base]
    failed = sorted({f"{c.label} on {c.interpreter}" for c in cells if c.failed})
    not_run = sum(1 for c in cells if c.status in cells_mod.NOT_RUN)
    return Headline(fastest, comparisons, failed, not_run, len(ranked), len(cells))


def _baseline_text(run: ReportRun, contract: ContractSnapshot, size: str | None) -> str:
    where = cells_mod.baselines(run.summary, run.data.roles)
    found = [where[(contract.name, s)] for s in ([size] if size else []) if (contract.name, s) in where]
    if not found:
        found = [key for (workload, _), key in sorted(where.items()) if workload == contract.name]
    interpreter = found[0][2] if found else "CPython"
    return f"{contract.roles.baseline} on {interpreter}"


def _size_section(run: ReportRun, contract: ContractSnapshot, cells: list[CellSummary], size: str,
                  ids: str) -> SizeSection:
    mine = [c for c in cells if c.size == size]
    baseline = _baseline_text(run, contract, size)
    chart = figures.speedup_figure(f"speedup-{ids}", mine, run.interpreters, baseline, contract.work_unit,
                                   run.labels)
    kind = "speedup"
    if chart is None:
        chart, kind = figures.time_figure(f"times-{ids}", mine, run.interpreters, run.labels), "time"
    params = next((s.get("params") for s in _list(_declared(run, "sizes", contract.name))
                   if isinstance(s, dict) and s.get("label") == size), None)
    return SizeSection(size, params_text(params), baseline, _headline(run, contract, mine), chart, kind,
                       sum(1 for c in mine if not c.ok),
                       warmup_panels.panels(run.data.records, mine, f"warmup-{ids}", run.interpreters))


# ---------------------------------------------------------------- one workload


def _analyses(run: ReportRun, contract: ContractSnapshot, cells: list[CellSummary], order: Order,
              index: int) -> Analyses:
    fits = cells_mod.size_fits(cells)
    summary = run.summary[run.summary["workload"] == contract.name] if not run.summary.empty else run.summary
    return Analyses(
        pairs=analysis.interpreter_comparison(run.tests, cells, order) if cells else [],
        quality=quality.kernel_quality(cells, contract, order, fits),
        threads=analysis.thread_scaling(summary, run.data.records, cells, contract, order,
                                        f"threads-{index}"),
        size_scaling=analysis.size_scaling(cells, order, fits, contract.work_unit, f"sizes-{index}"),
        gil=gil_mod.study(cells, run.samples, run.columns, order, contract.roles.threads_control),
        design=analysis.design_check(cells),
    )


def _order(run: ReportRun, contract: ContractSnapshot, cells: list[CellSummary]) -> Order:
    return ordering.workload_order(contract, _declared(run, "variants", contract.name), cells,
                                    run.interpreters,
                                    _declared(run, "sizes", contract.name), columns_mod.notes(run.columns))


def _workload(run: ReportRun, name: str, index: int) -> WorkloadReport:
    contract = run.data.contracts[name]
    unsorted = [c for c in run.cells if c.workload == name]
    order = _order(run, contract, unsorted)
    cells = sorted(unsorted, key=order.cell)
    images, image_problems = output_image.images(run.data, contract, run.references, order.size)
    if index == 0:
        image_problems = run.reference_problems + image_problems
    return WorkloadReport(
        name=name, title=contract.title or name, summary=contract.summary,
        work_unit=contract.work_unit or "unit",
        prefix=f"w{index}-" if run.several else "", contract=contract, order=order,
        baseline=_baseline_text(run, contract, None), cells=cells, sizes=list(order.sizes),
        sections=[_size_section(run, contract, cells, size, f"{index}-{n}")
                  for n, size in enumerate(order.sizes)],
        problems=problems(run.data, cells, order), figures=images, image_problems=image_problems,
        analyses=_analyses(run, contract, cells, order, index),
        footprint=footprint_panel.view(cells, list(order.sizes), run.interpreters, run.labels, str(index)),
    )


def workload_names(meta: dict, contracts: dict) -> list[str]:
    declared = [n for n in _list(meta.get("workloads")) if isinstance(n, str)]
    return [n for n in dict.fromkeys([*declared, *contracts]) if n in contracts]


# ---------------------------------------------------------------- the whole archive


def _run(data: Archive) -> ReportRun:
    summary = summaries.summarise(data.records, data.roles) if data.records else pd.DataFrame()
    cells = cells_mod.cell_summaries(summary, data.roles,
                                     _list(machine.dict_of(data.metadata).get("planned_cells")))
    interpreters = ordering.interpreter_order(machine.dict_of(data.metadata), cells)
    pairs = ordering.interpreter_pairs(interpreters, ordering.implementations(cells))
    names = workload_names(machine.dict_of(data.metadata), data.contracts)
    references, reference_problems = output_image.read_references(data, names) if names else ([], [])
    return ReportRun(data, summary, cells, interpreters, pairs,
               {pair: summaries.compare_interpreters(data.records, *pair) for pair in pairs},
               references, reference_problems, len(names) > 1,
               columns_mod.columns(machine.dict_of(data.metadata), data.records),
               summaries.process_samples(data.records))


def _side_by_side(run: ReportRun, workloads: list[WorkloadReport]) -> list[sidebyside.SideBySide]:
    shared = [sidebyside.WorkloadCells(w.name, w.title, w.work_unit, w.cells, w.order) for w in workloads]
    return sidebyside.side_by_side(shared, run.pairs)


def build(data: Archive) -> Report:
    run = _run(data)
    meta, manifest = run.meta, data.manifest
    workloads = [_workload(run, name, index)
                 for index, name in enumerate(workload_names(meta, data.contracts))]
    ranks = {w.name: w.order for w in workloads}
    failures = meta.get("environment_failures") if isinstance(meta.get("environment_failures"), dict) else {}
    return Report(
        run_id=str(manifest.get("run_id") or meta.get("run_id") or data.path.name),
        title=" · ".join(w.title for w in workloads) or "pyshootout",
        archive_status=str(manifest.get("status") or "unknown"),
        missing_cells=[str(c) for c in _list(manifest.get("missing_cells"))],
        started_at=str(meta.get("started_at") or manifest.get("started_at") or "?"),
        finished_at=str(meta.get("finished_at") or manifest.get("finished_at") or "?"),
        wall_seconds=meta.get("wall_seconds") if isinstance(meta.get("wall_seconds"), (int, float)) else None,
        method=machine.method_text(machine.dict_of(meta.get("method")), meta.get("seed")),
        profile_only=not run.cells and str(meta.get("kind") or "") == "profile",
        workloads=workloads, side_by_side=_side_by_side(run, workloads),
        technologies=list(dict.fromkeys(c.technology for w in workloads for c in w.cells if c.technology)),
        env_failures=sorted((str(k), str(v)) for k, v in failures.items()),
        missing_interpreters=[i for i in _list(meta.get("interpreters"))
                              if isinstance(i, dict) and i.get("available") is False],
        machine=machine.machine(data, lambda w, v: ranks[w].variant(v) if w in ranks else 0, run.columns),
        reproduce=machine.reproduce(data),
        drift=drift_panel.view(data.records, run.summary, data.roles),
        tolerance=summaries.TOLERANCE, unstable_ci=summaries.UNSTABLE_CI,
        quality_bound=summaries.KERNEL_QUALITY_BOUND,
        columns=run.columns,
    )
