"""What a speedup CI of ±P% would cost on the machine an archive was recorded on: the baseline cell's noise.

Every speedup divides by the baseline cell, so its CI is at least as wide as the baseline's own. For each
workload's baseline cell this prints the relative spread s of its process means (1.4826·MAD / median, robust),
its wall seconds per process, and how many processes (and minutes) its median needs for a 95% CI of ±P/√2, the
baseline's share when the other cell is as precise (√(h² + h²) = P). The count uses the large-sample standard
error of a median, 1.2533·s/√n: n = (1.96 · 1.2533 · s / (P/√2))²; the order-statistic CI the report shows is
a little wider at small n, so the count is a lower bound.

    python benchmarks/noise_floor.py results/<run-id> [--precision 2%]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shootout.results import archive, estimates, summaries
from shootout.run.options import precision_of


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("archive")
    p.add_argument("--precision", default="2%", help="the speedup CI half-width wanted (default 2%%)")
    args = p.parse_args(argv)
    target = precision_of(args.precision)
    data = archive.read(Path(args.archive))
    summary = summaries.summarise(data.records, data.roles)
    means = summaries.process_means(data.records)
    for (workload, size), row in summaries.baseline_cells(summary, data.roles).items():
        key = tuple(row[k] for k in summaries.CELL_KEYS)
        values = means[key]
        spread = estimates.relative_spread(values)
        walls = [r.process_wall_seconds or 0.0 for r in data.records if r.cell_key == key]
        per_process = sum(walls) / len(walls)
        needed = math.ceil((1.96 * 1.2533 * spread / (target / math.sqrt(2))) ** 2)
        print(f"{workload} {size}: baseline {row['variant']} on {row['interpreter']}, {len(values)} "
              f"processes, spread {spread:.2%}, {per_process:.1f} s per process; a ±{target:.1%} speedup CI "
              f"needs ≥ {needed} baseline processes ≈ {needed * per_process / 60:.0f} min of it alone")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except archive.ArchiveError as exc:
        print(f"noise_floor: error: {exc}", file=sys.stderr)
        sys.exit(2)
