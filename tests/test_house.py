"""The house rules, checked on the source: the orchestrator and report know no workload by name, modules form no
import cycle (and shootout never imports report), and no function grows past ~60 lines without a stated reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import ROOT

from shootout import archive, catalog, records

# Words that only mean something for the Julia workload: its variants, parameters and vocabulary.
JULIA_WORDS = re.compile(
    r"julia|pure_python|cffi_simd|cffi_c\b|cython_lists|cffi_openmp|max_iterations|(?<![-\w])width\b|inner.iteration|"
    r"pixels|escape count|abs\(\) calls",
    re.IGNORECASE,
)
# Where a workload name may appear on purpose: the default workload, and the v1 migration (v1 was Julia only).
ALLOWED = {"shootout/catalog.py": ["DEFAULT_WORKLOAD = \"julia\""], "shootout/migrations.py": None}
GENERIC_FILES = [
    *sorted((ROOT / "shootout").glob("*.py")), *sorted((ROOT / "report").rglob("*.py")),
    *sorted((ROOT / "report" / "templates").glob("*.j2")), ROOT / "workloads" / "harness.py",
    ROOT / "workloads" / "build.py", ROOT / "workloads" / "verify.py", ROOT / "workloads" / "contract.py",
    ROOT / "workloads" / "profiler.py", ROOT / "workloads" / "_runtime.py", ROOT / "noxfile.py",
]
MAX_FUNCTION_LINES = 60


def test_nothing_julia_specific_outside_its_folder():
    found = []
    for path in GENERIC_FILES:
        relative = path.relative_to(ROOT).as_posix()
        allowed = ALLOWED.get(relative, [])
        if allowed is None:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if JULIA_WORDS.search(line) and not any(a in line for a in allowed):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def _imports(path: Path, package: str) -> set[str]:
    """Modules of shootout/report this file imports (relative imports resolved)."""
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package if node.module is None else f"{package}.{node.module}"
                names = [f"{base}.{a.name}" for a in node.names] if node.module is None else [base]
            else:
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            found.update(names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {f"{pkg}.{p.stem}": p for pkg in ("shootout", "report") for p in (ROOT / pkg).glob("*.py")}
    return {name: {m for m in _imports(path, name.split(".")[0]) if m in modules} - {name}
            for name, path in modules.items()}


def test_shootout_never_imports_report_except_the_cli():
    graph = _graph()
    offenders = [m for m, deps in graph.items()
                 if m.startswith("shootout.") and m != "shootout.cli" and any(d.startswith("report") for d in deps)]
    assert not offenders


def test_no_import_cycles():
    graph = _graph()
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            assert state.get(dep) != 1, f"import cycle: {' -> '.join([*path, node, dep])}"
            if dep not in state:
                visit(dep, [*path, node])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


def test_no_function_over_60_lines_without_a_reason():
    long = []
    for path in [*sorted((ROOT / "shootout").glob("*.py")), *sorted((ROOT / "report").glob("*.py"))]:
        source = path.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(source))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                reason = "# long:" in source[node.lineno - 1] or "# long:" in source[node.lineno]
                if lines > MAX_FUNCTION_LINES and not reason:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, "\n".join(long)


def test_the_harness_writes_the_schema_the_archive_reads():
    text = (ROOT / "workloads" / "harness.py").read_text()
    assert f"SCHEMA_VERSION = {records.SCHEMA_VERSION}" in text and archive.SCHEMA_VERSION == records.SCHEMA_VERSION


def test_the_default_workload_exists():
    assert catalog.DEFAULT_WORKLOAD in catalog.available()
