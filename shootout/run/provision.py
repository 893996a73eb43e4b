"""Provision CPython interpreters (normal and free-threaded) that the comparison can then target by name.

    python -m shootout.run.provision 3.13 3.13t [--fast] [--method auto|uv|source] [--pythons-dir DIR]
        [--list]

Each build is a normal install prefix in <pythons-dir>/<name>/ (default .nox/shootout/pythons/) with its
provenance beside it (provision.json, build.log). The directory name says what was built:

    cpython3.13, cpython3.13t             optimized (PGO + LTO): a source build with --enable-optimizations
                                          --with-lto, or uv's python-build-standalone (built that way too)
    cpython3.13-fast, cpython3.13t-fast   source builds without PGO/LTO (CPython's plain -O3; minutes, not
                                          an hour), for tests: never the timing build when the other exists

`--method` says where a build comes from: `uv` (`uv python install`, what the ecosystem uses where downloads
work), `source` (Debian's python3.X source package: upstream's release tarball, checked against the .dsc and
the release manager's signature, plus Debian's CVE patches, built here), or `auto` (uv, then source when uv
cannot download; the default). `--fast` always means a source build: uv's builds are optimized ones.

A name already holding a build of the same request is kept ("nothing to do"). Builds happen in a staging dir
and are renamed into place under a file lock: a name never points at a half-installed interpreter.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import fcntl
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..results.archive import swap_into_place
from . import rootfs
from .logged import run_logged
from .usage import EXIT_USAGE, OneLineParser, UsageError
from .uvbin import find_uv

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PYTHONS_DIR = ROOT / ".nox" / "shootout" / "pythons"
PROVENANCE = "provision.json"
SCHEMA_VERSION = 1
METHODS = ("auto", "uv", "source", "debian")
OPTIMIZED_FLAGS = ("--enable-optimizations", "--with-lto")
DEBIAN_SUITE = "trixie"  # its python3.13 source is upstream's 3.13 tarball plus Debian's security patches
# Where the source build looks for python3.X source packages, the stable suite first: sid has 3.14 (whose
# free-threaded flavour Debian ships no binary of).
SOURCE_SUITES = (DEBIAN_SUITE, "sid")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
APT_HELPER = "/usr/lib/apt/apt-helper"
LISTS_MAX_AGE = 6 * 3600  # seconds before the private source index is refreshed
# What CPython's optional modules need on Debian/Ubuntu (_ssl, _sqlite3, _ctypes, _lzma, _bz2, zlib, readline,
# _curses, _tkinter, _uuid, _gdbm/_dbm). libmpdec is left to CPython's bundled copy.
BUILD_DEPS = (
    "build-essential", "pkg-config", "libssl-dev", "zlib1g-dev", "libbz2-dev", "libreadline-dev",
    "libsqlite3-dev", "libffi-dev", "liblzma-dev", "libncurses-dev", "tk-dev", "uuid-dev", "libgdbm-dev",
    "libgdbm-compat-dev",
)
# Imported by the smoke check of every build: the orchestrator needs ssl (pip), ctypes (cffi), venv.
CHECK_MODULES = (
    "ssl", "sqlite3", "ctypes", "lzma", "bz2", "zlib", "readline", "_decimal", "venv", "ensurepip"
)
UV_TIMEOUT = 1800
EXIT_OK, EXIT_FAILED = 0, 1

Say = Callable[[str], None]
# A way to get an interpreter: (final dir, staging dir, log, say) -> (installed prefix inside staging,
# record).
Step = Callable[[Path, Path, Path, Say], "tuple[Path, dict]"]


def _say(message: str) -> None:
    print(f"provision: {message}", flush=True)


class ProvisionError(RuntimeError):
    """A provisioning that failed; the log it points to is kept: exit 1."""

    def __init__(self, message: str, log: Path | None = None):
        super().__init__(message)
        self.log = log


# ----------------------------------------------------------------------------------------------- names


_SPEC = re.compile(r"^(?:c?python-?)?(3)\.(\d+)(?:\.(\d+))?(t)?$")


@dataclass(frozen=True)
class Spec:
    """What was asked for: "3.13t" is Spec("3.13", free_threaded=True); "3.13.5" pins the patch release."""

    version: str
    free_threaded: bool = False

    @property
    def minor(self) -> str:
        return ".".join(self.version.split(".")[:2])

    @property
    def label(self) -> str:
        return self.version + ("t" if self.free_threaded else "")

    def dir_name(self, optimized: bool) -> str:
        return f"cpython{self.minor}{'t' if self.free_threaded else ''}{'' if optimized else '-fast'}"

    def accepts(self, version: str) -> bool:
        """Does a concrete release ("3.13.5") satisfy this request ("3.13" or "3.13.5")?"""
        return version == self.version or version.startswith(self.version + ".")


def parse_spec(text: str) -> Spec:
    """"3.13", "3.13t", "3.13.5t", "cpython3.13t", "python3.13t" -> Spec; anything else is a UsageError."""
    match = _SPEC.match(text.strip().lower())
    if not match:
        raise UsageError(f"{text!r} is not a CPython version (examples: 3.13, 3.13t, 3.13.5, cpython3.13t)")
    major, minor, patch, threaded = match.groups()
    if threaded and int(minor) < 13:
        raise UsageError(f"{text!r}: free-threaded CPython exists from 3.13 on")
    return Spec(f"{major}.{minor}" + (f".{patch}" if patch else ""), bool(threaded))


# ------------------------------------------------------------------------------------ what is provisioned


@dataclass
class Provisioned:
    """One interpreter under the pythons dir, as its provision.json describes it."""

    name: str
    path: Path
    record: dict

    @property
    def executable(self) -> Path:
        return self.path / self.record["executable"]

    @property
    def version(self) -> str:
        return str(self.record.get("version", ""))

    @property
    def free_threaded(self) -> bool:
        return bool(self.record.get("free_threaded"))

    @property
    def optimized(self) -> bool:
        return bool(self.record.get("optimized"))

    @property
    def method(self) -> str:
        return str(self.record.get("method", ""))

    def summary(self) -> str:
        if self.method == rootfs.METHOD:
            name = "PyPy" if self.record.get("implementation") == "pypy" else "CPython"
            return (f"{name} {self.version}, Debian {self.record.get('suite')}'s build, "
                    "in its root file system")
        profile = "optimized" if self.optimized else "fast, no PGO/LTO"
        return (f"CPython {self.version}{' free-threaded' if self.free_threaded else ''}, {profile}, "
                f"via {self.method}")

    @classmethod
    def load(cls, path: Path) -> Provisioned | None:
        """None unless path holds a complete build (provision.json is written last, before the rename)."""
        try:
            record = json.loads((path / PROVENANCE).read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or not isinstance(record.get("executable"), str):
            return None
        return cls(path.name, path, record)


def available(pythons_dir: Path = DEFAULT_PYTHONS_DIR) -> list[Provisioned]:
    """Every complete build; staging and helper dirs start with "." and never count."""
    pythons_dir = Path(pythons_dir)
    if not pythons_dir.is_dir():
        return []
    builds = [Provisioned.load(p) for p in sorted(pythons_dir.iterdir()) if p.is_dir() and p.name[0] != "."]
    return [b for b in builds if b is not None and b.executable.exists()]


def find(name: str, pythons_dir: Path = DEFAULT_PYTHONS_DIR) -> Provisioned | None:
    """A build by directory name ("cpython3.13t-fast") or by version ("3.13t", "cpython3.13t", "python3.13t").

    By version, the optimized build wins over the -fast one: timings should come from the former.
    """
    builds = available(pythons_dir)
    for build in builds:
        # 3.14-sid, python3.14-sid
        if build.name in (name, f"cpython{name}", name.replace("python", "cpython", 1)):
            return build
    pypy = re.fullmatch(r"pypy(3\.\d+)", name.strip().lower())
    if pypy:  # the default suite's first (rootfs.SUITES' order)
        found = [b for b in builds
                 if b.record.get("implementation") == "pypy" and b.version.startswith(pypy[1] + ".")]
        found.sort(key=lambda b: list(rootfs.SUITES).index(b.record["suite"]) if b.record.get("suite") in
                   rootfs.SUITES else len(rootfs.SUITES))
        return found[0] if found else None
    try:
        spec = parse_spec(name)
    except UsageError:
        return None
    matching = [b for b in builds if b.free_threaded == spec.free_threaded and spec.accepts(b.version)]
    matching.sort(key=lambda b: (not b.optimized, b.name))
    return matching[0] if matching else None


def owning(executable: str | Path) -> Provisioned | None:
    """The build an interpreter path belongs to (a resumed run names its interpreters by path), else None."""
    path = Path(executable).absolute()
    for parent in path.parents[:3]:
        build = Provisioned.load(parent)
        if build is not None and build.executable.exists() and build.executable.samefile(path):
            return build
    return None


def _cached(spec: Spec, target: Path, optimized: bool, method: str) -> Provisioned | None:
    """The build already at target when it answers the same request (method "auto" accepts uv or source)."""
    build = Provisioned.load(target)
    if build is None or not build.executable.exists():
        return None
    same = (
        build.record.get("schema_version") == SCHEMA_VERSION
        and build.free_threaded == spec.free_threaded
        and build.optimized == optimized
        and spec.accepts(build.version)
        and method in ("auto", build.method)
    )
    return build if same else None


# ------------------------------------------------------------------------------------- the private apt


@dataclass(frozen=True)
class AptConfig:
    """apt with its own sources, lists and cache (all under root), passed as `apt-get -c <root>/apt.conf`.

    Fetching trixie's source this way leaves the machine's apt state alone: no new source, no changed lists,
    no update hooks run (those are cleared here, which only a config file can do, hence -c rather than -o).
    """

    root: Path
    mirror: str = DEFAULT_MIRROR
    suite: str = DEBIAN_SUITE

    @property
    def conf(self) -> Path:
        return self.root / "apt.conf"

    def sources_text(self) -> str:
        return "".join(f"deb-src [signed-by={DEBIAN_KEYRING}] {self.mirror} {suite} main\n"
                       for suite in SOURCE_SUITES)

    def conf_text(self) -> str:
        root = self.root
        return "\n".join([
            f'Dir::Etc::sourcelist "{root / "sources.list"}";',
            f'Dir::Etc::sourceparts "{root / "sources.list.d"}";',
            f'Dir::Etc::preferences "{root / "preferences"}";',
            f'Dir::Etc::preferencesparts "{root / "preferences.d"}";',
            f'Dir::State::Lists "{root / "lists"}";',
            f'Dir::Cache "{root / "cache"}";',
            "#clear APT::Update::Pre-Invoke;",
            "#clear APT::Update::Post-Invoke;",
            "#clear APT::Update::Post-Invoke-Success;",
            "",
        ])

    def write(self) -> None:
        sources = self.root / "sources.list"
        if sources.exists() and sources.read_text() != self.sources_text():
            shutil.rmtree(self.root / "lists", ignore_errors=True)  # other suites: the cached index is stale
        for sub in ("sources.list.d", "preferences.d", "lists/partial", "cache/archives/partial"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        sources.write_text(self.sources_text())
        self.conf.write_text(self.conf_text())

    def cmd(self, tool: str, *args: str) -> list[str]:
        return [tool, "-c", str(self.conf), *args]


_ONE_LINE = re.compile(r"^\s*deb(?:-src)?\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)", re.MULTILINE)
_DEBIAN_SUITES = {
    "bullseye", "bookworm", "trixie", "forky", "sid", "oldstable", "stable", "testing", "unstable"
}


def mirror_from_sources(texts: list[str]) -> str | None:
    """The first Debian (non-security) mirror in sources.list / *.list / deb822 *.sources texts."""
    for text in texts:
        pairs = _ONE_LINE.findall(text)
        for stanza in re.split(r"\n\s*\n", text):
            fields = dict(re.findall(r"^([\w-]+):\s*(.*)$", stanza, re.MULTILINE))
            if fields.get("Enabled", "yes").lower() != "no":
                pairs += [(uri, suite) for uri in fields.get("URIs", "").split()
                          for suite in fields.get("Suites", "").split()]
        for uri, suite in pairs:
            if suite.split("-")[0] in _DEBIAN_SUITES and not suite.endswith("-security"):
                return uri.rstrip("/")
    return None


def machine_mirror(etc: Path = Path("/etc/apt")) -> str:
    """The mirror this machine already uses for Debian (read, never written), else deb.debian.org."""
    paths = [etc / "sources.list", *sorted((etc / "sources.list.d").glob("*"))]
    texts = [p.read_text(errors="replace") for p in paths
             if p.suffix in (".list", ".sources") and p.is_file()]
    return mirror_from_sources(texts) or DEFAULT_MIRROR


def _apt(pythons_dir: Path) -> AptConfig:
    apt = AptConfig(pythons_dir / ".apt", machine_mirror())
    apt.write()
    return apt


def update_lists(apt: AptConfig, log: Path) -> None:
    """Refresh the private source index unless it is recent (it is ~10 MB; every build reads it)."""
    lists = list((apt.root / "lists").glob("*Sources*"))
    if lists and min(time.time() - p.stat().st_mtime for p in lists) < LISTS_MAX_AGE:
        return
    _run(apt.cmd("apt-get", "update"), log, what=f"apt-get update (private lists for Debian {apt.suite})")


def parse_sources_index(text: str) -> dict[str, str]:
    """{"python3.13": "3.13.5-2+deb13u5"} from a Debian Sources index: the CPython source packages."""
    found: dict[str, str] = {}
    for stanza in text.split("\n\n"):
        package = re.search(r"^Package: (python3\.\d+)$", stanza, re.MULTILINE)
        version = re.search(r"^Version: (\S+)$", stanza, re.MULTILINE)
        if package and version:
            found.setdefault(package.group(1), version.group(1))
    return found


def debian_sources(pythons_dir: Path, log: Path) -> dict[str, list[tuple[str, str]]]:
    """{"python3.14": [("3.14.9-1", "trixie"), ("3.14.10-1", "sid")]}: the python3.X source packages of the
    SOURCE_SUITES in their order, read with apt's own decompressor (lists may be lz4/gz)."""
    apt = _apt(pythons_dir)
    update_lists(apt, log)
    targets = subprocess.run(
        apt.cmd("apt-get", "indextargets", "--format", "$(FILENAME)", "Identifier: Sources"),
        capture_output=True, text=True, check=False,
    ).stdout.split()
    found: dict[str, list[tuple[str, str]]] = {}
    for index in sorted(targets, key=_suite_rank):
        text = subprocess.run(
            [APT_HELPER, "cat-file", index], capture_output=True, text=True, check=False).stdout
        suite = SOURCE_SUITES[_suite_rank(index)] if _suite_rank(index) < len(SOURCE_SUITES) else "?"
        for package, version in parse_sources_index(text).items():
            found.setdefault(package, []).append((version, suite))
    return found


