"""The house rules, checked on the source: the orchestrator and report know no workload by name, modules form
no import cycle, the results library (shootout.results) imports nothing from the part that runs things, the
report reads archives only through it (and shootout never imports report), and no function grows past ~60
lines without a stated reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import ROOT

from shootout.results import archive, records
from shootout.run import catalog
from workloads import record

# Words that only mean something for the Julia workload: its variants, parameters and vocabulary.
JULIA_WORDS = re.compile(
    r"julia|pure_python|cffi_simd|cffi_c\b|cython_lists|cffi_openmp|max_iterations|(?<![-\w])width\b|inner.iteration|"
    r"pixels|escape count|abs\(\) calls",
    re.IGNORECASE,
)
# Where a workload name may appear on purpose: the default workload, and the v1 migration (v1 was Julia only).
ALLOWED = {"shootout/run/catalog.py": ["DEFAULT_WORKLOAD = \"julia\""],
           "shootout/results/migrations.py": None}
GENERIC_FILES = [
    *sorted((ROOT / "shootout").rglob("*.py")), *sorted((ROOT / "report").rglob("*.py")),
    *sorted((ROOT / "report" / "templates").glob("*.j2")), ROOT / "workloads" / "harness.py",
    ROOT / "workloads" / "build.py", ROOT / "workloads" / "verify.py", ROOT / "workloads" / "contract.py",
    ROOT / "workloads" / "profiler.py", ROOT / "workloads" / "_runtime.py", ROOT / "workloads" / "record.py",
    ROOT / "noxfile.py",
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


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str) -> set[str]:
    """Modules this file (module `name`) imports, relative imports resolved; `from x import y` counts x and
    x.y."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            if node.module:  # `from . import x` imports the submodule x, not (for this graph) the package
                found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for pkg in ("shootout", "report") for p in (ROOT / pkg).rglob("*.py")}
    return {name: {m for m in _imports(path, name) if m in modules} - {name}
            for name, path in modules.items()}


def test_the_results_library_imports_nothing_from_the_part_that_runs_things():
    offenders = {m: sorted(d for d in deps if not d.startswith("shootout.results"))
                 for m, deps in _graph().items() if m.startswith("shootout.results")}
    assert not {m: d for m, d in offenders.items() if d}


def test_the_report_reads_archives_only_through_the_results_library():
    offenders = {m: sorted(d for d in deps
                           if d.startswith("shootout") and not d.startswith("shootout.results"))
                 for m, deps in _graph().items() if m.startswith("report")}
    assert not {m: d for m, d in offenders.items() if d}


def test_shootout_never_imports_report_except_the_cli():
    graph = _graph()
    offenders = [m for m, deps in graph.items()
                 if m.startswith("shootout") and m != "shootout.cli"
                    and any(d.startswith("report") for d in deps)]
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
    for path in [*sorted((ROOT / "shootout").rglob("*.py")), *sorted((ROOT / "report").rglob("*.py"))]:
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
    assert "from workloads.record import" in text and "Record(" in text
    assert archive.SCHEMA_VERSION == records.SCHEMA_VERSION == record.SCHEMA_VERSION


def test_the_default_workload_exists():
    assert catalog.DEFAULT_WORKLOAD in catalog.available()


# A lab notebook's marks: the run id of one machine's archive (YYYYMMDD-HHMMSS-host) or a date. A reader of
# a fresh clone cannot open that archive: an investigation belongs in docs/, with the command that reproduces
# it. A format example in code is written with placeholders, as above.
NOTEBOOK_MARKS = re.compile(r"\b20\d{6}-\d{6}-[a-z0-9]+\b|\b20\d\d-\d\d-\d\d\b")


def test_no_run_id_or_date_in_code_or_readme():
    packages = ("shootout", "report", "workloads", "benchmarks")
    files = [path for package in packages for path in (ROOT / package).rglob("*.py")]
    files += [ROOT / "noxfile.py", ROOT / "README.md"]
    found = []
    for path in sorted(files):
        relative = path.relative_to(ROOT)
        if "fixtures" in relative.parts:  # test fixtures may carry the ids and dates they test
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if NOTEBOOK_MARKS.search(line):
                found.append(f"{relative.as_posix()}:{number}: {line.strip()}")
    assert not found, "\n".join(found)
