"""Helpers shared by the scripts that run inside every target interpreter (harness, builder).

Stdlib only, Python 3.9 syntax; never imports shootout/.
"""
from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import sysconfig
import tempfile


def write_bytes_atomic(path, data):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)      # mkstemp makes 0600; give the file normal modes
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_json_atomic(path, data):
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))


def free_threaded():
    """A CPython built with --disable-gil (PEP 703), whatever the GIL's state right now."""
    return sysconfig.get_config_var("Py_GIL_DISABLED") == 1


def gil_enabled():
    """Whether the GIL is on now (None before 3.13: always on): an extension may switch it back on at
    import."""
    check = getattr(sys, "_is_gil_enabled", None)
    return check() if check is not None else None


def platform_keys():
    """The keys a variant's `unsupported` map is looked up with here: the implementation, and
    "free-threaded"."""
    return [sys.implementation.name] + (["free-threaded"] if free_threaded() else [])


def interpreter_info():
    info = {"implementation": sys.implementation.name,
            "version": platform.python_version(),
            "executable": sys.executable,
            "free_threaded": free_threaded(),
            "gil_enabled": gil_enabled()}
    if hasattr(sys, "pypy_version_info"):
        v = sys.pypy_version_info
        info["pypy_version"] = f"{v.major}.{v.minor}.{v.micro}"
    return info


def load_workload(name):
    """The Workload contract declared by workloads/<name>/spec.py (or by a folder on
    PYSHOOTOUT_WORKLOADS_PATH)."""
    return importlib.import_module(f"workloads.{name}.spec").WORKLOAD


def workload_dir(name):
    """The folder of a workload (its sources are named relative to it)."""
    return os.path.abspath(next(iter(importlib.import_module(f"workloads.{name}").__path__)))
