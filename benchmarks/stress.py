"""Run a command again and again while CPU burners load the machine: a test that passes alone and fails under
load is a bug in the code or the test, and this is how it shows.

    python benchmarks/stress.py [--burners 2] [--times 10] [--keep-going] -- COMMAND ...

e.g. the whole suite ten times beside two burners, or the interrupt tests twenty times:

    python benchmarks/stress.py --times 10 -- .venv-nox/bin/nox -s tests
    python benchmarks/stress.py --times 20 -- .venv-nox/bin/nox -s tests -- -k "interrupt or signal"

Each burner is a busy loop in its own process (not pinned: the scheduler puts them where the tests run).
Prints one line per attempt and, last, `<k> of <n> runs passed with <b> burners (<seconds> s)`; exit 0 only
when every run passed. Logs of failed runs are kept in the --logs directory.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BURN = "while True:\n    pass\n"


def start_burners(count: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", BURN], stdin=subprocess.DEVNULL) for _ in range(count)]


def stop_burners(burners: list[subprocess.Popen]) -> None:
    for proc in burners:
        proc.kill()
        proc.wait()


def attempt(command: list[str], log: Path) -> tuple[int, float]:
    started = time.monotonic()
    with log.open("w") as fh:
        code = subprocess.run(command, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              check=False).returncode
    return code, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--burners", type=int, default=2)
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--keep-going", action="store_true", help="run all attempts even after a failure")
    parser.add_argument("--logs", default="stress-logs", help="where each attempt's output goes")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command or args.times < 1 or args.burners < 0:
        parser.error("give a command after --, --times >= 1 and --burners >= 0")
    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)
    burners = start_burners(args.burners)
    passed, started = 0, time.monotonic()
    try:
        for n in range(1, args.times + 1):
            log = logs / f"attempt-{n:02d}.log"
            code, seconds = attempt(command, log)
            passed += code == 0
            print(f"attempt {n}/{args.times}: exit {code} in {seconds:.0f} s ({log})", flush=True)
            if code == 0:
                log.unlink()
            elif not args.keep_going:
                break
    finally:
        stop_burners(burners)
    print(f"{passed} of {n} runs passed with {args.burners} burners ({time.monotonic() - started:.0f} s)")
    return 0 if passed == args.times else 1


if __name__ == "__main__":
    sys.exit(main())
