"""How much a JIT-compiled kernel's speed depends on where its machine code lands, and whether the harness,
with placement drawn per process, measures what the plain program measures.

    python benchmarks/jit_code_placement.py [--python .nox/shootout/envs/pypy3.9/bin/python] [--rounds 4]
        [--paddings 0,1,2,3,4,6,8,12,16] [--workload julia] [--calls 9]

Part 1 runs the workload's plain program with k small loops compiled before its kernel (pad_jit_code), for
each k, interleaved in rounds, and prints the median over processes of the mean of calls 2..N per k: the
spread is what one arbitrary placement can cost. Part 2 runs the plain program and the harness (the baseline
variant) in pairs that share a drawn k, and prints the two medians and their ratio (the report's
harness-overhead check, at more processes). Every process is pinned to the last CPU, as workers are. Needs a
reference for the parameters: the first run computes it with the orchestrator's CPython into the work dir.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shootout.run import catalog

HARNESS = ROOT / "workloads" / "harness.py"


def pinned(cmd: list[str]) -> list[str]:
    return ["taskset", "-c", str(max(os.sched_getaffinity(0))), *cmd]


def plain_times(python: str, program: Path, params: dict, calls: int, padding: int) -> list[float]:
    out = subprocess.run(pinned([python, str(program), json.dumps(params), str(calls), str(padding)]),
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["times_seconds"]


def harness_times(python: str, args: argparse.Namespace, params: dict, reference: Path,
                  padding: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "record.json"
        subprocess.run(pinned([python, str(HARNESS), "--workload", args.workload, "--variant", args.variant,
                               "--params", json.dumps(params), "--calls", str(args.calls), "--reference",
                               str(reference), "--out", str(out), "--layout-padding", str(padding)]),
                       capture_output=True, check=True)
        return json.loads(out.read_text())["times_seconds"]


def later(times: list[float]) -> float:
    return statistics.mean(times[1:])


def make_reference(workload: str, params: dict, work: Path) -> Path:
    path = work / f"{workload}-{'-'.join(str(v) for _k, v in sorted(params.items()))}.json"
    if not path.exists():
        work.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(HARNESS), "--workload", workload, "--make-reference", "--params",
                        json.dumps(params), "--out", str(path)], check=True, capture_output=True)
    return path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--python", default=str(ROOT / ".nox/shootout/envs/pypy3.9/bin/python"))
    p.add_argument("--workload", default="julia")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--pairs", type=int, default=16, help="part 2: plain/harness pairs")
    p.add_argument("--paddings", default="0,1,2,3,4,6,8,12,16")
    p.add_argument("--calls", type=int, default=9)
    p.add_argument("--work", default=str(ROOT / ".nox/shootout/placement"))
    args = p.parse_args(argv)
    contract = catalog.load(args.workload)
    args.variant = contract.roles.baseline
    params = contract.defaults()
    program = catalog.folder(args.workload) / contract.plain_program
    paddings = [int(k) for k in args.paddings.split(",")]
    print(f"{args.workload} {contract.format_label(params)} on {args.python}, {args.calls} calls a process")
    print("part 1: plain program, k loops compiled first; median over processes of the mean of calls 2..N")
    found: dict[int, list[float]] = {k: [] for k in paddings}
    for round_index in range(args.rounds):
        for k in random.Random(round_index).sample(paddings, len(paddings)):
            found[k].append(later(plain_times(args.python, program, params, args.calls, k)))
    base = statistics.median(found[paddings[0]])
    for k in paddings:
        value = statistics.median(found[k])
        print(f"  k={k:2d}: {value:.4f} s ({value / base - 1:+.1%} against k={paddings[0]})")
    reference = make_reference(args.workload, params, Path(args.work))
    print(f"part 2: {args.pairs} pairs sharing a drawn k (0..15): plain program and harness")
    draws = [random.Random(f"pair-{i}").randrange(16) for i in range(args.pairs)]
    plain, harness = [], []
    for k in draws:
        plain.append(later(plain_times(args.python, program, params, args.calls, k)))
        harness.append(later(harness_times(args.python, args, params, reference, k)))
    mp, mh = statistics.median(plain), statistics.median(harness)
    print(f"  plain {mp:.4f} s, harness {mh:.4f} s: harness/plain {mh / mp:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