def debian_offers(pythons_dir: Path, log: Path) -> dict[str, str]:
    """{"python3.13": "3.13.5-2+deb13u5", ...}: each package's version in the first suite that has it."""
    return {package: found[0][0] for package, found in debian_sources(pythons_dir, log).items()}


def fetch_first(pythons_dir: Path, package: str, candidates: list[tuple[str, str]], log: Path,
                accepts: Callable[[str], bool]) -> tuple[SourceFiles, str, str]:
    """The first (version, suite) whose files the mirror still has (an index can list a version its pool has
    dropped); ProvisionError naming them all when none can be fetched."""
    tried = []
    for version, suite in candidates:
        if not accepts(_upstream_version(version)):
            continue
        try:
            return fetch_source(pythons_dir, package, version, log), version, suite
        except ProvisionError:
            tried.append(f"{version} ({suite})")
    raise ProvisionError(f"no {package} source could be fetched from Debian {'/'.join(SOURCE_SUITES)}"
                     + (f" (tried {', '.join(tried)})" if tried else ""), log)


def _suite_rank(index_file: str) -> int:
    """The place in SOURCE_SUITES of the suite an index file belongs to
    (..._dists_sid_main_source_Sources)."""
    return next((i for i, suite in enumerate(SOURCE_SUITES) if f"_dists_{suite}_" in index_file),
                len(SOURCE_SUITES))


