"""A user's mistake on the command line or in a request: one line naming the bad value (and what is accepted),
exit 2, nothing written. One definition for every command, `interpreters` included."""

from __future__ import annotations

import argparse
import sys

EXIT_USAGE = 2


class UsageError(ValueError):
    """A value that cannot mean anything; the message is the one line the user sees."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line `<label>: error: ...` and exit 2 (argparse prints the usage
    and a message)."""

    def __init__(self, *args, error_label: str = "pyshootout", **kwargs):
        super().__init__(*args, **kwargs)
        self.error_label = error_label

    def error(self, message: str):
        print(f"{self.error_label}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)
