"""The inputs cache must give every later process the very values make_inputs gives (PyPy's array form
too)."""
from __future__ import annotations

import marshal
import math

import pytest

from workloads import inputs_cache
from workloads._runtime import load_workload


@pytest.mark.parametrize("as_arrays", [False, True])
def test_stored_inputs_come_back_identical(monkeypatch, as_arrays):
    monkeypatch.setattr(inputs_cache, "AS_ARRAYS", as_arrays)
    zs = [complex(x / 7, -x / 3) for x in range(2000)] + [complex(-0.0, 0.0), complex(math.inf, -0.0)]
    floats = [x / 11 for x in range(3000)] + [-0.0]
    inputs = (zs, floats, [1, 2, 3], "text")
    back = inputs_cache.decode(marshal.loads(marshal.dumps(inputs_cache.encode(inputs))))
    assert type(back) is tuple and back == inputs
    assert [math.copysign(1, z.real) for z in back[0][-2:]] == [-1.0, 1.0]  # signed zeros kept
    assert math.copysign(1, back[1][-1]) == -1.0
    assert all(type(z) is complex for z in back[0]) and len({id(z) for z in back[0]}) == len(zs)
    stored = inputs_cache.encode(inputs)[2]
    assert [s[0] for s in stored] == (["complex", "float", "value", "value"] if as_arrays else ["value"] * 4)


def test_the_cache_file_is_used_by_the_next_process(tmp_path):
    julia = load_workload("julia")
    params = {"width": 40, "max_iterations": 30}
    first = inputs_cache.load(julia, params, str(tmp_path))
    (cached,) = tmp_path.iterdir()
    assert inputs_cache.load(julia, params, str(tmp_path)) == first == julia.make_inputs(params)
    cached.write_bytes(b"not marshal")  # a damaged cache is rebuilt, never trusted
    assert inputs_cache.load(julia, params, str(tmp_path)) == first
