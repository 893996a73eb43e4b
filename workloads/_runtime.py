"""Helpers shared by the scripts that run inside every target interpreter (harness, builder).

Stdlib only, Python 3.9 syntax; never imports shootout/.
"""
from __future__ import annotations

import importlib
import json
import os
import platform
import sys
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


def interpreter_info():
    info = {"implementation": sys.implementation.name,
            "version": platform.python_version(),
            "executable": sys.executable}
    if hasattr(sys, "pypy_version_info"):
        v = sys.pypy_version_info
        info["pypy_version"] = f"{v.major}.{v.minor}.{v.micro}"
    return info


def load_spec(workload):
    return importlib.import_module(f"workloads.{workload}.spec")
