"""The workload contract (workloads/contract.py, docs/adding-a-workload.md) on its own and through a real run.

The slow test runs a real compare of tests/fixtures/workloads/wordfreq — a workload written from the doc
alone, kept outside workloads/ and reached only through --workloads-path — on CPython and PyPy. The others are
pure logic: Parameter.parse, the Workload helpers, the archive snapshot round trip and the CLI's one-line
errors.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import JULIA, PYPY, ROOT, WORK_DIR, only_archive, run_shootout

import workloads
from shootout import cli
from shootout.results import archive
from shootout.results.snapshot import ContractSnapshot
from shootout.run import catalog
from workloads.contract import Parameter, Roles, Variant, Verification, Workload

FIXTURE_PATH = ROOT / "tests" / "fixtures" / "workloads"
WORDFREQ_DIR = FIXTURE_PATH / "wordfreq"
WORDFREQ_VARIANTS = ["pure_python", "python_counter", "numpy_unique", "cython_ids"]


@pytest.fixture()
def wordfreq(monkeypatch):
    """The fixture workload's contract, loaded in-process the way --workloads-path makes the CLI load it.

    `workloads` is already imported here (conftest loads Julia), so its __path__ no longer follows the
    variable by itself: extend it for the duration of the test."""
    monkeypatch.setenv(catalog.WORKLOADS_PATH_ENV, str(FIXTURE_PATH))
    monkeypatch.setattr(workloads, "__path__", [*workloads.__path__, str(FIXTURE_PATH)])
    yield catalog.load("wordfreq")
    for name in [m for m in sys.modules if m == "workloads.wordfreq" or m.startswith("workloads.wordfreq.")]:
        del sys.modules[name]


# ------------------------------------------------------------------ a real compare of the fixture workload


@pytest.fixture(scope="module")
def wordfreq_archive(tmp_path_factory) -> Path:
    if PYPY is None:
        pytest.fail("pypy3 is not installed: apt-get install pypy3 pypy3-dev pypy3-venv (see README)")
    results = tmp_path_factory.mktemp("wordfreq")
    proc = run_shootout(
        "compare", "--workloads-path", os.path.relpath(FIXTURE_PATH, ROOT), "--workload", "wordfreq",
        "--quick", "--interpreter", f"{sys.executable},{PYPY}", "-o", str(results),
        "--work-dir", str(WORK_DIR),
        "--no-build-cache",  # the Cython variant is compiled for real in both interpreters, every time
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return only_archive(results)


@pytest.mark.slow
def test_fixture_workload_runs_and_verifies_everywhere(wordfreq_archive, wordfreq):
    data = archive.read(wordfreq_archive)
    cells = {(r.variant, r.interpreter.implementation) for r in data.records}
    assert cells == {(v, impl) for v in WORDFREQ_VARIANTS for impl in ("cpython", "pypy")}
    quick = wordfreq.defaults(quick=True)
    for record in data.records:
        where = f"{record.variant} on {record.interpreter.name}"
        assert record.status == "ok" and record.verified, f"{where}: {record.error}"
        assert record.params == quick and record.size == wordfreq.format_label(quick)
        assert record.calls_verified == len(record.times_seconds) >= 2, where
        assert record.work_units == quick["tokens"] and record.points == quick["words"]
        assert record.checksum == record.expected_checksum == wordfreq.known_checksum(quick)
        assert record.prepare_seconds is not None
        assert len(record.output_seconds) in (1, len(record.times_seconds))
    # the compiled variant really was built, in both interpreters, and its extension is what ran
    builds = {(b["env"], b["variant"]): b for b in json.loads((wordfreq_archive / "builds.json").read_text())}
    for env in {r.interpreter.name for r in data.records}:
        built = builds[(env, "cython_ids")]
        assert built["status"] == "ok" and built["extension_sha256"] and not built["cached"], built
        assert (wordfreq_archive / built["log_file"]).is_file()
        assert builds[(env, "pure_python")]["status"] == "not_needed"
    assert all(r.kernel_module_file and "wordfreq_cython" in r.kernel_module_file
               for r in data.records if r.variant == "cython_ids")


@pytest.mark.slow
def test_archive_snapshots_the_fixture_contract(wordfreq_archive, wordfreq):
    data = archive.read(wordfreq_archive)
    assert data.metadata["workloads"] == ["wordfreq"]
    assert data.metadata["variants"] == {"wordfreq": WORDFREQ_VARIANTS}
    assert data.metadata["contracts"]["wordfreq"] == catalog.snapshot(wordfreq, WORDFREQ_VARIANTS)
    snap = data.contracts["wordfreq"]
    assert snap == ContractSnapshot.from_json(catalog.snapshot(wordfreq, WORDFREQ_VARIANTS))
    assert (snap.title, snap.work_unit, snap.roles.baseline, snap.roles.scalar_c) == (
        "Word frequencies", "token", "pure_python", "cython_ids")
    # every source the run depended on is inside the fixture folder
    fixture_rel = WORDFREQ_DIR.relative_to(ROOT).as_posix() + "/"
    sources = [path for v in snap.variants for path in v.sources]
    assert sources and all(path.startswith(fixture_rel) for path in sources), sources
    assert all(digest for v in snap.variants for digest in v.sources.values())
    reference = json.loads(next((wordfreq_archive / "references").glob("wordfreq-*.json")).read_text())
    assert reference["checksum"] == reference["known_checksum"] == 52449


def test_catalog_finds_the_fixture_only_through_the_path(monkeypatch):
    monkeypatch.delenv(catalog.WORKLOADS_PATH_ENV, raising=False)
    assert "wordfreq" not in catalog.available()
    assert not (catalog.WORKLOADS_DIR / "wordfreq").exists()
    with pytest.raises(catalog.WorkloadError, match="no workload folder 'wordfreq'"):
        catalog.folder("wordfreq")
    monkeypatch.setenv(catalog.WORKLOADS_PATH_ENV, str(FIXTURE_PATH))
    assert "wordfreq" in catalog.available() and "julia" in catalog.available()
    assert catalog.folder("wordfreq") == WORDFREQ_DIR
    assert catalog.folder("julia") == catalog.WORKLOADS_DIR / "julia"


# ------------------------------------------------------------------ Parameter.parse


@pytest.mark.parametrize(("parameter", "text", "value"), [
    (Parameter("n", 10, 2), "7", 7),
    (Parameter("n", 10, 2), "1", 1),
    (Parameter("n", 10, 2, minimum=0), "0", 0),
    (Parameter("dt", 0.1, 0.2, kind="float", minimum=0), "0.25", 0.25),
    (Parameter("dt", 0.1, 0.2, kind="float", minimum=0), "1e-3", 0.001),
])
def test_parameter_parse_accepts(parameter, text, value):
    parsed = parameter.parse(text)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(("parameter", "text", "message"), [
    (Parameter("n", 10, 2), "abc", "n='abc' is not a whole number"),
    (Parameter("n", 10, 2), "1.5", "n='1.5' is not a whole number"),
    (Parameter("n", 10, 2), "", "n='' is not a whole number"),
    (Parameter("n", 10, 2), "0", "n='0' must be >= 1"),
    (Parameter("n", 10, 2), "-3", "n='-3' must be >= 1"),
    (Parameter("n", 10, 2, minimum=4), "3", "n='3' must be >= 4"),
    (Parameter("dt", 0.1, 0.2, kind="float", minimum=0), "fast", "dt='fast' is not a number"),
    (Parameter("dt", 0.1, 0.2, kind="float", minimum=0.5), "0.25", "dt='0.25' must be >= 0.5"),
])
def test_parameter_parse_refuses_naming_what_is_accepted(parameter, text, message):
    with pytest.raises(ValueError) as caught:
        parameter.parse(text)
    assert str(caught.value) == message


# ------------------------------------------------------------------ the Workload helpers


def _toy(**changes) -> Workload:
    fields = {
        "name": "toy", "title": "Toy", "summary": "a toy", "label": "{n}-{m}", "work_unit": "item",
        "parameters": (Parameter("n", 100, 10, "items"), Parameter("m", 3, 2, "rounds")),
        "verification": Verification("tolerance", "float64", rtol=1e-9, atol=1e-12),
        "roles": Roles(baseline="slow", reference="slow", scalar_c="fast", limit_serial="fast"),
        "variants": (
            Variant("slow", "python", ("slow.py",), description="the loop"),
            Variant("fast", "cython", ("fast.py", "toy_fast.pyx"), build="cython",
                    extension_module="toy_fast", parallel=True, openmp=True, schedule="static",
                    schedule_group="g", slow_reasons={"pypy": "cpyext"}, unsupported={"pypy": "no"})),
        "fixtures": (Variant("broken", "python", ("fixtures/broken.py",)),),
        "make_inputs": lambda params: list(range(params["n"])),
        "count_work": lambda params, values: params["n"],
        "known_checksums": (((("m", 3), ("n", 100)), 4950),),
    }
    fields.update(changes)
    return Workload(**fields)


def test_variant_lookup_and_table():
    toy = _toy()
    assert list(toy.table()) == ["slow", "fast"]
    assert list(toy.table(include_fixtures=True)) == ["slow", "fast", "broken"]
    assert toy.variant("fast").compiled and not toy.variant("slow").compiled
    assert toy.variant("broken").name == "broken"  # fixtures are found by default...
    with pytest.raises(KeyError) as caught:
        toy.variant("broken", include_fixtures=False)  # ...unless excluded
    assert "'broken' is not a variant of toy (accepted: slow, fast)" in str(caught.value)
    with pytest.raises(KeyError, match="accepted: slow, fast"):
        toy.variant("nosuch")


def test_module_names():
    toy = _toy()
    assert toy.module(toy.variant("slow")) == "workloads.toy.slow"
    assert toy.module(toy.variant("broken")) == "workloads.toy.fixtures.broken"
    assert JULIA.module(JULIA.variant("wrong_kernel")) == "workloads.julia.fixtures.wrong_kernel"


def test_defaults_label_and_known_checksum():
    toy = _toy()
    assert toy.defaults() == {"n": 100, "m": 3} and toy.defaults(quick=True) == {"n": 10, "m": 2}
    assert toy.format_label({"n": 100, "m": 3}) == "100-3"
    assert toy.known_checksum({"n": 100, "m": 3}) == toy.known_checksum({"m": 3, "n": 100}) == 4950
    assert toy.known_checksum({"n": 10, "m": 2}) is None
    assert JULIA.known_checksum({"width": 1000, "max_iterations": 300}) == 33219980
    assert JULIA.format_label(JULIA.defaults()) == "1000x300"


def test_fixture_workload_declares_what_the_doc_asks(wordfreq):
    assert wordfreq.name == "wordfreq" and wordfreq.work_unit == "token"
    assert [v.name for v in wordfreq.variants] == WORDFREQ_VARIANTS
    assert wordfreq.verification == Verification("exact", "int32")
    for variant in wordfreq.variants:  # every source named relative to the folder exists
        assert all((WORDFREQ_DIR / s).is_file() for s in variant.sources), variant.name
        assert (WORDFREQ_DIR / f"{variant.name}.py").is_file()
    params = {"tokens": 5000, "words": 20}
    tokens, words = wordfreq.make_inputs(params)
    assert len(tokens) == 5000 and len(words) == 20 and len(set(words)) == 20
    assert wordfreq.make_inputs(params) == (tokens, words)  # deterministic
    assert wordfreq.count_work(params, [0] * 20) == 5000
    # the reference variant runs in-process, stdlib only, and leaves its input alone
    module = importlib.import_module(wordfreq.module(wordfreq.variant(wordfreq.roles.reference)))
    prepared = module.prepare((list(tokens), list(words)), params)
    first = module.calculate(prepared, params, 1)
    assert first == module.calculate(prepared, params, 1) and prepared == (tokens, words)
    assert first == [tokens.count(w) for w in words]


# ------------------------------------------------------------------ the archive snapshot


def test_to_json_round_trips_through_the_snapshot():
    toy = _toy()
    data = json.loads(json.dumps(toy.to_json()))  # plain data: survives JSON unchanged
    assert data == toy.to_json()
    # to_json lists each variant's sources; the archive (catalog.snapshot) maps each to its sha256 (None:
    # missing), and only that form is what ContractSnapshot reads
    for variant in data["variants"]:
        variant["sources"] = {path: None for path in variant["sources"]}
    snap = ContractSnapshot.from_json(data)
    assert ((snap.name, snap.title, snap.summary, snap.label, snap.work_unit)
            == ("toy", "Toy", "a toy", "{n}-{m}", "item"))
    assert (snap.roles.baseline, snap.roles.reference, snap.roles.scalar_c) == ("slow", "slow", "fast")
    assert snap.roles.limit_for(1) == "fast" and snap.roles.limit_for(4) is None
    assert [v.name for v in snap.variants] == ["slow", "fast"]  # fixtures are not part of the contract's data
    fast = snap.variant("fast")
    assert fast.compiled and fast.parallel and fast.schedule == "static" and fast.schedule_group == "g"
    assert fast.slow_reasons == {"pypy": "cpyext"} and fast.description == ""
    assert not snap.variant("slow").compiled and snap.variant("broken") is None
    assert snap.verification == {"kind": "tolerance", "output_type": "float64", "rtol": 1e-9, "atol": 1e-12}
    assert [p["name"] for p in snap.parameters] == ["n", "m"] and snap.parameters[0]["quick"] == 10
    assert snap.cflags == ("-O3", "-ffp-contract=off") and snap.order == {"slow": 0, "fast": 1}


def test_julia_and_fixture_contracts_round_trip(wordfreq):
    for workload in (JULIA, wordfreq):
        names = list(workload.table())
        data = json.loads(json.dumps(catalog.snapshot(workload, names)))
        snap = ContractSnapshot.from_json(data)
        assert [v.name for v in snap.variants] == names
        assert snap.roles.baseline == workload.roles.baseline and snap.work_unit == workload.work_unit
        assert all(v.sources and all(v.sources.values()) for v in snap.variants)


# ----------------------------------------------------------------- the CLI: one line, exit 2, nothing written


@pytest.mark.parametrize(("args", "message"), [
    (["--param", "nosuch=1"],
     "--param: 'nosuch' is not a parameter of julia (accepted: max_iterations, width)"),
    (["--param", "width=0"], "--param width='0' must be >= 1"),
    (["--param", "width=abc"], "--param width='abc' is not a whole number"),
    (["--param", "width=100,abc"], "--param width='abc' is not a whole number"),
    (["--sizes", "10"], "--sizes '10' is not WIDTHxMAX_ITERATIONS (e.g. 1000x300)"),
])
def test_bad_parameters_are_one_line_and_exit_2(args, message, tmp_path, capsys):
    results = tmp_path / "results"
    code = cli.main(["compare", *args, "-o", str(results), "--work-dir", str(tmp_path / "work")])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"pyshootout: error: {message}\n"
    assert not results.exists() and not (tmp_path / "work").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--param", "tokens=0"], "--param tokens='0' must be >= 1"),
    (["--param", "width=10"], "--param: 'width' is not a parameter of wordfreq (accepted: tokens, words)"),
    (["--sizes", "100x10x3"], "--sizes '100x10x3' is not TOKENSxWORDS (e.g. 2000000x1000)"),
])
def test_bad_parameters_of_a_workload_on_the_path(args, message, wordfreq, tmp_path, capsys):
    code = cli.main(["compare", "--workloads-path", str(FIXTURE_PATH), "--workload", "wordfreq", *args,
                     "-o", str(tmp_path / "results")])
    assert (code, capsys.readouterr().err) == (2, f"pyshootout: error: {message}\n")


def test_workloads_path_works_after_workloads_was_imported(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv(catalog.WORKLOADS_PATH_ENV, raising=False)
    assert "workloads" in sys.modules  # conftest loaded Julia
    code = cli.main(["compare", "--workloads-path", str(FIXTURE_PATH), "--workload", "wordfreq",
                     "--param", "tokens=0", "-o", str(tmp_path / "results")])
    assert (code, capsys.readouterr().err) == (2, "pyshootout: error: --param tokens='0' must be >= 1\n")


def test_the_doc_names_every_contract_field():
    """docs/adding-a-workload.md is the contract in one place: every field of Workload, Variant, Parameter,
    Verification, Roles and Figure is named in it (so a new field cannot be added without documenting it)."""
    import dataclasses

    from workloads import contract

    text = (ROOT / "docs" / "adding-a-workload.md").read_text()
    for cls in (contract.Workload, contract.Variant, contract.Parameter, contract.Verification,
                contract.Roles, contract.Figure):
        missing = [f.name for f in dataclasses.fields(cls)
                   if f"`{f.name}`" not in text and f"{f.name}=" not in text]
        assert not missing, f"{cls.__name__}: {missing} not in docs/adding-a-workload.md"
    for command in ("--workloads-path", "--param", "--sizes", "--quick", "nox -s compare --", "KERNEL_MODULE",
                    "prepare_seconds", "output_seconds", "to_list"):
        assert command in text, command


def test_the_threads_control_must_be_a_parallel_pure_python_variant():
    assert JULIA.roles.threads_control == "pure_python_threads_private" and JULIA.problem() is None
    for name in ("pure_python", "cffi_openmp"):  # not parallel; not pure Python
        with pytest.raises(ValueError, match="threads_control is not a parallel variant of technology"):
            replace(JULIA, roles=replace(JULIA.roles, threads_control=name))
