"""Interpreters from a Debian root file system: the PyPy and CPython releases the host's Debian does not ship.

    nox -s interpreters -- pypy3.11 pypy3.11-sid 3.14 --method debian

A suite that ships the interpreter (trixie: PyPy 7.3 for Python 3.11, CPython 3.13; sid: PyPy 8 for Python
3.11, CPython 3.14) is installed
with debootstrap under <pythons-dir>/.rootfs/<suite>/ (cached, reused; the machine's own apt sources are never
read or changed) and run through bubblewrap: the suite's /usr, /etc and /var are the sandbox's, while the
host's data directories (the project, the work dir, /tmp, home, /opt) are bound at the same paths, so a path
means the same inside and out. /proc, /dev, the network and the CPU affinity are the host's, so pinning and
pressure readings work as for any other column.

The interpreter is provisioned as <pythons-dir>/<name>-<suite>/bin/<exe> (pypy3.11-trixie, cpython3.14-sid:
the suite is part of the column's name, as two suites ship different builds of one language level), a launcher
script that runs the suite's interpreter in the sandbox; a virtual environment made from it gets the same kind
of launcher as its bin/python, so its pip, the builds (with the suite's compiler, recorded) and the workers
all run inside.
"""

from __future__ import annotations

import datetime
import json
import os
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

METHOD = "debian-rootfs"
LAUNCHER_MARK = "# pyshootout launcher: runs its target inside a Debian root file system (bubblewrap)"
INNER_PYTHON = ".python-in-rootfs"  # a venv's own interpreter link, run inside the sandbox by bin/python
DEFAULT_MIRROR = "http://deb.debian.org/debian"
BUILD_PACKAGES = ("build-essential", "libffi-dev", "ca-certificates")
# What each suite ships (checked again by probing the interpreter once the suite is installed); for a language
# level two suites ship, the first listed is the default (trixie's PyPy 7.3 has numpy wheels, sid's PyPy 8
# not).
SUITES = {
    "trixie": {("pypy", "3.11"): "pypy3", ("cpython", "3.13"): "python3.13"},
    "sid": {("pypy", "3.11"): "pypy3", ("cpython", "3.14"): "python3.14"},
}
# Host paths bound into the sandbox at the same place: data (read-write) and the machine's network and
# package-index configuration (read-only: trust store, resolver, pip's mirrors).
HOST_DATA_DIRS = ("/work", "/tmp", "/var/tmp", "/root", "/home", "/srv", "/mnt", "/media", "/opt")
HOST_CONFIG = ("/etc/resolv.conf", "/etc/hosts", "/etc/ssl/certs", "/etc/pip.conf", "/etc/xdg/pip")
APT_HINT = "apt-get install debootstrap bubblewrap"


class RootfsError(RuntimeError):
    """A suite could not be installed or its interpreter does not run; the message says which and why."""


@dataclass(frozen=True)
class Request:
    """An interpreter asked for by name: "pypy3.11" is Request("pypy", "3.11") (the default suite),
    "pypy3.11-sid" Request("pypy", "3.11", "sid"), "3.14" Request("cpython", "3.14")."""

    implementation: str
    minor: str
    chosen_suite: str | None = None

    @property
    def name(self) -> str:
        return f"{self.implementation}{self.minor}-{self.suite}"

    @property
    def suite(self) -> str | None:
        if self.chosen_suite is not None:
            offered = (self.implementation, self.minor) in SUITES.get(self.chosen_suite, {})
            return self.chosen_suite if offered else None
        return next((s for s, offers in SUITES.items() if (self.implementation, self.minor) in offers), None)

    @property
    def package(self) -> str:
        return SUITES[self.suite][(self.implementation, self.minor)] if self.suite else ""

    @property
    def uv_label(self) -> str:
        """What `uv python install` is asked for: "pypy@3.11", "graalpy" (any), "graalpy@3.12"."""
        return f"{self.implementation}@{self.minor}" if self.minor else self.implementation

    @property
    def executable(self) -> str:
        return "pypy3" if self.implementation == "pypy" else f"python{self.minor}"


def suite_of_column(name: str) -> str | None:
    """The suite a column's name says it came from ("pypy3.11-sid" -> "sid"), else None."""
    base, _, suite = name.rpartition("-")
    return suite if suite in SUITES and base.startswith(("pypy3.", "cpython3.")) else None


def offers() -> list[str]:
    """What this method can provide, by name."""
    return [f"{impl}{minor} ({suite})" for suite, found in SUITES.items() for impl, minor in found]