def _upstream_version(debian_version: str) -> str:
    """"3.13.5-2+deb13u5" -> "3.13.5" (no epoch, no Debian revision)."""
    return debian_version.split(":")[-1].rsplit("-", 1)[0]


# ------------------------------------------------------------------------------------- what is offered


def uv_offers() -> list[str]:
    """Final CPython releases uv can download here ("3.13.9", "3.13.9t"); the list ships inside uv (no
    network)."""
    uv = find_uv()
    if not uv:
        return []
    out = subprocess.run(
        [uv, "python", "list", "--all-versions", "--only-downloads", "--output-format", "json"],
        capture_output=True, text=True, check=False, timeout=120,
    )
    try:
        entries = json.loads(out.stdout) if out.returncode == 0 else []
    except ValueError:
        return []
    return sorted({
        e["version"] + ("t" if e.get("variant") == "freethreaded" else "")
        for e in entries
        if e.get("implementation") == "cpython" and e.get("variant") in ("default", "freethreaded")
        and re.fullmatch(r"\d+\.\d+\.\d+", e.get("version", ""))
    })


def debian_labels(offers: dict[str, str]) -> list[str]:
    """Releases a source build can make from Debian's packages: each version, and its "t" build from 3.13
    on."""
    labels = []
    for package, version in offers.items():
        release = _upstream_version(version)
        labels.append(release)
        if int(package.split(".")[1]) >= 13:
            labels.append(release + "t")
    return labels


