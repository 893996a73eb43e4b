"""A workload's reference output, and the verdict on one call's output against it (the contract's policy).

The reference is the reference variant's output on the orchestrator's CPython, stored once per parameter set
as REF.json plus the output as a gzip'd little-endian array. Stdlib only, Python 3.9 syntax.

Nothing here hashes while a worker is still calling its kernel: on PyPy, importing hashlib loads `_hashlib`,
whose cffi callback switches on thread support, and from then on every loop the JIT compiles decrements a
thread-switch counter on each iteration (loops compiled before are thrown away and rebuilt with it). Outputs
are compared with the reference's bytes during the calls; sha256 digests (the reference's integrity, a
differing output's digest) are taken by `seal()` after the last timed call. tests/test_harness_jit.py guards
this.
"""
from __future__ import annotations

import gzip
import importlib
import json
import os
import sys
import time
from array import array

from workloads._runtime import interpreter_info, write_bytes_atomic, write_json_atomic
from workloads.contract import OUTPUT_TYPES


class ReferenceError_(Exception):
    """The reference file is missing, inconsistent or for other parameters."""


def to_values(module, output):
    """A variant's output as a flat list of Python numbers (its own to_list, else numpy's or list())."""
    convert = getattr(module, "to_list", None)
    values = convert(output) if convert is not None else output
    if type(values) is list:
        return values  # no copy: it would only be garbage for the next timed call to collect
    if hasattr(values, "ravel"):
        return values.ravel().tolist()
    if hasattr(values, "tolist"):
        return values.tolist()
    return list(values)


def array_bytes(output, reference):
    """An array output (numpy and alike) as the bytes of the declared little-endian element type in row-major
    order, as a memoryview (no copy when it already is that); None for anything else. Called only with method
    names, so nothing here imports numpy. No bytes object: on PyPy a fresh 4 MB one per call costs a major
    collection over the million input objects, inside the timings."""
    astype = getattr(output, "astype", None)
    if astype is None or not hasattr(output, "tobytes"):
        return None
    code = {"int32": "<i4", "float64": "<f8"}[reference.policy.output_type]
    try:
        contiguous = astype(code, order="C", copy=False)
    except TypeError:  # an array type without numpy's copy keyword
        contiguous = astype(code, order="C")
    try:
        return memoryview(contiguous).cast("B")
    except (TypeError, ValueError):
        return memoryview(contiguous.tobytes())


def pack(values, output_type):
    """The values as little-endian bytes of the declared element type (the form hashed and stored)."""
    return packed_view(values, output_type).tobytes()


def packed_view(values, output_type):
    """The same bytes as pack(), as a memoryview of a fresh array (no second copy to compare with)."""
    arr = array(OUTPUT_TYPES[output_type], values)
    if sys.byteorder != "little":
        arr.byteswap()
    return memoryview(arr).cast("B")


def unpack(data, output_type):
    arr = array(OUTPUT_TYPES[output_type])
    arr.frombytes(data)
    if sys.byteorder != "little":
        arr.byteswap()
    return arr


def sha256_hex(data):
    """Imported here, not at the top: see the module docstring (only after the last timed call, or outside
    workers)."""
    import hashlib

    return hashlib.sha256(data).hexdigest()


class Verdict:
    """What one call's output is, measured against the reference. `data` keeps the bytes of an output that is
    not identical to the reference (its digest is taken by Reference.seal, after the calls); None
    otherwise."""

    def __init__(self, ok, checksum, points, differing=0, max_abs_difference=None, how="identical",
                 work_units=None, data=None):
        self.ok, self.checksum, self.points = ok, checksum, points
        self.differing, self.max_abs_difference, self.how = differing, max_abs_difference, how
        self.work_units, self.data = work_units, data
        self.sha256 = None  # set by Reference.seal
        self.call_index = None

    @property
    def identical(self):
        return self.data is None

    def explain(self):
        """A failed verdict in one line: how many values fail the check (values_differing), the checksum."""
        digest = f", sha256 {self.sha256[:16]}…" if self.sha256 else ""
        return f"{self.differing} of {self.points} values {self.how}; checksum {self.checksum}{digest}"


