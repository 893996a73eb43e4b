"""The workload folder as a new user meets it: written from docs/adding-a-workload.md, outside the checkout.

The slow test copies tests/fixtures/outside-workloads/squares to a temporary directory and runs a real compare
of it on CPython and PyPy: its variant modules numpy.py and cython.py are named after their technologies, and
its cffi variant builds with the supported helper, workloads.cffi_build. The others are fast: what a build
script finds on sys.path, the one-line error for a WORKLOAD that is not a contract, the wording of a failed
tolerance check, the report's text for flags a build script chose, and the doc's list of reserved names.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PYPY, ROOT, WORK_DIR, only_archive, run_shootout

import workloads
from report.machine import _build as build_row
from shootout import cli
from shootout.results import archive
from shootout.run import catalog
from workloads.build import script_command
from workloads.cffi_build import BASE_CFLAGS
from workloads.verify import Reference, make_reference

SQUARES = ROOT / "tests" / "fixtures" / "outside-workloads" / "squares"
SQUARES_VARIANTS = ["pure_python", "numpy", "cython", "cffi_c"]


# ----------------------------------------------------------- a real compare of a folder outside the checkout


@pytest.fixture(scope="module")
def squares_archive(tmp_path_factory) -> Path:
    if PYPY is None:
        pytest.fail("pypy3 is not installed: apt-get install pypy3 pypy3-dev pypy3-venv (see README)")
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    shutil.copytree(SQUARES, elsewhere / "squares")
    results = tmp_path_factory.mktemp("squares-results")
    proc = run_shootout(
        "compare", "--workloads-path", str(elsewhere), "--workload", "squares", "--quick",
        "--interpreter", f"{sys.executable},{PYPY}", "-o", str(results), "--work-dir", str(WORK_DIR),
        "--no-build-cache",  # the Cython and cffi variants are compiled for real, every time
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return only_archive(results)


@pytest.mark.slow
def test_a_folder_outside_the_checkout_builds_and_verifies_everywhere(squares_archive):
    data = archive.read(squares_archive)
    cells = {(r.variant, r.interpreter.implementation) for r in data.records}
    # numpy and Cython run on PyPy too (cpyext): every cell of both columns is expected, none unsupported
    assert cells == {(v, impl) for v in SQUARES_VARIANTS for impl in ("cpython", "pypy")}
    for record in data.records:
        where = f"{record.variant} on {record.interpreter.name}"
        assert record.status == "ok" and record.verified, f"{where}: {record.error}"
        assert record.checksum == record.expected_checksum == 166791562.5, where
    assert all("squares_cython" in str(r.kernel_module_file) for r in data.records if r.variant == "cython")
    reference = json.loads(next((squares_archive / "references").glob("squares-*.json")).read_text())
    assert reference["checksum"] == reference["known_checksum"] == 166791562.5  # a pinned float sum


@pytest.mark.slow
def test_the_builds_table_shows_what_each_build_used(squares_archive):
    builds = {(b["env"], b["variant"]): b for b in json.loads((squares_archive / "builds.json").read_text())}
    for env in {env for env, _ in builds}:
        cython, cffi = builds[(env, "cython")], builds[(env, "cffi_c")]
        assert cython["status"] == cffi["status"] == "ok" and not cython["cached"] and not cffi["cached"]
        assert cython["flags"] == ["-O3", "-ffp-contract=off"]  # the workload's cflags, given by the builder
        assert cffi["flags"] == BASE_CFLAGS  # what the helper compiled with, as it reported them


# ------------------------------------------------------------------ what a build script finds on sys.path


def test_a_build_script_imports_installed_packages_before_its_folder(tmp_path):
    """A variant module named numpy.py beside the script must not be what `import numpy` finds; the script's
    own helper modules and workloads.cffi_build must still import."""
    (tmp_path / "numpy.py").write_text("raise ImportError('the workload folder shadowed numpy')\n")
    (tmp_path / "helper.py").write_text("WHERE = 'beside the script'\n")
    script = tmp_path / "build_it.py"
    script.write_text("import sys, numpy, helper, workloads.cffi_build\n"
                      "print(numpy.__file__, helper.WHERE, workloads.cffi_build.__file__, sys.argv[1:])\n")
    proc = subprocess.run([*script_command(str(script)), "--module", "m"], cwd=tmp_path, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    numpy_file, *rest = proc.stdout.split(" ", 1)
    assert not numpy_file.startswith(str(tmp_path)) and "beside the script" in rest[0]
    assert str(ROOT / "workloads" / "cffi_build.py") in rest[0] and "['--module', 'm']" in rest[0]


# ------------------------------------------------------------------ a WORKLOAD that is not a contract


@pytest.fixture()
def folder_of(tmp_path, monkeypatch):
    """Write a workload folder <tmp>/path/<name>/ whose spec.py is `spec`; forget its modules afterwards."""
    made = []

    def write(name: str, spec: str) -> Path:
        folder = tmp_path / "path" / name
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text("")
        (folder / "spec.py").write_text(spec)
        made.append(name)
        return folder

    monkeypatch.setattr(workloads, "__path__", list(workloads.__path__))
    monkeypatch.delenv(catalog.WORKLOADS_PATH_ENV, raising=False)
    yield write
    for name in [m for m in sys.modules if any(m.startswith(f"workloads.{n}") for n in made)]:
        del sys.modules[name]


OLDER_API = """
class Workload:  # what an older contract looked like: not workloads.contract.Workload
    name = "{name}"