def best_release(spec: Spec, labels: list[str]) -> str | None:
    """The newest offered release ("3.13.9") that satisfies spec, or None."""
    versions = [lab.removesuffix("t") for lab in labels
                if lab.endswith("t") == spec.free_threaded and spec.accepts(lab.rstrip("t"))]
    return max(versions, key=lambda v: tuple(int(x) for x in v.split(".")), default=None)


def _minors(labels: list[str]) -> str:
    minors = {".".join(lab.rstrip("t").split(".")[:2]) + ("t" if lab.endswith("t") else "") for lab in labels}
    ordered = sorted(minors, key=lambda m: (tuple(int(x) for x in m.rstrip("t").split(".")), m.endswith("t")))
    return ", ".join(ordered) or "nothing"


def check_offered(specs: list[Spec], method: str, optimized: bool, pythons_dir: Path) -> None:
    """A version nobody offers is a usage error, found before any build starts; it names what is offered."""
    from_uv = method == "uv" or (method == "auto" and optimized)
    uv_labels = uv_offers() if from_uv else []
    missing = [s for s in specs if not best_release(s, uv_labels)]
    if not missing or method == "uv":
        if missing:
            raise UsageError(f"unknown version {missing[0].label!r}: uv offers {_minors(uv_labels)}")
        return
    log = pythons_dir / ".logs" / "apt.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    deb_labels = debian_labels(debian_offers(pythons_dir, log))
    for spec in missing:
        if not best_release(spec, deb_labels):
            uv_part = f"uv offers {_minors(uv_labels)}; " if from_uv else ""
            raise UsageError(
                f"unknown version {spec.label!r}: {uv_part}Debian {'/'.join(SOURCE_SUITES)}'s "
                f"source packages offer "
                f"{_minors(deb_labels)} ({', '.join(sorted({lab.rstrip('t') for lab in deb_labels}))})"
            )


def check_method(method: str, optimized: bool) -> None:
    if method not in METHODS:
        raise UsageError(f"--method {method!r}: choose one of {', '.join(METHODS)}")
    if method == "uv" and not optimized:
        raise UsageError("--fast is a source-build profile; uv's builds are always optimized (drop --fast)")


# -------------------------------------------------------------------------------------- small helpers


def _run(cmd: list[str], log: Path, *, what: str, cwd: Path | None = None, env: dict | None = None,
         timeout: float | None = None) -> None:
    returncode = run_logged(cmd, log, mode="a", cwd=cwd, env=env, timeout=timeout)
    if returncode != 0:
        raise ProvisionError(
            f"{what} failed ({'timed out' if returncode is None else f'exit {returncode}'})", log)


