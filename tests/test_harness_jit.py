"""The harness must not change the code PyPy's JIT generates for the variant it times.

On PyPy, anything that switches on thread support (importing hashlib loads `_hashlib`, whose cffi callback
does it; so does starting a thread or creating any ffi.callback) makes every loop compiled afterwards
decrement a thread-switch counter on each iteration (`setfield_raw` on `pypysig_long_struct` in the JIT log).
A pure-Python variant imports nothing that does this, so a counter in its loops can only come from the
harness. The plain programs (the harness-overhead check's yardstick) must run the same kernel as the variant
they stand beside.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PYPY, ROOT

from shootout.run import catalog

HARNESS = ROOT / "workloads" / "harness.py"
THREAD_TICKER = "pypysig_long_struct"
TINY = {"julia": {"max_iterations": 30, "width": 100}, "diffusion": {"n": 40, "steps": 6}}
SERIAL_PURE_PYTHON = [(name, v.name) for name in ("julia", "diffusion") for v in catalog.load(name).variants
                      if v.technology == "python" and not v.parallel]


def jit_loops(log: str) -> list[str]:
    """The optimized loops and bridges of a PYPYLOG=jit-log-opt file, one string each."""
    sections, current = [], None
    for line in log.splitlines():
        if "{jit-log-opt-" in line:
            current = []
        elif "jit-log-opt-" in line and line.rstrip().endswith("}"):
            sections.append("\n".join(current or []))
            current = None
        elif current is not None:
            current.append(line)
    return sections


def ticking_loops(log: str, source: Path) -> tuple[int, int]:
    """(loops compiled from `source`, how many of them decrement the thread-switch counter)."""
    mine = [loop for loop in jit_loops(log) if str(source) in loop]
    return len(mine), sum(1 for loop in mine if "setfield_raw" in loop and THREAD_TICKER in loop)


def run_worker_under_jit_log(tmp_path: Path, workload: str, variant: str, prelude: str = "") -> str:
    """The real worker on PyPy with the JIT log on; `prelude` runs first in the same process (the control)."""
    params = TINY[workload]
    reference = tmp_path / f"{workload}.json"
    if not reference.exists():
        subprocess.run([sys.executable, str(HARNESS), "--workload", workload, "--make-reference", "--params",
                        json.dumps(params), "--out", str(reference)], check=True, cwd=ROOT,
                       capture_output=True)
    argv = [str(HARNESS), "--workload", workload, "--variant", variant, "--params", json.dumps(params),
            "--calls", "4", "--reference", str(reference), "--out", str(tmp_path / "record.json")]
    log = tmp_path / f"{variant}.jitlog"
    log.unlink(missing_ok=True)
    code = (f"{prelude}\nimport runpy, sys\nsys.argv = {argv!r}\n"
            "runpy.run_path(sys.argv[0], run_name='__main__')")
    subprocess.run([PYPY, "-c", code], check=True, cwd=ROOT, capture_output=True,
                   env=dict(os.environ, PYPYLOG=f"jit-log-opt:{log}"))
    assert json.loads((tmp_path / "record.json").read_text())["status"] == "ok"
    return log.read_text()


def variant_file(workload: str, variant: str) -> Path:
    contract = catalog.load(workload)
    return ROOT / "workloads" / workload / contract.variant(variant).sources[0]


@pytest.mark.slow
@pytest.mark.parametrize(("workload", "variant"), SERIAL_PURE_PYTHON,
                         ids=[f"{w}-{v}" for w, v in SERIAL_PURE_PYTHON])
def test_the_worker_leaves_pypys_thread_support_off(tmp_path, workload, variant):
    if PYPY is None:
        pytest.fail("pypy3 is not installed: apt-get install pypy3 pypy3-dev pypy3-venv (see README)")
    compiled, ticking = ticking_loops(run_worker_under_jit_log(tmp_path, workload, variant),
                                      variant_file(workload, variant))
    assert compiled > 0, "the JIT compiled none of the variant's loops: the check saw nothing"
    assert ticking == 0, f"{ticking} of {compiled} loops of {variant} carry PyPy's thread-switch counter"


@pytest.mark.slow
def test_the_check_sees_a_worker_that_imports_hashlib_first(tmp_path):
    """The control: the same worker with hashlib imported before it starts has the counter in its loops."""
    if PYPY is None:
        pytest.fail("pypy3 is not installed: apt-get install pypy3 pypy3-dev pypy3-venv (see README)")
    workload, variant = SERIAL_PURE_PYTHON[0]
    compiled, ticking = ticking_loops(run_worker_under_jit_log(tmp_path, workload, variant, "import hashlib"),
                                      variant_file(workload, variant))
    assert compiled > 0 and ticking > 0


def _functions(path: Path) -> dict[str, str]:
    """Each top-level function's AST, its docstring left out."""
    found = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef):
            body = node.body
            if (body and isinstance(body[0], ast.Expr)
                    and isinstance(getattr(body[0], "value", None), ast.Constant)):
                node.body = body[1:]
            found[node.name] = ast.dump(node)
    return found


@pytest.mark.parametrize("workload", ["julia", "diffusion"])
def test_the_plain_program_runs_the_baseline_variants_kernel(workload):
    """Token for token (comments aside): else the overhead check compares two programs."""
    contract = catalog.load(workload)
    plain = _functions(ROOT / "workloads" / workload / contract.plain_program)
    variant = _functions(variant_file(workload, contract.roles.baseline))
    shared = set(plain) & set(variant) - {"prepare", "calculate"}
    assert shared, "the plain program shares no function with the baseline variant"
    # the inputs, where it makes them the same way
    spec = _functions(ROOT / "workloads" / workload / "spec.py")
    for name in shared | set(plain) & set(spec):
        assert plain[name] == {**spec, **variant}[name], (
            f"{name} differs between the plain program and its source")


@pytest.mark.parametrize("workload", ["julia", "diffusion"])
def test_the_plain_program_draws_code_placement_as_the_harness_does(workload):
    contract = catalog.load(workload)
    plain = _functions(ROOT / "workloads" / workload / contract.plain_program)
    assert plain["pad_jit_code"] == _functions(HARNESS)["pad_jit_code"]


@pytest.mark.parametrize("workload", ["julia", "diffusion"])
def test_the_plain_program_computes_the_reference_checksum(workload, tmp_path):
    contract = catalog.load(workload)
    params = TINY[workload]
    reference = tmp_path / "ref.json"
    subprocess.run([sys.executable, str(HARNESS), "--workload", workload, "--make-reference", "--params",
                    json.dumps(params), "--out", str(reference)], check=True, cwd=ROOT, capture_output=True)
    out = subprocess.run([sys.executable, str(ROOT / "workloads" / workload / contract.plain_program),
                          json.dumps(params), "2"], check=True, capture_output=True, text=True).stdout
    result = json.loads(out)
    assert len(result["times_seconds"]) == 2
    assert result["checksum"] == json.loads(reference.read_text())["checksum"]