WORKLOAD = Workload()
"""
RENAMED = """
from workloads.julia.spec import WORKLOAD  # a copy of another folder's spec: named julia, not {name}
"""


@pytest.mark.parametrize(("name", "spec", "problem"), [
    ("empty_dict", "WORKLOAD = {{}}\n", "WORKLOAD is a dict, not a workloads.contract.Workload"),
    ("older_api", OLDER_API,
     "WORKLOAD is a workloads.older_api.spec.Workload, not a workloads.contract.Workload"),
    ("renamed", RENAMED, "WORKLOAD.name is 'julia', not the folder's name 'renamed'"),
])
def test_a_workload_that_is_not_a_contract_is_one_usage_line(name, spec, problem, folder_of, tmp_path,
                                                              capsys):
    folder = folder_of(name, spec.format(name=name))
    results = tmp_path / "results"
    code = cli.main(["compare", "--workloads-path", str(folder.parent), "--workload", name,
                     "-o", str(results)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"pyshootout: error: {folder / 'spec.py'}: ") and problem in err, err
    assert not results.exists()


# --------------------------------------------------------------- a failed tolerance check reads as a failure


@pytest.fixture(scope="module")
def diffusion_reference(tmp_path_factory):
    """Diffusion's reference at a tiny size: a float64 output under rtol=1e-12, atol=1e-18."""
    workload = catalog.load("diffusion")
    params = {"n": 12, "steps": 3}
    path = tmp_path_factory.mktemp("ref") / "diffusion-12x12x3.json"
    make_reference(workload, params, str(path))
    return Reference.load(str(path), workload, params)


def test_a_failed_tolerance_check_says_how_many_values_are_outside(diffusion_reference):
    values = list(diffusion_reference.values())
    nonzero = [i for i, v in enumerate(values) if v]
    for i in nonzero[:5]:
        values[i] *= 1 + 1e-14  # differs, within rtol: not counted
    for i in nonzero[5:8]:
        values[i] *= 1 + 1e-6  # outside rtol: counted
    verdict = diffusion_reference.judge(values)
    assert not verdict.ok and verdict.differing == 3
    message = verdict.explain()
    assert message.startswith(f"3 of {len(values)} values outside rtol=1e-12, atol=1e-18 "
                              "(values_differing counts only these); largest difference "), message
    assert "within" not in message and "outside" in verdict.how


def test_a_passing_tolerance_check_still_says_within(diffusion_reference):
    values = [v * (1 + 1e-14) for v in diffusion_reference.values()]
    verdict = diffusion_reference.judge(values)
    assert verdict.ok and verdict.differing == 0 and verdict.how.startswith("within rtol=1e-12, atol=1e-18; ")


def test_a_wrong_length_is_named(diffusion_reference):
    verdict = diffusion_reference.judge(list(diffusion_reference.values())[:-2])
    assert not verdict.ok and verdict.differing == 2
    assert verdict.how.endswith(f"the output has {diffusion_reference.points - 2} values, "
                                f"the reference {diffusion_reference.points}")


# ------------------------------------------------------------------ the Builds table


def test_the_builds_table_says_when_a_build_script_chose_its_flags():
    build = {"env": "cpython3.11", "variant": "cffi_c", "status": "ok"}
    assert build_row({**build, "flags": None}).flags == "chosen by its build script (not reported)"
    assert build_row({**build, "flags": ["-O3", "-fopenmp"]}).flags == "-O3 -fopenmp"
    assert build_row(build).flags == ""  # an archive from before flags were recorded


def test_the_doc_reserves_every_module_of_the_workloads_package():
    text = (ROOT / "docs" / "adding-a-workload.md").read_text()
    sentence = re.search(r"must not clash with the\s+modules already in `workloads/`\s+\(([^)]*)\)", text)
    assert sentence, "the reserved names sentence moved"
    reserved = set(re.findall(r"`(\w+)`", sentence.group(1)))
    modules = {p.stem for p in (ROOT / "workloads").glob("*.py") if p.stem != "__init__"}
    assert modules <= reserved, modules - reserved
