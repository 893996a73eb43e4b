"""The workload folder as a new user meets it: written from docs/adding-a-workload.md, outside the checkout.

A WORKLOAD that is not a contract is one usage line naming the folder and what is wrong.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import workloads
from shootout import catalog, cli

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
