"""What the orchestrator tells the user while it works: one line at a time on stderr (stdout is for
results)."""

from __future__ import annotations

import sys


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
