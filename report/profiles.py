"""'Where the time goes': the profiles/ folder that `shootout profile` writes into an archive.

Only files the manifest lists are read (archive.read verified their sha256), each defensively: any JSON shape
may arrive, and a file that cannot be used becomes a note in the report, never an exception.
"""

from __future__ import annotations

import json
import math
import re
from urllib.parse import quote

from . import figures

CPROFILE_ROWS = 15
VMPROF_ROWS = 15
TOOL_NAMES = {
    "cprofile": "cProfile", "line": "line_profiler", "memory": "memory (psutil RSS)", "vmprof": "vmprof",
    "cython-annotate": "cython -a", "numba-inspect": "Numba types + LLVM",
}
TUTORIAL_ABS_CALLS = "about 34 million at 1000×300"


def _num(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(float(value)) else None


def _int(value):
    number = _num(value)
    return int(number) if number is not None else None


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


class _Reader:
    def __init__(self, data):
        self.data = data
        self.files = data.manifest.get("files", {}) if isinstance(data.manifest.get("files"), dict) else {}
        self.notes: list[str] = []

    def json(self, rel: str):
        if rel not in self.files:
            return None
        try:
            return json.loads(self.data.text(rel))
        except (OSError, ValueError) as exc:
            self.notes.append(f"{rel}: not readable JSON ({exc.__class__.__name__})")
            return None


def _envs(files: dict) -> list[str]:
    envs = set()
    for rel in files:
        parts = rel.split("/")
        if len(parts) >= 3 and parts[0] == "profiles":
            envs.add(parts[1])
    return sorted(envs)


def _href(rel: str) -> str:
    """A relative link to a file inside the archive (percent-encoded; never a scheme or an absolute path)."""
    return quote(rel, safe="/")


def _cprofile(doc, env: str) -> dict | None:
    doc = _dict(doc)
    if not doc:
        return None
    rows = []
    for f in _list(doc.get("functions"))[:CPROFILE_ROWS]:
        f = _dict(f)
        ncalls, primitive = _int(f.get("ncalls")), _int(f.get("primitive_calls"))
        where = str(f.get("file") or "")
        line = _int(f.get("line"))
        rows.append({
            "function": str(f.get("function") or "?"),
            "where": f"{where}:{line}" if where and where != "~" and line else (where or "–"),
            "ncalls": "–" if ncalls is None else (f"{ncalls:,}" if primitive in (None, ncalls)
                                                 else f"{ncalls:,}/{primitive:,}"),
            "tottime": _num(f.get("tottime")), "cumtime": _num(f.get("cumtime")),
        })
    return {"env": env, "rows": rows, "abs_calls": _int(doc.get("abs_calls")),
            "total_calls": _int(doc.get("total_calls")), "total_seconds": _num(doc.get("total_seconds")),
            "checksum": _int(doc.get("checksum")), "points": _int(doc.get("points"))}


def _line_profile(doc, env: str) -> dict | None:
    doc = _dict(doc)
    lines = []
    for item in _list(doc.get("lines")):
        item = _dict(item)
        lines.append({"lineno": _int(item.get("lineno")), "hits": _int(item.get("hits")) or 0,
                      "seconds": _num(item.get("seconds")), "per_hit_us": _num(item.get("per_hit_us")),
                      "percent": _num(item.get("percent")) or 0.0, "source": str(item.get("source") or "")})
    if not lines:
        return None
    hottest = max(range(len(lines)), key=lambda i: (lines[i]["percent"], -i))
    for i, line in enumerate(lines):
        line["hot"] = i == hottest and line["percent"] > 0
    return {"env": env, "function": str(doc.get("function") or "?"), "file": str(doc.get("file") or "?"),
            "total_seconds": _num(doc.get("total_seconds")), "lines": lines, "hottest": lines[hottest]}


def _memory(doc, env: str) -> dict | None:
    doc = _dict(doc)
    samples = []
    for s in _list(doc.get("samples")):
        if isinstance(s, list) and len(s) >= 2 and _num(s[0]) is not None and _num(s[1]) is not None:
            samples.append((_num(s[0]), _num(s[1])))
    phases = []
    for p in _list(doc.get("phases")):
        if isinstance(p, list) and len(p) >= 2 and _num(p[1]) is not None:
            phases.append((str(p[0]), _num(p[1])))
    if not samples:
        return None
    peak = _num(doc.get("peak_mb"))
    return {"env": env, "implementation": str(doc.get("implementation") or "?"), "tool": str(doc.get("tool") or "?"),
            "samples": samples, "phases": phases, "peak_mb": peak if peak is not None else max(s[1] for s in samples),
            "exit_code": doc.get("exit_code"), "duration": samples[-1][0]}


def _vmprof(doc, env: str) -> dict | None:
    doc = _dict(doc)
    if not doc:
        return None
    rows = []
    for f in _list(doc.get("functions"))[:VMPROF_ROWS]:
        f = _dict(f)
        name = str(f.get("function") or "?")
        # vmprof names are "py:function:line:file"; show function and file:line apart
        match = re.fullmatch(r"py:([^:]*):(\d+):(.*)", name)
        rows.append({"function": match.group(1) if match else name,
                     "where": f"{match.group(3)}:{match.group(2)}" if match else "",
                     "samples": _int(f.get("self_samples")), "percent": _num(f.get("percent"))})
    return {"env": env, "implementation": str(doc.get("implementation") or "?"), "tool": str(doc.get("tool") or "?"),
            "samples": _int(doc.get("samples")), "rows": rows,
            "error": str(doc["error"]) if doc.get("error") else None}


def _numba(doc, env: str, types_rel: str | None) -> dict | None:
    doc = _dict(doc)
    if not doc:
        return None
    signatures = []
    for s in _list(doc.get("signatures")):
        s = _dict(s)
        signatures.append({"signature": str(s.get("signature") or "?"),
                           **{k: _int(s.get(k)) for k in ("llvm_lines", "fmul", "fadd", "fcmp", "vector_ops", "calls")}})
    return {"env": env, "numba": str(doc.get("numba") or "?"), "function": str(doc.get("function") or "?"),
            "signatures": signatures, "types_href": _href(types_rel) if types_rel else None, "types_rel": types_rel}


def profiles_context(data) -> dict | None:
    reader = _Reader(data)
    files = reader.files
    if "profiles/index.json" not in files and not any(rel.startswith("profiles/") for rel in files):
        return None
    index = _dict(reader.json("profiles/index.json"))
    results = []
    for r in _list(index.get("results")):
        r = _dict(r)
        log = r.get("log_file") if isinstance(r.get("log_file"), str) else None
        results.append({
            "tool": TOOL_NAMES.get(str(r.get("tool")), str(r.get("tool") or "?")),
            "implementation": str(r.get("implementation") or "?"), "env": str(r.get("env") or "–"),
            "status": str(r.get("status") or "?"), "seconds": _num(r.get("seconds")),
            "error": str(r["error"]) if r.get("error") else None,
            "log_rel": log if log in files else None, "log_href": _href(log) if log in files else None,
        })
    envs = _envs(files)
    out = {"width": _int(index.get("width")), "max_iterations": _int(index.get("max_iterations")),
           "started_at": str(index.get("started_at") or ""), "results": results,
           "cprofile": [], "line": [], "memory": [], "vmprof": [], "cython": [], "numba": []}
    for env in envs:
        base = f"profiles/{env}/"
        if (c := _cprofile(reader.json(base + "cprofile.json"), env)) is not None:
            out["cprofile"].append(c)
        if (lp := _line_profile(reader.json(base + "line_profile.json"), env)) is not None:
            out["line"].append(lp)
        for rel in sorted(f for f in files if re.fullmatch(re.escape(base) + r"memory-[^/]+\.json", f)):
            if (m := _memory(reader.json(rel), env)) is not None:
                out["memory"].append(m)
        for rel in sorted(f for f in files if re.fullmatch(re.escape(base) + r"vmprof-[^/]+\.json", f)):
            if (v := _vmprof(reader.json(rel), env)) is not None:
                out["vmprof"].append(v)
        annotated = sorted(f for f in files if re.fullmatch(re.escape(base) + r"cython/[^/]+\.html", f))
        if annotated:
            out["cython"].append({"env": env, "files": [
                {"name": rel.rsplit("/", 1)[1].removesuffix(".html"), "rel": rel, "href": _href(rel),
                 "bytes": _int(_dict(files.get(rel)).get("bytes"))} for rel in annotated]})
        for rel in sorted(f for f in files if re.fullmatch(re.escape(base) + r"numba/[^/]+-llvm-summary\.json", f)):
            types_rel = rel.removesuffix("-llvm-summary.json") + "-types.txt"
            if (n := _numba(reader.json(rel), env, types_rel if types_rel in files else None)) is not None:
                out["numba"].append(n)
    interpreters = sorted({m["env"] for m in out["memory"]})
    out["memory_figure"] = figures.memory_figure("memory-0", out["memory"], interpreters) if out["memory"] else None
    out["notes"] = reader.notes
    out["empty"] = not any(out[k] for k in ("cprofile", "line", "memory", "vmprof", "cython", "numba"))
    return out