@contextmanager
def _timed(seconds: dict, phase: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    seconds[phase] = round(time.perf_counter() - started, 1)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _build_env() -> dict:
    """The caller's env minus what would leak a Python env into the build (nox runs us inside a venv)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON") and k != "VIRTUAL_ENV"}


def _first_line(cmd: list[str]) -> str | None:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60)
    except OSError:
        return None
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr).strip() else None


@contextmanager
def _locked(pythons_dir: Path, say: Say) -> Iterator[None]:
    """One provisioning at a time per pythons dir: builds share the source cache and the private apt lists."""
    with (pythons_dir / ".lock").open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another provisioning run to finish (lock: {pythons_dir / '.lock'})")
            fcntl.flock(fh, fcntl.LOCK_EX)
        yield


# ------------------------------------------------------------------------------------ the source build


@dataclass(frozen=True)
class SourceFiles:
    """One Debian source package as downloaded: the .dsc and the sha256 it lists for each file."""

    dsc: Path
    sha256: dict

    def named(self, marker: str) -> Path:
        names = [n for n in self.sha256 if marker in n and not n.endswith(".asc")]
        if len(names) != 1:
            raise ProvisionError(f"{self.dsc.name}: expected one {marker} file, found {names}")
        return self.dsc.parent / names[0]

    @property
    def orig(self) -> Path:
        return self.named(".orig.tar.")

    @property
    def debian(self) -> Path:
        return self.named(".debian.tar.")

    @property
    def signature(self) -> Path | None:
        asc = self.orig.with_name(self.orig.name + ".asc")
        return asc if asc.name in self.sha256 else None


def parse_dsc(dsc: Path) -> SourceFiles:
    """The Checksums-Sha256 field of a .dsc: apt checked the .dsc against the signed index, it checks the
    rest."""
    block = re.search(r"^Checksums-Sha256:\n((?:[ \t].*\n?)+)", dsc.read_text(), re.MULTILINE)
    if not block:
        raise ProvisionError(f"{dsc}: no Checksums-Sha256 field")
    sums = {name: sha for sha, _size, name in
            (line.split() for line in block.group(1).splitlines() if line.strip())}
    return SourceFiles(dsc, sums)


def fetch_source(pythons_dir: Path, package: str, version: str, log: Path) -> SourceFiles:
    """apt-get source --download-only into a cache every build shares (3.13 and 3.13t use the same files)."""
    downloads = pythons_dir / ".sources"
    downloads.mkdir(parents=True, exist_ok=True)
    dsc = downloads / f"{package}_{version.split(':')[-1]}.dsc"
    if not (dsc.exists() and all((downloads / n).exists() for n in parse_dsc(dsc).sha256)):
        apt = _apt(pythons_dir)
        _run(apt.cmd("apt-get", "source", "--download-only", f"{package}={version}"), log, cwd=downloads,
             what=f"apt-get source {package}={version}")
    return parse_dsc(dsc)


def verify_checksums(files: SourceFiles) -> dict:
    """Every file's sha256 against the .dsc; a mismatch (a corrupted cache) fails the build."""
    for name, expected in files.sha256.items():
        actual = _sha256(files.dsc.parent / name)
        if actual != expected:
            raise ProvisionError(f"{name}: sha256 {actual} does not match the .dsc's {expected}")
    return {
        "dsc": files.dsc.name,
        "dsc_sha256": _sha256(files.dsc),
        "tarball": files.orig.name,
        "sha256": files.sha256[files.orig.name],
        "sha256_matches_dsc": True,
        "debian_tarball": files.debian.name,
        "debian_tarball_sha256": files.sha256[files.debian.name],
    }


def dearmor(armored: str) -> bytes:
    """An ASCII-armoured OpenPGP key block as the binary keyring gpgv reads (so gpg itself is not needed)."""
    body = armored.split("-----BEGIN PGP PUBLIC KEY BLOCK-----", 1)[1].split("-----END", 1)[0]
    data = [line.strip() for line in body.splitlines() if line.strip() and ":" not in line]
    return base64.b64decode("".join(line for line in data if not line.startswith("=")))


def verify_signature(files: SourceFiles, key: Path, work: Path, log: Path) -> str:
    """Upstream's tarball against the release manager's key Debian ships (debian/upstream/signing-key.asc)."""
    gpgv = shutil.which("gpgv")
    if files.signature is None or not key.exists() or gpgv is None:
        return "not checked (no signature, no key or no gpgv)"
    keyring = work / "upstream-keyring.gpg"
    keyring.write_bytes(dearmor(key.read_text()))
    cmd = [gpgv, "--keyring", str(keyring), str(files.signature), str(files.orig)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    with log.open("a") as fh:
        fh.write(f"$ {' '.join(cmd)}\n{out.stdout}{out.stderr}\n# exit code: {out.returncode}\n")
    if out.returncode != 0:
        raise ProvisionError(f"{files.orig.name}: upstream signature does not verify", log)
    signer = re.search(r'Good signature from "([^"]+)"', out.stderr)
    using = re.search(r"using \w+ key (\w+)", out.stderr)
    return (f"good signature from {signer.group(1) if signer else '?'} "
            f"(key {using.group(1) if using else '?'})")


def security_patches(series: str) -> list[str]:
    """Debian's CVE fixes from debian/patches/series, in series order (its Debian-layout patches are left
    out)."""
    names = [line.split("#")[0].strip() for line in series.splitlines()]
    return [name for name in names if name.startswith("CVE-")]


def prepare_tree(files: SourceFiles, stage: Path, log: Path) -> tuple[Path, dict, str]:
    """Unpack upstream's tarball, check its signature, apply the CVE patches: (tree, patch record,
    signature)."""
    tree, debian = stage / "src", stage / "debian-src"
    tree.mkdir()
    debian.mkdir()
    _run(["tar", "-xf", str(files.orig), "-C", str(tree), "--strip-components=1"], log, what="unpack tarball")
    _run(["tar", "-xf", str(files.debian), "-C", str(debian)], log, what="unpack debian tarball")
    signature = verify_signature(files, debian / "debian" / "upstream" / "signing-key.asc", stage, log)
    patches_dir = debian / "debian" / "patches"
    names = security_patches((patches_dir / "series").read_text())
    for name in names:
        _run(["patch", "-p1", "--forward", "--batch", "-i", str(patches_dir / name)], log, cwd=tree,
             what=f"patch {name}")
    record = {
        "from": f"debian/patches/series of {files.dsc.name}",
        "rule": "every series entry named CVE-*, in series order",
        "applied": names,
    }
    return tree, record, signature


def configure_flags(spec: Spec, optimized: bool, prefix: Path) -> list[str]:
    return [f"--prefix={prefix}", *(["--disable-gil"] if spec.free_threaded else []),
            *(OPTIMIZED_FLAGS if optimized else ())]


def _installed_packages(packages: tuple[str, ...]) -> set[str] | None:
    """Which of packages dpkg has installed; None where there is no dpkg (then the smoke check decides)."""
    if shutil.which("dpkg-query") is None:
        return None
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Status}\n", *packages],
                         capture_output=True, text=True, check=False).stdout
    return {line.split()[0] for line in out.splitlines() if line.endswith(" installed")}


def ensure_build_deps(log: Path, say: Say) -> list[str]:
    """Install the missing -dev packages (as root): a module left out silently would surface much later."""
    installed = _installed_packages(BUILD_DEPS)
    missing = [] if installed is None else [p for p in BUILD_DEPS if p not in installed]
    if not missing:
        return []
    if os.geteuid() != 0:
        raise ProvisionError(f"missing build dependencies: sudo apt-get install {' '.join(missing)}", log)
    say(f"installing build dependencies: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    _run(["apt-get", "install", "-y", "--no-install-recommends", *missing], log, env=env,
         what=f"apt-get install {' '.join(missing)}")
    return missing


def compile_install(tree: Path, flags: list[str], destdir: Path, log: Path, say: Say, seconds: dict) -> int:
    """configure, make -jN, make install DESTDIR=... (the prefix stays the final path); returns N."""
    jobs = os.cpu_count() or 1
    env = _build_env()
    for phase, cmd in (
        ("configure", ["./configure", *flags]),
        ("make", ["make", f"-j{jobs}"]),
        ("install", ["make", "install", f"DESTDIR={destdir}"]),
    ):
        say(f"  {phase} ...")
        with _timed(seconds, phase):
            _run(cmd, log, cwd=tree, env=env, what=phase)
    return jobs


