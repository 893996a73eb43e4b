"""The workload's plain-Python inputs, made once per interpreter and parameter set and loaded by every later
worker process (untimed set-up; stdlib only, Python 3.9 syntax).

Stored with marshal. On PyPy a long list of floats or complex numbers is stored as arrays of doubles instead:
`map(complex, re, im)` over two arrays builds it several times faster than PyPy's marshal does
(docs/method.md, "Worker set-up"), and the values and the list of distinct objects are the same either way.

The file name's key is a CRC of the spec and parameters, not a sha256: this runs in the worker before its
timed calls, and hashlib must not be imported there (verify.py says why). A collision would only hand a worker
wrong inputs, which its verification catches.
"""
from __future__ import annotations

import json
import marshal
import os
import sys
import zlib
from array import array

from workloads._runtime import workload_dir, write_bytes_atomic

FORMAT = 2  # in the key: files of the plain-marshal format 1 are never read as this one
AS_ARRAYS = sys.implementation.name == "pypy"
SHORTEST = 1024  # shorter lists are not worth converting


def load(workload, params, directory):
    """make_inputs(params), or the same values stored by an earlier process of this interpreter. The key
    covers the workload's spec.py, the parameters and the interpreter's marshal format."""
    if not directory:
        return workload.make_inputs(params)
    with open(os.path.join(workload_dir(workload.name), "spec.py"), "rb") as f:
        spec = f.read()
    described = json.dumps([workload.name, params, sys.implementation.cache_tag, marshal.version, FORMAT],
                           sort_keys=True).encode()
    key = f"{zlib.crc32(described):08x}{zlib.crc32(spec):08x}{zlib.adler32(described + spec):08x}"
    path = os.path.join(directory, f"{workload.name}-{key}.marshal")
    try:
        with open(path, "rb") as f:
            return decode(marshal.loads(f.read()))  # marshal.load(f) reads in small pieces, many times slower
    except (OSError, EOFError, ValueError, TypeError, KeyError):
        pass
    inputs = workload.make_inputs(params)
    try:
        write_bytes_atomic(path, marshal.dumps(encode(inputs)))
    except (OSError, ValueError):  # not marshallable, or no room: the cache is only a shortcut
        pass
    return inputs


def encode(inputs):
    if isinstance(inputs, (tuple, list)):
        return ("sequence", type(inputs) is tuple, [_encode_one(v) for v in inputs])
    return ("value", inputs)


def decode(stored):
    kind = stored[0]
    if kind == "sequence":
        items = [_decode_one(v) for v in stored[2]]
        return tuple(items) if stored[1] else items
    if kind == "value":
        return stored[1]
    raise ValueError(f"unknown inputs cache entry {kind!r}")


def _encode_one(value):
    if AS_ARRAYS and type(value) is list and len(value) >= SHORTEST:
        if all(type(v) is complex for v in value):
            return ("complex", array("d", [v.real for v in value]).tobytes(),
                    array("d", [v.imag for v in value]).tobytes())
        if all(type(v) is float for v in value):
            return ("float", array("d", value).tobytes())
    return ("value", value)


def _doubles(data):
    values = array("d")
    values.frombytes(data)  # native byte order both ways: the cache never leaves this machine
    return values


def _decode_one(stored):
    kind = stored[0]
    if kind == "complex":
        return list(map(complex, _doubles(stored[1]), _doubles(stored[2])))
    if kind == "float":
        return _doubles(stored[1]).tolist()
    if kind == "value":
        return stored[1]
    raise ValueError(f"unknown inputs cache entry {kind!r}")
