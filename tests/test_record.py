"""The one record type: what the harness writes is what every reader gets back, checked field by field."""

from __future__ import annotations

import ast
import json

import pytest
from conftest import ROOT

from shootout.results import archive
from workloads.record import Build, Interpreter, Record, RecordError


def _record(**fields) -> Record:
    interpreter = Interpreter(name="cpython3.11", implementation="cpython")
    return Record(workload="w", variant="v", interpreter=interpreter,
                  params={"n": 3}, threads=1, process_index=2, technology="python", size="3", status="ok",
                  verified=True, times_seconds=[0.5, 0.25], build=Build(seconds=1.5, flags=["-O3"]), **fields)


def test_from_json_of_to_json_is_the_same_record():
    record = _record(round=4, started_at=12.5)
    record.extra["added_later"] = {"kept": True}
    again = Record.from_json(json.loads(json.dumps(record.to_json())))
    assert again == record and again.extra == {"added_later": {"kept": True}}
    assert again.cell_key == ("w", "v", "cpython3.11", 1, "3") and again.ok


@pytest.mark.parametrize(("change", "message"), [
    ({"threads": 0}, "field 'threads' has an invalid value '0'"),
    ({"times_seconds": [0.1, -1]}, "field 'times_seconds' has an invalid value '[0.1, -1]'"),
    ({"size": None, "threads": 0}, "field 'threads' has an invalid value '0'"),  # the first in field order
    ({"interpreter": {"implementation": "pypy"}}, "no 'interpreter.name' field"),
    ({"build": {"seconds": "soon"}}, "field 'build.seconds' has an invalid value 'soon'"),
    ({"verified": False}, "status ok without a verified output and its times"),
    ({"memory_peak_bytes": -1}, "field 'memory_peak_bytes' has an invalid value '-1'"),
    ({"memory_before_bytes": 1.5}, "field 'memory_before_bytes' has an invalid value '1.5'"),
    ({"memory_peak_method": "guess"}, "field 'memory_peak_method' has an invalid value 'guess'"),
    ({"interpreter_start_seconds": -0.01}, "field 'interpreter_start_seconds' has an invalid value '-0.01'"),
])
def test_from_json_names_the_first_bad_field_in_one_line(change, message):
    data = {**_record().to_json(), **change}
    with pytest.raises(RecordError) as caught:
        Record.from_json(data)
    assert str(caught.value) == message


def test_the_memory_and_start_up_fields_round_trip_and_are_optional():
    record = _record(memory_before_bytes=30 << 20, memory_peak_bytes=45 << 20, memory_peak_method="vmhwm",
                     interpreter_start_seconds=0.021)
    assert Record.from_json(json.loads(json.dumps(record.to_json()))) == record
    older = {k: v for k, v in record.to_json().items() if not k.startswith(("memory_", "interpreter_start"))}
    again = Record.from_json(older)
    assert again.memory_peak_bytes is None and again.interpreter_start_seconds is None and again.ok


def test_a_required_field_missing_is_named():
    data = _record().to_json()
    del data["work_units"]
    with pytest.raises(RecordError, match="^no 'work_units' field$"):
        Record.from_json(data)


def test_the_harness_side_runs_on_python_3_9_syntax():
    ast.parse((ROOT / "workloads" / "record.py").read_text(), feature_version=(3, 9))


def test_an_archive_of_the_first_schema_loads_as_records():
    data = archive.read(ROOT / "tests" / "fixtures" / "archive-v1")
    assert data.records and all(isinstance(r, Record) for r in data.records)
    assert all(r.size and r.interpreter.name for r in data.records)  # v1 had no size label: migrated
    assert all(r.cpu_pinned is None or isinstance(r.cpu_pinned, list) for r in data.records)