def source_step(spec: Spec, optimized: bool) -> Step:
    """Build spec from Debian's source package (upstream tarball + CVE patches) into the staging dir."""

    def step(target: Path, stage: Path, log: Path, say: Say) -> tuple[Path, dict]:
        seconds: dict = {}
        with _timed(seconds, "fetch"):
            package = f"python{spec.minor}"
            candidates = debian_sources(target.parent, log).get(package, [])
            files, version, suite = fetch_first(target.parent, package, candidates, log, spec.accepts)
            source = verify_checksums(files)
        deps = ensure_build_deps(log, say)
        with _timed(seconds, "unpack_and_patch"):
            tree, patches, signature = prepare_tree(files, stage, log)
        flags = configure_flags(spec, optimized, target)
        say(f"building CPython {_upstream_version(version)} ({' '.join(flags[1:]) or 'no PGO/LTO'})")
        jobs = compile_install(tree, flags, stage / "root", log, say, seconds)
        shutil.rmtree(tree, ignore_errors=True)  # the build tree is large; the log keeps what it said
        source.update(package=package, debian_version=version, suite=suite,
                      mirror=machine_mirror(), upstream_tarball=f"Python-{_upstream_version(version)}.tar.xz",
                      upstream_signature=signature)
        return stage / "root" / target.relative_to(target.anchor), {
            "method": "source", "executable": f"bin/python{spec.minor}{'t' if spec.free_threaded else ''}",
            "source": source, "patches": patches, "configure_flags": flags, "make_jobs": jobs,
            "build_dependencies_installed": deps, "seconds": seconds,
            "compiler": _first_line([os.environ.get("CC", "gcc"), "--version"]),
        }

    return step


# ---------------------------------------------------------------------------------------- the uv install


def _uv_download_env() -> dict:
    """This environment without what tells uv not to download (nox's `download_python = "never"` sets it
    for its own sessions; provisioning is the one place that asks uv for a download)."""
    return {k: v for k, v in os.environ.items() if k not in ("UV_PYTHON_DOWNLOADS", "UV_OFFLINE")}


def uv_step(spec: Spec) -> Step:
    """`uv python install` into the staging dir (never into the user's uv dir or ~/.local/bin)."""

    def step(target: Path, stage: Path, log: Path, say: Say) -> tuple[Path, dict]:
        uv = find_uv()
        if uv is None:
            raise ProvisionError("uv is not installed", log)
        say(f"uv python install {spec.label}")
        seconds: dict = {}
        env = _uv_download_env()
        with _timed(seconds, "install"):
            _run([uv, "python", "install", spec.label, "--install-dir", str(stage), "--no-bin"], log, env=env,
                 timeout=UV_TIMEOUT, what=f"uv python install {spec.label}")
        homes = [p for p in stage.glob("cpython-*") if p.is_dir() and not p.is_symlink()]
        if len(homes) != 1:
            raise ProvisionError(f"uv python install left {len(homes)} installations in {stage}", log)
        return homes[0], {
            "method": "uv", "executable": f"bin/python{spec.minor}{'t' if spec.free_threaded else ''}",
            "uv": {"version": _first_line([uv, "--version"]), "request": spec.label,
                   "installed_as": homes[0].name},
            "configure_flags": None, "seconds": seconds,
        }

    return step


# -------------------------------------------------------------------------------- staging and the swap

_SMOKE = r"""
import importlib, json, platform, sys, sysconfig
missing = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception as exc:
        missing.append("%s (%s)" % (name, exc))
print(json.dumps({
    "version": platform.python_version(),
    "free_threaded": sysconfig.get_config_var("Py_GIL_DISABLED") == 1,
    "gil_enabled": sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else None,
    "python_compiler": platform.python_compiler(),
    "missing": missing,
}))
"""


def smoke_check(executable: Path, spec: Spec, log: Path) -> dict:
    """The staged interpreter runs, is what was asked for, and has the modules the comparison needs."""
    if not executable.exists():
        raise ProvisionError(f"no interpreter at {executable}", log)
    out = subprocess.run([str(executable), "-c", _SMOKE, *CHECK_MODULES], capture_output=True, text=True,
                         check=False, timeout=120, env=_build_env())
    with log.open("a") as fh:
        fh.write(f"$ {executable} -c <smoke check>\n{out.stdout}{out.stderr}\n"
                 f"# exit code: {out.returncode}\n")
    try:
        info = json.loads(out.stdout)
    except ValueError:
        raise ProvisionError(f"the built interpreter does not run (exit {out.returncode})", log) from None
    if info["missing"]:
        raise ProvisionError(f"the built interpreter lacks modules: {'; '.join(info['missing'])}", log)
    if not spec.accepts(info["version"]) or info["free_threaded"] != spec.free_threaded:
        got = info["version"] + ("t" if info["free_threaded"] else "")
        raise ProvisionError(f"asked for {spec.label}, the build is {got}", log)
    return info


def _base_record(spec: Spec, target: Path, optimized: bool, method: str) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "name": target.name,
        "requested": {"spec": spec.label, "optimized": optimized, "method": method},
        "free_threaded": spec.free_threaded,
        "optimized": optimized,
        "profile": "optimized (PGO+LTO)" if optimized else "fast (-O3, no PGO/LTO)",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"arch": platform.machine(), "system": platform.platform(), "cpus": os.cpu_count()},
    }