def missing_tools() -> str | None:
    """One line naming what is missing to make and run a root file system, or None."""
    absent = [tool for tool in ("debootstrap", "bwrap") if shutil.which(tool) is None]
    return f"{' and '.join(absent)} not installed: {APT_HINT}" if absent else None


def suite_packages(suite: str) -> list[str]:
    """Every interpreter the suite offers (with its -dev and -venv) and a compiler: one install serves all."""
    found = []
    for package in sorted(set(SUITES[suite].values())):
        found += [package, f"{package}-dev", f"{package}-venv"]
    return found + list(BUILD_PACKAGES)


def sandbox_command(root: Path, target: str, extra_dirs: tuple[str, ...] = ()) -> list[str]:
    """bwrap's command line that runs `target` (a path inside the root) with the host's data dirs bound."""
    cmd = ["bwrap", "--die-with-parent", "--bind", str(root), "/", "--proc", "/proc", "--dev", "/dev"]
    for path in HOST_CONFIG:
        cmd += ["--ro-bind-try", path, path]
    for path in (*HOST_DATA_DIRS, *extra_dirs):
        cmd += ["--bind-try", path, path]
    return [*cmd, target]


def write_launcher(path: Path, root: Path, target: str, extra_dirs: tuple[str, ...] = ()) -> None:
    """An executable script at `path` that runs `target` in the sandbox with the arguments it is given."""
    command = " ".join(shlex.quote(part) for part in sandbox_command(root, target, extra_dirs))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\n{LAUNCHER_MARK}\nexec {command} "$@"\n')
    path.chmod(0o755)


def _launcher_words(executable: str | Path) -> list[str] | None:
    """The bwrap command line of a launcher script, or None when `executable` is not such a launcher."""
    try:
        with open(executable, encoding="utf-8", errors="replace") as handle:
            head = handle.read(4096)
    except OSError:
        return None
    if LAUNCHER_MARK not in head:
        return None
    return shlex.split(head.split("exec ", 1)[1].splitlines()[0])


def inside(executable: str | Path, prefix: list[str], read_only: tuple[str, ...]) -> list[str] | None:
    """The launcher's sandbox command with `prefix` run inside it before its target (the target's arguments
    follow) and the host paths `read_only` bound read-only at the same place; None when `executable` is not
    a launcher. What runs a worker under a host tool (valgrind) in a root file system."""
    words = _launcher_words(executable)
    if words is None:
        return None
    *sandbox, target, _arguments = words  # the launcher ends with its target and "$@"
    binds = [word for path in read_only for word in ("--ro-bind", path, path)]
    return [*sandbox, *binds, *prefix, target]


def launcher_root(executable: str | Path) -> Path | None:
    """The root file system a launcher script runs in, or None when `executable` is not such a launcher."""
    words = _launcher_words(executable)
    return None if words is None else Path(words[words.index("--bind") + 1])


# ---------------------------------------------------------------------------------------- making a suite


def ensure_suite(suite: str, rootfs_dir: Path, mirror: str, log: Path, say) -> Path:
    """The suite's root file system under rootfs_dir, made with debootstrap unless one with its packages
    exists."""
    root = rootfs_dir / suite
    wanted = suite_packages(suite)
    marker = root / ".pyshootout-suite.json"
    if marker.exists() and set(wanted) <= set(json.loads(marker.read_text()).get("packages", [])):
        return root
    problem = missing_tools()
    if problem:
        raise RootfsError(problem)
    stage = rootfs_dir / f".{suite}.partial"
    shutil.rmtree(stage, ignore_errors=True)
    rootfs_dir.mkdir(parents=True, exist_ok=True)
    say(f"installing Debian {suite} ({', '.join(wanted)}) under {root} with debootstrap: about a minute")
    cmd = ["debootstrap", "--variant=minbase", f"--include={','.join(wanted)}", suite, str(stage), mirror]
    returncode = _logged(cmd, log)
    if returncode != 0:
        shutil.rmtree(stage, ignore_errors=True)
        raise RootfsError(f"debootstrap of {suite} failed (exit {returncode}); see {log}")
    (stage / marker.name).write_text(
        json.dumps({"suite": suite, "mirror": mirror, "packages": wanted}) + "\n")
    shutil.rmtree(root, ignore_errors=True)
    os.replace(stage, root)
    return root


def _logged(cmd: list[str], log: Path) -> int:
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"$ {shlex.join(cmd)}\n")
        out.flush()
        return subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              check=False).returncode


