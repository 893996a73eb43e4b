"""How far a JIT cell's steady estimate lands from the true level, by simulation through the project's own code.

    python benchmarks/simulate_warmup.py [--processes 2000] [--noise 0.02] [--seed 1]

Each simulated process is a warm-up curve: call 1 at 1.5× the level (compilation), then calls at
level × (1 + A·ρ^(k−2)) with multiplicative Gaussian noise, A the excess of call 2 and ρ how fast it decays.
Two designs go through the code the orchestrator and the worker run:
  fixed       4 to 6 calls, split by the "jit-v2" rule (what the default method did before the harness followed
              the warm-up), every process counted;
  adaptive    the harness's stop rule (workloads/harness.stop_reason with the default method's CallPlan),
              split by the current rule, processes with no steady state counted apart.
For each curve: the bias of the median of the counted processes' steady means over the level, the share of
processes counted, and the mean number of calls per process.
"""

from __future__ import annotations

import argparse
import sys
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shootout import warmup
from shootout.matrix import METHODS
from workloads.harness import stop_reason

CURVES = {  # (A, ρ): the excess of call 2 over the level, and its decay per call
    "flat": (0.0, 0.0),
    "fast warm-up (0.2, halving)": (0.2, 0.5),
    "numpy-like (0.16, halving)": (0.16, 0.5),
    "10% a call (0.3, ×0.7)": (0.3, 0.7),
    "slow (0.2, ×0.85)": (0.2, 0.85),
}


def call_time(k: int, excess: float, decay: float, noise: float, rng: np.random.Generator) -> float:
    """Call k (1-based) of a process whose level is 1."""
    mean = 1.5 if k == 1 else 1 + excess * decay ** (k - 2)
    return mean * (1 + rng.normal(0, noise))


def adaptive_process(curve, noise, rng) -> dict:
    plan = METHODS["default"].calls_for(warmup.JIT_RULE)
    args = types.SimpleNamespace(calls=plan.most, min_calls=plan.least, max_seconds=plan.seconds,
                                 steady_window=plan.steady_window,
                                 steady_tolerance=METHODS["default"].steady_tolerance)
    times: list[float] = []
    while True:
        times.append(call_time(len(times) + 1, *curve, noise, rng) * 0.1)  # 0.1 s calls: the time cap is 3 s
        reason = stop_reason(times, args)
        if reason:
            return {"times_seconds": times, "stop_reason": reason, "warmup_rule": warmup.JIT_RULE}


def fixed_process(curve, noise, rng) -> dict:
    calls = int(rng.integers(4, 7))
    return {"times_seconds": [call_time(k, *curve, noise, rng) * 0.1 for k in range(1, calls + 1)],
            "warmup_rule": "jit-v2"}


def estimate(series: list[dict]) -> tuple[float, float, float]:
    """(bias of the median counted steady mean, share counted, mean calls), split as the report splits them."""
    means = []
    for record in series:
        times = record["times_seconds"]
        split = warmup.steady_part({**record, "interpreter": {"implementation": "pypy"}})
        if split.counted:
            means.append(float(np.mean(times[split.steady_start:] or times[-1:])))
    bias = float(np.median(means)) / 0.1 - 1 if means else float("nan")
    return bias, len(means) / len(series), float(np.mean([len(r["times_seconds"]) for r in series]))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--processes", type=int, default=2000)
    p.add_argument("--noise", type=float, default=0.02, help="relative noise per call (default 0.02)")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    print(f"{args.processes} processes per curve and design, {args.noise:.1%} noise per call")
    print(f"{'curve':30} {'design':9} {'bias':>8} {'counted':>8} {'calls':>6}")
    for name, curve in CURVES.items():
        for design, make in (("fixed", fixed_process), ("adaptive", adaptive_process)):
            bias, counted, calls = estimate([make(curve, args.noise, rng) for _ in range(args.processes)])
            print(f"{name:30} {design:9} {bias:+8.2%} {counted:8.1%} {calls:6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
