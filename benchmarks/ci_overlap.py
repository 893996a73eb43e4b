"""Run-to-run reproducibility of the numbers that carry: the speedup ratios (each cell over its workload's
baseline cell, within one run). For every cell verified in both archives: do the two runs' 95% CIs of that
ratio overlap, and how wide are they (relative half-width)? Absolute times drift with the machine; ratios
taken within one run should not.

    python benchmarks/ci_overlap.py results/<run-a> results/<run-b>

The last line reads `<k> of <n> speedup ratios (<p>%) have overlapping 95% CIs; median half-width <h>%`.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shootout.results import archive, summaries


def ratios(path: str):
    data = archive.read(Path(path))
    summary = summaries.summarise(data.records, data.roles)
    summary = summary[summary["verified"] & summary["speedup_low"].notna()]
    half = (summary["speedup_high"] - summary["speedup_low"]) / 2 / summary["speedup"]
    return summary.assign(half_width=half)[summaries.CELL_KEYS + ["speedup", "speedup_low", "speedup_high",
                                                              "half_width", "disturbed", "no_steady_state"]]


def main(a: str, b: str) -> int:
    both = ratios(a).merge(ratios(b), on=summaries.CELL_KEYS, suffixes=("_a", "_b"))
    overlap = ((both["speedup_low_a"] <= both["speedup_high_b"])
               & (both["speedup_low_b"] <= both["speedup_high_a"]))
    both = both.assign(overlap=overlap, shift=both["speedup_b"] / both["speedup_a"] - 1)
    columns = ["variant", "interpreter", "threads", "size", "speedup_a", "speedup_b", "shift", "half_width_a",
               "half_width_b", "overlap"]
    print(both[columns].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    widths = list(both["half_width_a"]) + list(both["half_width_b"])
    median_width = sorted(widths)[len(widths) // 2] if widths else float("nan")
    print(f"\nwidest half-width {max(widths, default=float('nan')):.2%}; "
          f"median |shift| {both['shift'].abs().median():.2%}")
    print(f"{int(overlap.sum())} of {len(both)} speedup ratios ({overlap.mean():.0%}) have overlapping "
          f"95% CIs; median half-width {median_width:.2%}")
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
