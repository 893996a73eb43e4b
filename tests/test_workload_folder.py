"""The workload folder as a new user meets it: written from docs/adding-a-workload.md, outside the checkout.

A WORKLOAD that is not a contract is one usage line naming the folder and what is wrong; a failed tolerance
check reads as a failure and says what values_differing counts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import workloads
from shootout import catalog, cli
from workloads.verify import Reference, make_reference

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
    ("older_api", OLDER_API, "WORKLOAD is a workloads.older_api.spec.Workload, not a workloads.contract.Workload"),
    ("renamed", RENAMED, "WORKLOAD.name is 'julia', not the folder's name 'renamed'"),
])
def test_a_workload_that_is_not_a_contract_is_one_usage_line(name, spec, problem, folder_of, tmp_path, capsys):
    folder = folder_of(name, spec.format(name=name))
    results = tmp_path / "results"
    code = cli.main(["compare", "--workloads-path", str(folder.parent), "--workload", name, "-o", str(results)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"pyshootout: error: {folder / 'spec.py'}: ") and problem in err, err
    assert not results.exists()


# ------------------------------------------------------------------ a failed tolerance check reads as a failure


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