class Reference:
    def __init__(self, data, path, workload, params):
        self.data, self.path, self.workload, self.params = data, path, workload, params
        self.checksum, self.sha256, self.points = data["checksum"], data["output_sha256"], data["points"]
        self.policy = workload.verification
        self._raw = None
        self._values = None
        self._expected_list = None
        self._identical = None  # the Verdict of an output identical to the reference, once one was judged

    @classmethod
    def load(cls, path, workload, params):
        try:
            with open(path) as f:
                data = json.load(f)
        except (OSError, ValueError) as exc:
            raise ReferenceError_(f"cannot read {path}: {exc}") from None
        if (data.get("workload"), data.get("params")) != (workload.name, params):
            raise ReferenceError_(f"{path} is for {data.get('workload')!r} {data.get('params')!r}, "
                                  f"not for {workload.name!r} {params!r}")
        known = workload.known_checksum(params)
        if known is not None and data["checksum"] != known:
            raise ReferenceError_(f"{path} has checksum {data['checksum']!r}, the published one is {known}")
        return cls(data, path, workload, params)

    def raw(self):
        """The stored output's bytes (checked against the reference's sha256 by seal(), after the calls)."""
        if self._raw is None:
            output_path = os.path.join(os.path.dirname(os.path.abspath(self.path)), self.data["output_file"])
            try:
                with open(output_path, "rb") as f:
                    self._raw = gzip.decompress(f.read())
            except (OSError, EOFError, ValueError) as exc:
                raise ReferenceError_(f"cannot read the reference output {output_path}: {exc}") from None
        return self._raw

    def values(self):
        if self._values is None:
            self._values = unpack(self.raw(), self.policy.output_type)
        return self._values

    def expected_list(self):
        """The reference's values as a list, what judge_list() compares a list output with."""
        if self._expected_list is None:
            self._expected_list = list(self.values())
        return self._expected_list

    def load_output(self):
        """Read the stored output in every form a verdict may compare with, before the first timed call: what
        the worker allocates after it is collected inside the later calls (on PyPy, as major collections)."""
        self.expected_list()
        return self

    def seal(self, verdict):
        """After the last timed call: check the stored reference against its sha256 (a corrupt file would
        otherwise have passed every byte comparison) and give the verdict its output's digest."""
        if sha256_hex(self.raw()) != self.sha256:
            raise ReferenceError_("stored reference output does not match its sha256")
        verdict.sha256 = self.sha256 if verdict.identical else sha256_hex(verdict.data)
        return verdict

    def judge(self, values):
        return self._judge_packed(packed_view(values, self.policy.output_type), values)

    def judge_list(self, values):
        """As judge(), for a list: compared with the reference's values as a list, which allocates nothing; an
        identical list has the reference's checksum and work units (taken once)."""
        if values == self.expected_list():
            if self._identical is None:
                self._identical = Verdict(True, self.checksum, self.points,
                                          work_units=self._work(self.values()))
            return self._identical_verdict()
        return self.judge(values)

    def judge_bytes(self, data):
        """As judge(), from the output's bytes (a memoryview): when they are identical to the reference, the
        checksum and work units are those of the identical output judged before, not summed again."""
        if self._identical is not None and data == self.raw():
            return self._identical_verdict()
        return self._judge_packed(data, unpack(data, self.policy.output_type))

    def _judge_packed(self, data, values):
        """`data`: the values' bytes (a memoryview); copied only when they differ from the reference's."""
        if data == self.raw() and len(values) == self.points:
            if self._identical is None:  # the sums of identical outputs are the same: taken once per process
                self._identical = Verdict(True, sum(values), len(values), work_units=self._work(values))
            return self._identical_verdict()
        checksum = sum(values)
        differing, largest = self._compare(values)
        within = self.policy.kind == "tolerance" and differing == 0 and len(values) == self.points
        how = self._how(within, largest)
        if len(values) != self.points:  # _compare counted each missing or extra value as failing
            how += f"; the output has {len(values)} values, the reference {self.points}"
        return Verdict(within, checksum, len(values), differing, largest, how,
                       work_units=self._work(values) if within else None, data=bytes(data))

    def _how(self, within, largest):
        """The record's `verification` for an output whose bytes differ; a failure's follows "N of M values"
        in Verdict.explain. N (values_differing) counts the values that fail the check: under a tolerance
        only those outside it, as the text says, so that it is not read as a count of unequal values."""
        if self.policy.kind != "tolerance":
            return "differ (exact comparison)"
        tolerance = f"rtol={self.policy.rtol:g}, atol={self.policy.atol:g}"
        if within:
            return f"within {tolerance}; max |difference| {largest:.3g}"
        return f"outside {tolerance} (values_differing counts only these); largest difference {largest:.3g}"

    def _identical_verdict(self):
        """A fresh copy of the verdict on an output identical to the reference (the caller may annotate
        it)."""
        same = self._identical
        return Verdict(True, same.checksum, same.points, work_units=same.work_units)

    def _compare(self, values):
        """(values out of policy, largest absolute difference); a length mismatch counts every missing
        value."""
        ref = self.values()
        rtol, atol = self.policy.rtol, self.policy.atol
        exact = self.policy.kind != "tolerance"
        differing, largest = abs(len(values) - len(ref)), 0.0
        for got, want in zip(values, ref):
            diff = abs(got - want)
            largest = max(largest, diff)
            if (got != want) if exact else not (diff <= atol + rtol * abs(want)):
                differing += 1
        return differing, largest

    def _work(self, values):
        return self.workload.count_work(self.params, values)


def make_reference(workload, params, out):
    """Run the reference variant once (untimed purpose) and write REF.json + the gzip'd output."""
    variant = workload.variant(workload.roles.reference)
    module = importlib.import_module(workload.module(variant))
    start = time.perf_counter()
    output = module.calculate(module.prepare(workload.make_inputs(params), params), params, 1)
    values = to_values(module, output)
    seconds = time.perf_counter() - start
    checksum = sum(values)
    known = workload.known_checksum(params)
    if known is not None and checksum != known:
        raise AssertionError(f"reference checksum {checksum} != published {known} for {params}")
    data = pack(values, workload.verification.output_type)
    stem = os.path.basename(out)[: -len(".json")] if out.endswith(".json") else os.path.basename(out)
    output_file = f"{stem}.{workload.verification.output_type}le.gz"
    write_bytes_atomic(os.path.join(os.path.dirname(os.path.abspath(out)), output_file),
                       gzip.compress(data, mtime=0))
    ref = {"workload": workload.name, "params": params, "label": workload.format_label(params),
           "checksum": checksum, "output_sha256": sha256_hex(data), "output_file": output_file,
           "output_type": workload.verification.output_type, "points": len(values),
           "reference_variant": variant.name, "known_checksum": known, "seconds": seconds,
           "interpreter": interpreter_info()}
    write_json_atomic(out, ref)
    return ref
