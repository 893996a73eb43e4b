"""Built extensions cached by content: everything that can change the binary is in the key.

The key hashes the variant's sources (sha256 each), its contract entry (build kind, options, flags), the
workload's cflags, the builder and the variant's build script (a cffi one: and workloads/cffi_build.py, which
a workload outside the checkout cannot list in its sources), the target interpreter (executable, version,
implementation), the env's exact pins (Cython, Pythran, numpy, cffi versions), the C and C++ compiler versions
(honouring CC/CXX) and the CPU model and flags (-march=native builds for this CPU). A hit reuses the built
files and the original build's record and log: the archive still says how long the build took when it ran, its
flags and the extension's sha256, plus "cached" and the key. `--no-build-cache` rebuilds everything and leaves
the cache as it is.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

from . import catalog
from .environments import TargetEnv

CACHE_VERSION = 1  # bump when what goes into the key or the layout changes
CFFI_HELPER = catalog.WORKLOADS_DIR / "cffi_build.py"  # what a cffi build script calls (workloads.cffi_build)


def _compiler(var: str, default: str) -> str:
    return _compiler_version(os.environ.get(var, default).split()[0])


@cache
def _compiler_version(command: str) -> str:
    try:
        out = subprocess.run([command, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{command}: {exc.__class__.__name__}"
    return f"{command}: {out.stdout.splitlines()[0] if out.stdout else out.returncode}"


@cache
def _cpu() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown"
    lines = [line for line in text.splitlines() if line.startswith(("model name", "flags"))]
    return "\n".join(sorted(set(lines)))


def _file_hash(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def key(env: TargetEnv, workload, variant_name: str) -> str:
    variant = workload.variant(variant_name)
    folder = catalog.folder(workload.name)
    script = variant.build_options.get("script")
    parts = {
        "cache_version": CACHE_VERSION,
        "sources": catalog.source_hashes(workload, variant),
        "variant": variant.to_json(), "build_options": variant.build_options,
        "cflags": list(workload.cflags), "openmp_flags": list(workload.openmp_flags),
        "builder": _file_hash(catalog.BUILDER),
        "script": _file_hash((folder / script).resolve()) if script else None,
        "cffi_helper": _file_hash(CFFI_HELPER) if variant.build == "cffi" else None,
        "interpreter": [env.interpreter.executable, env.interpreter.version, env.interpreter.implementation],
        "pins": env.lock, "cc": _compiler("CC", "cc"), "cxx": _compiler("CXX", "c++"), "cpu": _cpu(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def lookup(cache_dir: Path, build_key: str) -> Path | None:
    entry = cache_dir / build_key[:32]
    return entry if (entry / "build-record.json").is_file() and (entry / "build.log").is_file() else None


def store(cache_dir: Path, build_key: str, build_dir: Path, extension_module: str | None, log: Path) -> None:
    """Copy a successful build's extension, record and log into the cache (whole or not at all)."""
    entry = cache_dir / build_key[:32]
    if entry.exists():
        return
    temp = cache_dir / f".{entry.name}.tmp-{os.getpid()}"
    shutil.rmtree(temp, ignore_errors=True)
    temp.mkdir(parents=True)
    for path in build_dir.iterdir():
        if path.is_file() and (extension_module and path.name.startswith(extension_module + ".")
                               or path.name == "build-record.json"):
            shutil.copy2(path, temp / path.name)
    shutil.copy2(log, temp / "build.log")
    try:
        os.rename(temp, entry)
    except OSError:  # a concurrent run stored the same key first
        shutil.rmtree(temp, ignore_errors=True)