def _inside(root: Path, *cmd: str) -> str:
    """stdout of a command run in the sandbox ("" when it fails: the record then says unknown)."""
    done = subprocess.run([*sandbox_command(root, cmd[0]), *cmd[1:]], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def toolchain(root: Path, packages: list[str]) -> dict:
    """The exact Debian package versions, the compiler and the C library a column's builds will use."""
    listed = _inside(root, "dpkg-query", "-W", "-f", "${Package}=${Version}\\n", *packages, "gcc", "libc6",
                     "libffi-dev")
    versions = dict(line.split("=", 1) for line in listed.splitlines() if "=" in line)
    return {"packages": versions, "compiler": _inside(root, "gcc", "--version").split("\n")[0] or "unknown",
            "glibc": versions.get("libc6", "unknown")}


# ------------------------------------------------------------------------------ provisioning one interpreter


_PROBE = "import json, platform, sys; print(json.dumps([sys.implementation.name, platform.python_version()]))"


def check_runs(launcher: Path, request: Request, suite: str) -> str:
    """The interpreter's version; RootfsError when it does not run or the suite now ships another release."""
    done = subprocess.run([str(launcher), "-c", _PROBE], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        raise RootfsError(f"{request.executable} from {suite} does not run in the sandbox: "
                          f"{(done.stderr.strip().splitlines() or ['no output'])[-1]}")
    implementation, version = json.loads(done.stdout)
    if implementation != request.implementation or not version.startswith(request.minor + "."):
        raise RootfsError(f"{suite}'s {request.package} is now {implementation} {version}, not "
                          f"{request.implementation} {request.minor}")
    return version


def install(request: Request, pythons_dir: Path, mirror: str, log: Path, say, extra_dirs: tuple[str, ...],
            schema_version: int, attempts: list) -> Path:
    """Make <pythons_dir>/<name>/ hold a launcher for the request's interpreter and its provision.json."""
    suite = request.suite
    if suite is None:
        asked = f"{request.implementation}{request.minor}" + (f" in {request.chosen_suite}"
                                                               if request.chosen_suite else "")
        raise RootfsError(f"no Debian suite known here ships {asked} (offered: {', '.join(offers())})")
    started = time.perf_counter()
    root = ensure_suite(suite, pythons_dir / ".rootfs", mirror, log, say)
    stage = pythons_dir / f".{request.name}.partial"
    shutil.rmtree(stage, ignore_errors=True)
    launcher = stage / "bin" / request.executable
    write_launcher(launcher, root, f"/usr/bin/{request.executable}", extra_dirs)
    try:
        version = check_runs(launcher, request, suite)
    except RootfsError:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    packages = [request.package, f"{request.package}-dev", f"{request.package}-venv"]
    record = {"schema_version": schema_version, "name": request.name, "method": METHOD, "suite": suite,
              "root": str(root), "mirror": mirror, "executable": f"bin/{request.executable}",
              "implementation": request.implementation, "version": version, "free_threaded": False,
              "optimized": True, **toolchain(root, packages),
              "made_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "seconds": {"total": round(time.perf_counter() - started, 1)}, "attempts": attempts}
    (stage / "provision.json").write_text(json.dumps(record, indent=2) + "\n")
    target = pythons_dir / request.name
    shutil.rmtree(target, ignore_errors=True)
    os.replace(stage, target)
    return target


# -------------------------------------------------------------------------------- environments inside it


def make_venv(interpreter: str, path: Path, run) -> Path:
    """A venv made inside the sandbox; its bin/python becomes a launcher of the venv's own interpreter link.

    `run(cmd)` runs a command and raises on failure (the caller's logging). Returns bin/python."""
    root = launcher_root(interpreter)
    assert root is not None, interpreter
    extra = _extra_dirs(interpreter)
    run([interpreter, "-m", "venv", str(path)])
    python = path / "bin" / "python"
    inner = path / "bin" / INNER_PYTHON
    os.replace(python, inner)  # a link to the suite's interpreter: it means that only inside the sandbox
    write_launcher(python, root, str(inner), extra)
    return python


def _extra_dirs(launcher: str | Path) -> tuple[str, ...]:
    """The launcher's --bind-try directories beyond HOST_DATA_DIRS (the project and pythons dir, if
    elsewhere)."""
    words = _launcher_words(launcher) or []
    binds = [words[i + 1] for i, word in enumerate(words) if word == "--bind-try"]
    return tuple(b for b in binds if b not in HOST_DATA_DIRS)
