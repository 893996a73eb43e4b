"""How far a JIT cell's steady estimate lands from the true level, by simulation through the project's own
code.

    python benchmarks/simulate_warmup.py [--cells 300] [--noise 0.02] [--seed 1]

Each simulated process is a warm-up curve: call 1 at 1.5× the level (compilation), then calls at
level × (1 + A·ρ^(k−2)) with multiplicative Gaussian noise, A the excess of call 2 and ρ how fast it decays.
Cells of 6 processes go through the code the orchestrator runs, two designs:
  fixed     4 to 6 calls a process, split by the "jit-v2" rule (the default method before processes followed
            their cell's warm-up), every process counted;
  learned   the default method's plan (matrix.Method.calls_for): the cell's first process explores up to its
            caps, its change points (warmup.classify) say where the steady state starts, and every later
            process makes that many calls plus the steady stretch; split by the current rule, processes with
            no steady state counted apart.
For each curve: the median over cells of the cell estimate's bias (the median of its counted processes' steady
means, over the level), the share of processes counted, and the mean number of calls per process.
"""

from __future__ import annotations

import argparse
import sys
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shootout.results import warmup
from shootout.run.matrix import METHODS
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


def learned_cell(curve, noise, rng) -> list[dict]:
    """Six processes as the sampler plans them: the first explores, the others follow its warm-up."""
    method = METHODS["default"]
    records: list[dict] = []
    start = None
    for _ in range(6):
        plan = method.calls_for(warmup.JIT_RULE, start)
        args = types.SimpleNamespace(calls=plan.most, min_calls=plan.least, max_seconds=plan.seconds)
        times: list[float] = []
        while not stop_reason(times, args):
            times.append(call_time(len(times) + 1, *curve, noise, rng) * 0.1)  # 0.1 s calls
        records.append({"times_seconds": times, "warmup_rule": warmup.JIT_RULE})
        split = warmup.classify(times)
        if start is None and split.counted and split.segments:
            start = split.steady_start
    return records


def fixed_cell(curve, noise, rng) -> list[dict]:
    return [{"times_seconds": [call_time(k, *curve, noise, rng) * 0.1
                               for k in range(1, int(rng.integers(4, 7)) + 1)],
             "warmup_rule": "jit-v2"} for _ in range(6)]


def estimate(cells: list[list[dict]]) -> tuple[float, float, float]:
    """(median over cells of the bias of the median counted steady mean, share counted, mean calls), split as
    the report splits them."""
    biases, counted, calls = [], 0, []
    for records in cells:
        means = []
        for record in records:
            times = record["times_seconds"]
            split = warmup.classify(times, record["warmup_rule"])  # as steady_part splits a PyPy record
            calls.append(len(times))
            if split.counted:
                means.append(float(np.mean(split.steady_calls(times))))
        counted += len(means)
        if means:
            biases.append(float(np.median(means)) / 0.1 - 1)
    total = sum(len(r) for r in cells)
    return float(np.median(biases)) if biases else float("nan"), counted / total, float(np.mean(calls))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cells", type=int, default=300)
    p.add_argument("--noise", type=float, default=0.02, help="relative noise per call (default 0.02)")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    print(f"{args.cells} cells of 6 processes per curve and design, {args.noise:.1%} noise per call")
    print(f"{'curve':30} {'design':9} {'bias':>8} {'counted':>8} {'calls':>6}")
    for name, curve in CURVES.items():
        for design, make in (("fixed", fixed_cell), ("learned", learned_cell)):
            bias, counted, calls = estimate([make(curve, args.noise, rng) for _ in range(args.cells)])
            print(f"{name:30} {design:9} {bias:+8.2%} {counted:8.1%} {calls:6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
