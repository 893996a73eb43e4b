"""The results library: reads and analyses archives; imports nothing from shootout.run (docs/api.md)."""

from .api import Run, load

__all__ = ["Run", "load"]
