"""Every number the Method section states, taken from the code that applies it and from the archive's method.

The section must say what the code does: it is worded from these values only (tests/test_method_section.py
changes a constant and reads the change on the page), never from figures typed into the template.
"""

from __future__ import annotations

from dataclasses import dataclass

from shootout.results import archive as archive_mod
from shootout.results import estimates, overhead, summaries, warmup
from shootout.results.records import Record


@dataclass(frozen=True)
class RunMethod:
    """The archive's own method (metadata.json "method"); None where an older archive did not record it."""

    warmups: int | None
    calls: int | None
    call_seconds: float | None
    jit_calls: int | None
    jit_seconds: float | None
    steady_calls: int | None  # None: an archive from before JIT processes followed their cell's warm-up
    layout_paddings: int | None
    plain_check: bool
    processes: int | None
    baseline_processes: int | None

    @property
    def jit_least(self) -> int | None:
        return None if self.steady_calls is None else 1 + self.steady_calls

    @property
    def baseline_per_round(self) -> int | None:
        if not self.processes or not self.baseline_processes:
            return None
        return max(1, -(-self.baseline_processes // self.processes))


@dataclass(frozen=True)
class MethodFacts:
    run: RunMethod
    older_rules: list[tuple[str, str]]  # (rule, what it does) for records run under a rule other than today's
    # warm-up (shootout.results.warmup)
    penalty: float
    min_segment: int
    min_steady: int
    steady_fraction: float
    equivalent: float
    spike: float
    one_off_after: int
    drift_min_calls: int
    trend_p: float
    jit_rule: str
    # intervals and tests (shootout.results.estimates)
    confidence: float
    significance: float
    resamples: int
    min_median_ci: int
    min_paired: int
    min_bootstrap: int
    min_serial: int
    lag1_margin: float
    max_lag1: float
    exact_max: int
    # flags (shootout.results.summaries) and the overhead check
    unstable_ci: float
    disturbed_pressure: float
    disturbed_steal: float
    disturbed_cpu_share: float
    overhead_limit: float


def _number(method: dict, key: str, kind=float):
    value = method.get(key)
    return kind(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def run_method(data: archive_mod.Archive) -> RunMethod:
    method = data.metadata.get("method") if isinstance(data.metadata.get("method"), dict) else {}
    return RunMethod(
        warmups=_number(method, "warmups", int), calls=_number(method, "calls", int),
        call_seconds=_number(method, "call_seconds"), jit_calls=_number(method, "jit_calls", int),
        jit_seconds=_number(method, "jit_seconds"), steady_calls=_number(method, "jit_steady_calls", int),
        layout_paddings=_number(method, "layout_paddings", int), plain_check=bool(method.get("plain_check")),
        processes=_number(method, "processes", int),
        baseline_processes=_number(method, "baseline_processes", int),
    )


def older_rules(records: list[Record]) -> list[tuple[str, str]]:
    """The warm-up rules this archive's records name that are not today's (a record without one: its
    default)."""
    current = {"aot", warmup.JIT_RULE}
    named = {warmup.rule_of(r) for r in records if r.status == "ok"}
    return [(rule, warmup.RULES.get(rule, "not known to this pyshootout"))
            for rule in sorted(named - current)]


def facts(data: archive_mod.Archive) -> MethodFacts:
    return MethodFacts(
        run=run_method(data), older_rules=older_rules(data.records),
        penalty=warmup.PENALTY, min_segment=warmup.MIN_SEGMENT, min_steady=warmup.MIN_STEADY,
        steady_fraction=warmup.STEADY_FRACTION, equivalent=warmup.EQUIVALENT, spike=warmup.SPIKE,
        one_off_after=warmup.ONE_OFF_AFTER,
        drift_min_calls=warmup.DRIFT_MIN_CALLS, trend_p=warmup.TREND_P,
        jit_rule=warmup.JIT_RULE,
        confidence=estimates.CONFIDENCE, significance=estimates.SIGNIFICANCE, resamples=estimates.RESAMPLES,
        min_median_ci=estimates.MIN_MEDIAN_CI, min_paired=estimates.MIN_PAIRED,
        min_bootstrap=estimates.MIN_BOOTSTRAP, min_serial=estimates.MIN_SERIAL,
        lag1_margin=estimates.LAG1_MARGIN, max_lag1=estimates.MAX_LAG1, exact_max=estimates.EXACT_MAX,
        unstable_ci=summaries.UNSTABLE_CI, disturbed_pressure=summaries.DISTURBED_PRESSURE,
        disturbed_steal=summaries.DISTURBED_STEAL, disturbed_cpu_share=summaries.DISTURBED_CPU_SHARE,
        overhead_limit=overhead.LIMIT,
    )
