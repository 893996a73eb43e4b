"""A later call's output is judged from its bytes; that shortcut must still catch a call that differs."""
from __future__ import annotations

import numpy as np
import pytest

from workloads._runtime import load_workload
from workloads.verify import Reference, array_bytes, make_reference

PARAMS = {"width": 40, "max_iterations": 30}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    workload = load_workload("julia")
    path = tmp_path_factory.mktemp("ref") / "julia-40x30.json"
    make_reference(workload, PARAMS, str(path))
    return Reference.load(str(path), workload, PARAMS)


def reference_array(reference) -> np.ndarray:
    return np.asarray(reference.values(), dtype=np.int64)  # not the declared int32: array_bytes must convert


def test_identical_bytes_reuse_the_first_verdict(reference):
    first = reference.judge(list(reference.values()))
    later = reference.judge_bytes(array_bytes(reference_array(reference), reference))
    assert first.ok and later.ok
    assert (later.checksum, later.work_units, later.points) == (first.checksum, first.work_units,
                                                                first.points)


def test_a_later_call_that_differs_is_caught(reference):
    reference.judge(list(reference.values()))
    wrong = reference_array(reference)
    wrong[7] += 1
    verdict = reference.judge_bytes(array_bytes(wrong, reference))
    assert not verdict.ok and verdict.differing == 1
    assert verdict.checksum == reference.checksum + 1


def test_a_shorter_output_is_caught(reference):
    verdict = reference.judge_bytes(array_bytes(reference_array(reference)[:-1], reference))
    assert not verdict.ok and verdict.differing >= 1


def test_non_contiguous_arrays_are_read_in_row_major_order(reference):
    square = reference_array(reference).reshape(-1, 40)
    flipped = np.asfortranarray(square)  # same values, column-major memory
    assert reference.judge_bytes(array_bytes(flipped, reference)).ok
