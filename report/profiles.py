"""'Where the time goes': the profiles/ folder that `shootout profile` writes into an archive.

Nothing here is specific to a workload: what was profiled (the workload, its baseline variant, the parameter
set's label, the work unit) comes from profiles/index.json and the profilers' own files. Archives written
before profiles were generic (parameters as top-level numbers of index.json, one line-profiled function,
float-only Numba counts) still render.

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
# The tutorial's call count of its one workload is in no workload's contract: the report shows each run's
# most-called function and its calls per work unit instead. The name stays only because report/render.py still
# imports it; nothing renders it (remove both).
# LLVM instruction columns of the Numba table, in this order; only those some signature uses are shown
NUMBA_OPCODES = ("fmul", "fadd", "fcmp", "fsub", "fdiv", "mul", "add", "icmp", "sub", "sdiv", "srem", "load",
                 "store")


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
    most = _dict(doc.get("most_called"))
    most_called = None
    if most and _int(most.get("ncalls")) is not None:
        most_called = {"function": str(most.get("function") or "?"), "ncalls": _int(most.get("ncalls")),
                       "per_work_unit": _num(most.get("per_work_unit"))}
    return {"env": env, "rows": rows, "variant": str(doc.get("variant") or "") or None,
            "work_unit": str(doc.get("work_unit") or "") or None, "work_units": _num(doc.get("work_units")),
            "most_called": most_called,
            "total_calls": _int(doc.get("total_calls")), "total_seconds": _num(doc.get("total_seconds")),
            "checksum": _int(doc.get("checksum")), "points": _int(doc.get("points"))}


def _line_function(doc: dict, fallback_file: str) -> dict | None:
    """One line-profiled function: its lines, with the one taking the largest share of its time marked hot."""
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
    return {"function": str(doc.get("function") or "?"), "file": str(doc.get("file") or fallback_file),
            "total_seconds": _num(doc.get("total_seconds")), "lines": lines, "hottest": lines[hottest]}


def _line_profile(doc, env: str) -> dict | None:
    """Every profiled function of the baseline variant's module (older archives: the one function)."""
    doc = _dict(doc)
    file = str(doc.get("file") or "?")
    raw = _list(doc.get("functions")) if "functions" in doc else [doc]
    functions = [f for f in (_line_function(_dict(item), file) for item in raw) if f is not None]
    if not functions:
        return None
    busiest = max((line for f in functions for line in f["lines"]), key=lambda line: line["hits"])
    return {"env": env, "variant": str(doc.get("variant") or "") or None,
            "module": str(doc.get("module") or "") or None,
            "file": file, "functions": functions, "busiest": busiest if busiest["hits"] else None,
            "not_called": [str(n) for n in _list(doc.get("not_called"))]}


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
    return {"env": env, "implementation": str(doc.get("implementation") or "?"),
            "tool": str(doc.get("tool") or "?"),
            "samples": samples, "phases": phases,
            "peak_mb": peak if peak is not None else max(s[1] for s in samples),
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
    return {"env": env, "implementation": str(doc.get("implementation") or "?"),
            "tool": str(doc.get("tool") or "?"),
            "samples": _int(doc.get("samples")), "rows": rows,
            "error": str(doc["error"]) if doc.get("error") else None}


def _numba(doc, env: str, types_rel: str | None) -> dict | None:
    """One numba variant's dispatchers: per signature, the LLVM IR's size and its instruction counts (the
    columns are the NUMBA_OPCODES any signature uses; older archives carry fmul/fadd/fcmp only)."""
    doc = _dict(doc)
    if not doc:
        return None
    signatures = []
    for s in _list(doc.get("signatures")):
        s = _dict(s)
        opcodes = {str(k): _int(v) for k, v in _dict(s.get("opcodes")).items()}
        counts = {op: opcodes.get(op) if opcodes else _int(s.get(op)) for op in NUMBA_OPCODES}
        signatures.append({"function": str(s.get("function") or "") or None,
                           "signature": str(s.get("signature") or "?"),
                           "llvm_lines": _int(s.get("llvm_lines")), "vector_ops": _int(s.get("vector_ops")),
                           "calls": _int(s.get("calls")), "counts": counts})
    columns = [op for op in NUMBA_OPCODES if any(sig["counts"][op] for sig in signatures)]
    for sig in signatures:
        sig["columns"] = [sig["counts"][op] for op in columns]
    return {"env": env, "numba": str(doc.get("numba") or "?"), "function": str(doc.get("function") or "?"),
            "variant": str(doc.get("variant") or "") or None, "columns": columns,
            "signatures": signatures, "types_href": _href(types_rel) if types_rel else None,
            "types_rel": types_rel}


def _results(index: dict, files: dict) -> list[dict]:
    """index.json's tool table: what ran where, its status and its log."""
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
    return results


def _subject(index: dict, metadata) -> dict:
    """What was profiled: the workload, its title, baseline and work unit (index.json, else the archive's only
    contract), and the parameter set. Older index.json files held the parameters as top-level numbers and no
    label: their values joined by × stand in for it."""
    params = {str(k): v for k, v in _dict(index.get("params")).items() if isinstance(v, (int, float, str))}
    if not params and "size" not in index:
        params = {str(k): v for k, v in index.items() if _num(v) is not None}
    label = str(index.get("size") or "") or ("×".join(str(v) for v in params.values()) if params else None)
    contracts = _dict(_dict(metadata).get("contracts"))
    workload = str(index.get("workload") or "") or (next(iter(contracts)) if len(contracts) == 1 else None)
    contract = _dict(contracts.get(workload)) if workload else {}
    return {"label": label, "params": params if "size" in index else {}, "workload": workload,
            "title": str(index.get("title") or contract.get("title") or workload or "") or None,
            "baseline": (str(index.get("baseline") or _dict(contract.get("roles")).get("baseline") or "")
                         or None),
            "work_unit": str(index.get("work_unit") or contract.get("work_unit") or "") or None}


def _cython(reader: _Reader, base: str, env: str) -> dict | None:
    files = reader.files
    annotated = sorted(f for f in files if re.fullmatch(re.escape(base) + r"cython/[^/]+\.html", f))
    if not annotated:
        return None
    listed = _dict(reader.json(base + "cython/index.json")) if base + "cython/index.json" in files else {}
    variant_of = {str(_dict(a).get("html")): str(_dict(a).get("variant") or "")
                  for a in _list(listed.get("annotated"))}
    return {"env": env, "files": [
        {"name": rel.rsplit("/", 1)[1].removesuffix(".html"), "rel": rel, "href": _href(rel),
         "variant": variant_of.get(rel.rsplit("/", 1)[1]) or None,
         "bytes": _int(_dict(files.get(rel)).get("bytes"))} for rel in annotated]}


def profiles_context(data) -> dict | None:
    reader = _Reader(data)
    files = reader.files
    if "profiles/index.json" not in files and not any(rel.startswith("profiles/") for rel in files):
        return None
    index = _dict(reader.json("profiles/index.json"))
    out = {**_subject(index, data.metadata), "started_at": str(index.get("started_at") or ""),
           "results": _results(index, files),
           "cprofile": [], "line": [], "memory": [], "vmprof": [], "cython": [], "numba": []}
    for env in _envs(files):
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
        if (cy := _cython(reader, base, env)) is not None:
            out["cython"].append(cy)
        for rel in sorted(f for f in files
                          if re.fullmatch(re.escape(base) + r"numba/[^/]+-llvm-summary\.json", f)):
            types_rel = rel.removesuffix("-llvm-summary.json") + "-types.txt"
            if (n := _numba(reader.json(rel), env, types_rel if types_rel in files else None)) is not None:
                out["numba"].append(n)
    interpreters = sorted({m["env"] for m in out["memory"]})
    out["memory_figure"] = (figures.memory_figure("memory-0", out["memory"], interpreters)
                            if out["memory"] else None)
    out["notes"] = reader.notes
    out["empty"] = not any(out[k] for k in ("cprofile", "line", "memory", "vmprof", "cython", "numba"))
    return out
