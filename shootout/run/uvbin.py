"""Where uv is: the pinned uv wheel of the orchestrator's env, else one on PATH (environments and
provisioning)."""

from __future__ import annotations

import shutil


def find_uv() -> str | None:
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")
