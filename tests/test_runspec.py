"""The typed run description (shootout/results/runspec.py): one reader of metadata.json's run spec and of
the manifest for `compare --resume`, `reproduce` and `profile --into`, checked on the committed fixture
archives."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import ROOT

from shootout.results import archive
from shootout.results.runspec import DERIVED_MANIFEST_FIELDS, Manifest, RunSpec
from shootout.run import options
from shootout.run.compare import WorkloadSelection
from shootout.run.interpreters import TargetInterpreter
from shootout.run.matrix import Method
from shootout.run.options import recorded_options
from workloads._runtime import load_workload

FIXTURES = [ROOT / "tests" / "fixtures" / name for name in ("archive-v1", "archive-v2")]


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_the_manifest_reads_back_to_what_publish_wrote(path):
    raw = json.loads((path / archive.MANIFEST).read_text())
    manifest = Manifest.from_json(raw)
    assert manifest.run_id == raw["run_id"] and manifest.status == "complete"
    assert manifest.to_json() == {k: v for k, v in raw.items() if k not in DERIVED_MANIFEST_FIELDS}
    added = replace(manifest, added={"profiled_by": ["nox", "-s", "profile"]}).to_json()
    assert Manifest.from_json(added).added == {"profiled_by": ["nox", "-s", "profile"]}


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_the_run_spec_gives_the_cells_method_and_columns_it_ran(path):
    data = archive.read(path)
    spec = RunSpec.of(data)
    assert [w.name for w in spec.workloads] == ["julia"]
    assert spec.workloads[0].variants == data.metadata["variants"]["julia"]
    assert [s.label for s in spec.workloads[0].sizes] == [s["label"] for s in data.metadata["sizes"]["julia"]]
    assert spec.seed == data.metadata["seed"] and spec.threads == data.metadata["threads"]
    assert [i.name for i in spec.interpreters] == [i["name"] for i in data.metadata["interpreters"]]
    method = Method.from_json(spec.method)
    assert method.stop_rule == data.metadata["method"].get("stop_rule", "median")  # older: the median rule


def test_recorded_options_run_the_recorded_cells_with_their_labels(tmp_path):
    spec = RunSpec.of(archive.read(FIXTURES[1]))
    options = recorded_options(spec, None, interpreters=[], results_dir=tmp_path, work_dir=tmp_path,
                               build_timeout=1.0, command_line=["test"])
    (selection,) = options.selections
    assert selection.variant_names == spec.workloads[0].variants
    assert [s.label for s in selection.sizes] == [s.label for s in spec.workloads[0].sizes]
    assert (options.seed, options.threads) == (spec.seed, spec.threads)


def test_metadata_that_describes_no_run_is_one_line(tmp_path):
    data = archive.read(FIXTURES[1])
    broken = replace(data, metadata={k: v for k, v in data.metadata.items() if k != "seed"})
    with pytest.raises(archive.ArchiveError) as caught:
        RunSpec.of(broken)
    assert "metadata.json: does not describe a run" in str(caught.value) and "\n" not in str(caught.value)


def test_the_threads_control_is_planned_by_default_only_beside_a_free_threaded_column():
    julia = load_workload("julia")
    control = julia.roles.threads_control
    every = [WorkloadSelection(julia, list(julia.table()), [])]

    def column(name: str, free: bool, available: bool = True) -> TargetInterpreter:
        return TargetInterpreter(name, name, "/x", "cpython", "3.13", available=available,
                                 info={"free_threaded": free})

    with_gil = options.without_idle_control(every, [column("cpython3.13", False)], named=False)
    assert control not in with_gil[0].variant_names
    assert with_gil[0].variant_names == [n for n in julia.table() if n != control]
    free = [column("cpython3.13", False), column("cpython3.13t", True)]
    assert options.without_idle_control(every, free, named=False) == every
    missing = [column("cpython3.13", False), column("cpython3.13t", True, available=False)]
    assert control not in options.without_idle_control(every, missing, named=False)[0].variant_names
    assert options.without_idle_control(every, [column("cpython3.13", False)], named=True) == every
