"""Instructions per call: a cell's worker run under Callgrind, its timed calls framed by client requests.

    setarch <machine> -R valgrind --tool=callgrind -q --instr-atstart=no --smc-check=all-non-file \
        --callgrind-out-file=DIR/callgrind.out.%p  <the harness command> --count-instructions LIB ...

Instrumentation is off until the first counted call (imports, set-up and a JIT's warm-up calls run at
near-native speed under valgrind and are not counted); the harness then zeroes the counters before each call
and dumps them after it (workloads/harness.py CallgrindRequests), one dump file per call, whose trigger line
names the call. Counts depend on nothing a neighbour does; they do depend on the hash seed (fixed by the
worker's environment), on address-space layout (off: setarch -R), on spin-waiting threads (OpenMP told to
sleep: OMP_WAIT_POLICY=passive) and on valgrind's version and options (in the archive's metadata).

A counting process runs 20-100x slower than a timed one: its seconds are valgrind's, never a measurement of
the variant. Its record goes to counts/*.json, never to records/, so no wall-clock statistic can read it.
"""

from __future__ import annotations

import hashlib
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import rootfs
from .locking import exclusive

INSTRUMENT = "instructions"
SOURCE = Path(__file__).with_name("callgrind_requests.c")
OPTIONS = ("--tool=callgrind", "-q", "--instr-atstart=no", "--smc-check=all-non-file")
# OpenMP threads sleep at a barrier instead of spinning: how long a spin loop spins is timing, not work
ENVIRONMENT = {"OMP_WAIT_POLICY": "passive"}
DUMP_PREFIX = "pyshootout call "  # the harness's dump trigger: CallgrindRequests.DUMP_PREFIX
INSTALL_HINT = "apt-get install valgrind"


class CountingUnavailable(Exception):
    """Instructions cannot be counted on this machine; the message is the one line the user sees."""


@dataclass(frozen=True)
class Counter:
    """What counts a cell's instructions: valgrind, its options, and the client-request library."""

    valgrind: str
    version: str
    library: Path

    def command(self, harness: list[str], out_dir: Path) -> list[str]:
        """The harness command run under Callgrind without address-space randomisation; for an interpreter
        in a root file system, the host's valgrind runs inside its sandbox (valgrind would otherwise follow
        the launcher script, and the interpreter it execs would run uncounted)."""
        prefix = ["setarch", platform.machine(), "-R", self.valgrind, *OPTIONS,
                  f"--callgrind-out-file={out_dir}/callgrind.out.%p"]
        sandboxed = rootfs.inside(harness[0], [*prefix[:3], self.binary, *prefix[4:]], self.host_paths)
        return [*prefix, *harness] if sandboxed is None else [*sandboxed, *harness[1:]]

    @property
    def binary(self) -> str:
        """The valgrind program itself: Debian's `valgrind` is a shell script around `valgrind.bin`."""
        real = Path(self.valgrind).with_name("valgrind.bin")
        return str(real) if real.exists() else self.valgrind

    @property
    def host_paths(self) -> tuple[str, ...]:
        """What valgrind needs from the host inside a sandbox: its program and its tools' directory."""
        tools = [d for d in ("/usr/libexec/valgrind", "/usr/lib/valgrind", "/usr/lib64/valgrind")
                 if Path(d).is_dir()]
        return (self.binary, *tools[:1])

    def to_json(self) -> dict:
        """For metadata.json: enough to know whether two archives' counts are comparable."""
        return {"tool": "callgrind", "valgrind": self.valgrind, "version": self.version,
                "options": [*OPTIONS, "--callgrind-out-file=<dir>/callgrind.out.%p"],
                "address_space_randomisation": "off (setarch -R)", "environment": ENVIRONMENT,
                "counted": "every call past the uncounted warm-up, from just before it to just after it; "
                           "parallel cells: the instructions of all threads (total work, not parallel time)"}


def find_counter(work_dir: Path) -> Counter:
    """valgrind, its version and the client-request library compiled for it (cached in the work dir)."""
    valgrind, setarch = shutil.which("valgrind"), shutil.which("setarch")
    if valgrind is None or setarch is None:
        missing = "valgrind" if valgrind is None else "setarch"
        raise CountingUnavailable(f"{missing} not found: instructions are not counted "
                                  f"(install: {INSTALL_HINT})")
    version = subprocess.run([valgrind, "--version"], capture_output=True, text=True, check=False)
    return Counter(valgrind, version.stdout.strip(), client_library(work_dir / "callgrind"))


def client_library(directory: Path) -> Path:
    """The client-request library, compiled once per source and compiler: a shared object built against the
    host's C library also loads in an interpreter with a newer one (a root file system's)."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        raise CountingUnavailable(f"no C compiler to build the callgrind client library "
                                  f"(install: build-essential {INSTALL_HINT.split()[-1]})")
    digest = hashlib.sha256(SOURCE.read_bytes() + compiler.encode()).hexdigest()[:16]
    target = directory / f"callgrind_requests-{digest}.so"
    directory.mkdir(parents=True, exist_ok=True)
    with exclusive(directory / ".build.lock", "callgrind client library"):
        if target.exists():
            return target
        temp = target.with_suffix(".tmp.so")
        done = subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-o", str(temp), str(SOURCE)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            first = (done.stderr.strip().splitlines() or ["?"])[0]
            raise CountingUnavailable(f"the callgrind client library does not compile ({first}): "
                                      f"instructions are not counted (install: {INSTALL_HINT})")
        temp.replace(target)
    return target


# ---------------------------------------------------------------- reading the dumps


@dataclass(frozen=True)
class Dump:
    """One Callgrind dump file: what triggered it and the instructions (Ir) it holds."""

    trigger: str
    instructions: int

    @property
    def call_index(self) -> int | None:
        """The harness call it counts (0-based), or None for any other dump (program termination)."""
        match = re.fullmatch(re.escape(DUMP_PREFIX) + r"(\d+)", self.trigger)
        return int(match.group(1)) if match else None


class DumpError(ValueError):
    """A dump file that does not say what it counted."""


def parse_dump(text: str) -> Dump:
    """The trigger and the Ir total of a callgrind.out file (format: valgrind's docs, "Callgrind Format")."""
    trigger, events, totals = None, None, None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key == "desc" and value.strip().startswith("Trigger:"):
            trigger = value.strip().removeprefix("Trigger:").strip().removeprefix("Client Request:").strip()
        elif key == "events":
            events = value.split()
        elif key in ("totals", "summary") and (totals is None or key == "totals"):
            totals = value.split()
    if trigger is None or events is None or totals is None or "Ir" not in events:
        raise DumpError("not a callgrind dump with a trigger, events and totals")
    position = events.index("Ir")
    try:
        return Dump(trigger, int(totals[position]) if position < len(totals) else 0)
    except ValueError:
        raise DumpError(f"totals {' '.join(totals)[:60]!r} are not counts") from None


def instructions_per_call(out_dir: Path, calls: int) -> list[int | None]:
    """One entry per timed call: its instructions from its dump, None for a call not counted (warm-up)."""
    counts: list[int | None] = [None] * calls
    for path in sorted(out_dir.glob("callgrind.out.*")):
        dump = parse_dump(path.read_text(errors="replace"))
        index = dump.call_index
        if index is not None and 0 <= index < calls:
            counts[index] = dump.instructions
    return counts
