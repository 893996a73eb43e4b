"""What a reader needs to judge or redo a run: machine, kernel, load, project commit (as pyperf collects
it)."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
from pathlib import Path

from .catalog import ROOT


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def cpu_info() -> dict:
    text = _read("/proc/cpuinfo")
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if ":" in line:
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    freq = _read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_max_freq").strip()
    governor = _read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor").strip()
    try:
        affinity = sorted(os.sched_getaffinity(0))
    except AttributeError:
        affinity = []
    return {
        "model": fields.get("model name", platform.processor() or "unknown"),
        "logical_cpus": os.cpu_count(),
        "affinity": affinity,
        "mhz": fields.get("cpu MHz"),
        "max_freq_khz": freq or None,
        "governor": governor or None,
        "flags": sorted(fields.get("flags", "").split()),
        "simd": [
            f for f in ("sse4_2", "avx", "avx2", "fma", "avx512f") if f in fields.get("flags", "").split()
        ],
    }


def memory_info() -> dict:
    info = {}
    for line in _read("/proc/meminfo").splitlines()[:3]:
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    return info


def git_info() -> dict:
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=20,
                stdin=subprocess.DEVNULL, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def compiler_version(cc: str) -> str | None:
    try:
        out = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.splitlines()[0] if out.returncode == 0 and out.stdout else None


def machine() -> dict:
    uname = platform.uname()
    return {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "kernel": f"{uname.system} {uname.release} {uname.version}",
        "machine": uname.machine,
        "cpu": cpu_info(),
        "memory": memory_info(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "compilers": {"cc": compiler_version("cc"), "c++": compiler_version("c++")},
        "orchestrator_python": {"version": platform.python_version(), "executable": sys.executable},
    }