def install_staged(target: Path, spec: Spec, step: Step, record: dict, log: Path, say: Say) -> Provisioned:
    """Run step in a staging dir next to target, check it, write provision.json, rename it into place."""
    stage = Path(tempfile.mkdtemp(prefix=f".stage-{target.name}-", dir=target.parent))
    try:
        started = time.perf_counter()
        installed, step_record = step(target, stage, log, say)
        record = {**record, **step_record}
        info = smoke_check(installed / record["executable"], spec, log)
        record["seconds"]["total"] = round(time.perf_counter() - started, 1)
        record.update(version=info["version"], python_compiler=info["python_compiler"],
                      gil_enabled_at_start=info["gil_enabled"], modules_checked=list(CHECK_MODULES),
                      build_log="build.log")
        shutil.copyfile(log, installed / "build.log")
        (installed / PROVENANCE).write_text(json.dumps(record, indent=2) + "\n")
        swap_into_place(installed, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    build = Provisioned.load(target)
    assert build is not None
    return build


def _build(spec: Spec, target: Path, optimized: bool, method: str, log: Path, say: Say) -> Provisioned:
    """uv first where it may work (auto, optimized), the source build otherwise; each attempt is recorded."""
    record = _base_record(spec, target, optimized, method)
    record["attempts"] = []
    if method == "uv" or (method == "auto" and optimized):
        try:
            return install_staged(target, spec, uv_step(spec), dict(record), log, say)
        except ProvisionError as exc:
            if method == "uv":
                raise
            record["attempts"].append({"method": "uv", "error": str(exc)})
            say(f"{target.name}: uv could not install {spec.label} ({exc}); "
                "building from Debian's source instead")
    return install_staged(target, spec, source_step(spec, optimized), record, log, say)


def provision(spec: Spec | str, pythons_dir: Path = DEFAULT_PYTHONS_DIR, optimized: bool = True,
              method: str = "auto", say: Say = _say) -> Provisioned:
    """Make spec available as pythons_dir/<name>/ (or find it there); UsageError or ProvisionError
    otherwise."""
    spec = parse_spec(spec) if isinstance(spec, str) else spec
    check_method(method, optimized)
    pythons_dir = Path(pythons_dir).absolute()  # the install prefix is baked into the build
    (pythons_dir / ".logs").mkdir(parents=True, exist_ok=True)
    target = pythons_dir / spec.dir_name(optimized)
    with _locked(pythons_dir, say):
        cached = _cached(spec, target, optimized, method)
        if cached is not None:
            say(f"{cached.name}: already provisioned ({cached.summary()}), nothing to do")
            return cached
        if target.exists() and Provisioned.load(target) is None:
            raise UsageError(f"{target} exists but was not made by provisioning (no {PROVENANCE}); remove it")
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        log = pythons_dir / ".logs" / f"{target.name}-{stamp}.log"
        log.write_text(f"# provisioning {spec.label} as {target.name}, method {method}, started {stamp}\n")
        say(f"{target.name}: provisioning {spec.label} (log: {log})")
        build = _build(spec, target, optimized, method, log, say)
    say(f"{build.name}: ready at {build.executable} "
        f"({build.summary()}, {build.record['seconds']['total']} s)")
    return build


_DOWNLOAD_REASON = re.compile(
    r"(dns error|failed to (?:fetch|download)|connection|timed out|network)[^\n]*", re.IGNORECASE)


def provision_by_uv(label: str, name: str, implementation: str, pythons_dir: Path = DEFAULT_PYTHONS_DIR,
                    say: Say = _say) -> Provisioned:
    """PyPy or GraalPy as `uv python install <label>` gets them where downloads work ("pypy@3.11", "graalpy");
    ProvisionError with one line when uv cannot download (offline here)."""
    pythons_dir = Path(pythons_dir).absolute()
    (pythons_dir / ".logs").mkdir(parents=True, exist_ok=True)
    target, stage = pythons_dir / name, pythons_dir / f".{name}.uv"
    log = pythons_dir / ".logs" / f"{name}-uv-{datetime.datetime.now().strftime('%Y%m%d-%H%M%S')}.log"
    with _locked(pythons_dir, say):
        cached = Provisioned.load(target)
        if cached is not None and cached.method == "uv" and cached.executable.exists():
            return cached
        uv = find_uv()
        if uv is None:
            raise ProvisionError(f"{label}: uv is not installed (pip install uv)", log)
        shutil.rmtree(stage, ignore_errors=True)
        env = _uv_download_env()
        returncode = run_logged([uv, "python", "install", label, "--install-dir", str(stage), "--no-bin"],
                                log, mode="a", env=env, timeout=UV_TIMEOUT)
        homes = sorted(p for p in stage.glob(f"{implementation}-*") if p.is_dir() and not p.is_symlink())
        if returncode != 0 or len(homes) != 1:
            shutil.rmtree(stage, ignore_errors=True)
            found = _DOWNLOAD_REASON.search(log.read_text(errors="replace"))
            why = (f"uv could not download it ({found.group(0).strip()})" if found
                   else "uv python install failed")
            raise ProvisionError(f"{label}: not offered offline here: {why}; where downloads work, "
                             f"`nox -s interpreters -- {label.split('@')[0]}{label.partition('@')[2]}` "
                             "installs it",
                             log)
        executable = next(p for p in (homes[0] / "bin" / n for n in ("pypy3", "graalpy", "python3"))
                          if p.exists())
        version = _first_line([str(executable), "-c", "import platform; print(platform.python_version())"])
        record = {"schema_version": SCHEMA_VERSION, "name": name, "method": "uv",
                  "implementation": implementation,
                  "version": version or "", "executable": str(executable.relative_to(homes[0])),
                  "free_threaded": False, "optimized": True, "seconds": {},
                  "uv": {"version": _first_line([uv, "--version"]), "request": label,
                         "installed_as": homes[0].name}}
        (homes[0] / PROVENANCE).write_text(json.dumps(record, indent=2) + "\n")
        swap_into_place(homes[0], target)
        shutil.rmtree(stage, ignore_errors=True)
    build = Provisioned.load(target)
    assert build is not None
    return build


def rootfs_request(text: str, method: str, optimized: bool) -> rootfs.Request | None:
    """The request as one for a Debian root file system (every PyPy; CPython under --method debian), or
    None."""
    text, _, suite = text.strip().lower().partition("-") if re.search(r"-[a-z]+$", text) else (text, "", "")
    graalpy = re.fullmatch(r"graalpy(?:(3)\.(\d+))?", text.strip().lower())
    if graalpy:  # uv's builds only: no Debian suite ships GraalPy
        return rootfs.Request("graalpy", f"{graalpy[1]}.{graalpy[2]}" if graalpy[1] else "")
    pypy = re.fullmatch(r"pypy(3)\.(\d+)", text.strip().lower())
    if pypy:
        if method in ("uv", "source"):
            raise UsageError(f"{text!r}: PyPy comes from a Debian root file system here "
                             "(--method auto or debian)")
        return rootfs.Request("pypy", f"{pypy[1]}.{pypy[2]}", suite or None)
    if method != "debian" and not suite:
        return None
    spec = parse_spec(text)
    if spec.free_threaded or not optimized or spec.version != spec.minor:
        raise UsageError(f"{text!r}: a Debian root file system holds Debian's build of a minor version "
                         "(e.g. 3.14): not free-threaded, --fast or a patch release (use --method source)")
    return rootfs.Request("cpython", spec.minor, suite or None)


def provision_rootfs(request: rootfs.Request, pythons_dir: Path = DEFAULT_PYTHONS_DIR, say: Say = _say,
                     attempts: list | None = None) -> Provisioned:
    """Make the request's interpreter available as pythons_dir/<name>/ from a Debian suite (or find it
    there)."""
    pythons_dir = Path(pythons_dir).absolute()
    (pythons_dir / ".logs").mkdir(parents=True, exist_ok=True)
    target = pythons_dir / request.name
    with _locked(pythons_dir, say):
        if request.suite is None:
            raise UsageError(f"{request.implementation}{request.minor}"
                             f"{' in ' + request.chosen_suite if request.chosen_suite else ''}: "
                             f"no Debian suite known here ships it (offered: {', '.join(rootfs.offers())})")
        cached = Provisioned.load(target)
        if cached is not None and cached.method == rootfs.METHOD and cached.executable.exists():
            say(f"{cached.name}: already provisioned ({cached.summary()}), nothing to do")
            return cached
        if target.exists():
            raise UsageError(f"{target} exists but was not made from a Debian root file system; remove it")
        log = (pythons_dir / ".logs"
               / f"{request.name}-{datetime.datetime.now().strftime('%Y%m%d-%H%M%S')}.log")
        say(f"{request.name}: provisioning from a Debian root file system (log: {log})")
        try:
            rootfs.install(request, pythons_dir, machine_mirror(), log, say, (str(ROOT), str(pythons_dir)),
                           SCHEMA_VERSION, attempts or [])
        except rootfs.RootfsError as exc:
            raise ProvisionError(str(exc), log) from None
    build = Provisioned.load(target)
    assert build is not None
    say(f"{build.name}: ready at {build.executable} "
        f"({build.summary()}, compiler {build.record.get('compiler')})")
    return build


# ----------------------------------------------------------------------------------------- command line


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="pyshootout interpreters", error_label="provision", description=__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("versions", nargs="*",
                        help="3.13, 3.13t, 3.13.5, cpython3.13t, pypy3.11, pypy3.11-sid, 3.14-sid ...")
    parser.add_argument("--fast", action="store_true",
                        help="source build without PGO/LTO: minutes, not an hour (for tests)")
    parser.add_argument("--method", default="auto",
                        help="auto (default), uv, source or debian (a Debian root file system; PyPy always)")
    parser.add_argument("--pythons-dir", type=Path, default=DEFAULT_PYTHONS_DIR, help="default: %(default)s")
    parser.add_argument("--list", action="store_true", help="list the provisioned interpreters and exit")
    return parser


def _list(pythons_dir: Path) -> int:
    builds = available(pythons_dir)
    for build in builds:
        print(f"{build.name:<20} {build.summary():<58} {build.executable}")
    if not builds:
        print(f"nothing provisioned in {pythons_dir}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.list:
        return _list(args.pythons_dir)
    try:
        if not args.versions:
            raise UsageError("name at least one version, e.g. 3.13 3.13t (or --list)")
        check_method(args.method, not args.fast)
        from_rootfs = [rootfs_request(v, args.method, not args.fast) for v in args.versions]
        specs = [parse_spec(v) for v, r in zip(args.versions, from_rootfs) if r is None]
        pythons_dir = args.pythons_dir.absolute()
        pythons_dir.mkdir(parents=True, exist_ok=True)
        pending = [s for s in specs if _cached(s, pythons_dir / s.dir_name(not args.fast), not args.fast,
                                               args.method) is None]
        check_offered(pending, args.method, not args.fast, pythons_dir)
        for spec in specs:
            provision(spec, pythons_dir, optimized=not args.fast, method=args.method)
        for request in filter(None, from_rootfs):
            if request.implementation == "graalpy":
                provision_by_uv(request.uv_label, f"graalpy{request.minor}", "graalpy", pythons_dir)
                continue
            attempts = []
            made = Provisioned.load(pythons_dir / request.name) is not None
            if request.implementation == "pypy" and args.method == "auto" and request.chosen_suite is None \
                    and not made:
                try:  # uv's PyPy (upstream's own build) where downloads work, Debian's otherwise
                    provision_by_uv(request.uv_label, f"pypy{request.minor}", "pypy", pythons_dir)
                    continue
                except ProvisionError as exc:
                    attempts.append({"method": "uv", "error": str(exc)})
                    print(f"provision: {exc}; trying a Debian root file system", flush=True)
            provision_rootfs(request, pythons_dir, attempts=attempts)
    except UsageError as exc:
        print(f"provision: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ProvisionError as exc:
        print(f"provision: failed: {exc}; build log kept at {exc.log}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
