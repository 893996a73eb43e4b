"""Reproducibility check between two archives of the same cells (issue 3): for each cell verified in both,
does each run's median fall inside the other's bootstrap 95% CI? Also lists warm-up classes per cell.

    python benchmarks/ci_overlap.py results/<run-a> results/<run-b>
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shootout import archive, stats

KEYS = ["workload", "variant", "interpreter", "threads", "width", "max_iterations"]


def main(a: str, b: str) -> int:
    first = stats.summarise(archive.read(Path(a)).records)
    second = stats.summarise(archive.read(Path(b)).records)
    both = first.merge(second, on=KEYS, suffixes=("_a", "_b"))
    both = both[both["verified_a"] & both["verified_b"]]
    inside = (
        both["median_seconds_a"].between(both["ci_low_b"], both["ci_high_b"])
        & both["median_seconds_b"].between(both["ci_low_a"], both["ci_high_a"])
    )
    both = both.assign(mutually_inside=inside, ratio_b_over_a=both["median_seconds_b"] / both["median_seconds_a"])
    columns = ["variant", "interpreter", "threads", "median_seconds_a", "median_seconds_b", "ratio_b_over_a",
               "mutually_inside", "warmup_classes_a", "warmup_classes_b"]
    print(both[columns].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"\n{int(inside.sum())} of {len(both)} cells ({inside.mean():.0%}) have medians inside each other's 95% CI")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: python benchmarks/ci_overlap.py ARCHIVE_A ARCHIVE_B", file=sys.stderr)
        sys.exit(2)
    try:
        sys.exit(main(sys.argv[1], sys.argv[2]))
    except archive.ArchiveError as exc:
        print(f"ci_overlap: error: {exc}", file=sys.stderr)
        sys.exit(2)
