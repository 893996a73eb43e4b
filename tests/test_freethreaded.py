"""A real compare on a provisioned free-threaded CPython (3.13t): what runs there runs with the GIL off, what
cannot is `unsupported` with its reason, and the record says whether the GIL stayed off.

Provisioning takes minutes, so this uses a 3.13t under .nox/shootout/pythons/ when there is one and is skipped
with the command that makes one otherwise. `nox -s tests-freethreaded` (off by default) builds one first.
"""

from __future__ import annotations

import pytest
from conftest import WORK_DIR, only_archive, run_shootout

from shootout.results import archive
from shootout.run import provision

VARIANTS = ["pure_python", "pure_python_threads", "numpy_vectorised", "cython_memoryview", "cffi_c",
            "numba_njit"]
UNSUPPORTED = {"cffi_c": "switches the GIL back on", "numba_njit": "no build for free-threaded CPython"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def free_threaded_archive(tmp_path_factory):
    build = provision.find("3.13t")
    if build is None:
        pytest.skip("no free-threaded CPython under .nox/shootout/pythons: "
                    "`nox -s interpreters -- --fast 3.13t` (about 5 minutes) or `nox -s tests-freethreaded`")
    results = tmp_path_factory.mktemp("free-threaded")
    proc = run_shootout("compare", "--interpreter", str(build.executable), "--variant", ",".join(VARIANTS),
                        "--sizes", "60x40", "--threads", "1,2", "--processes", "2", "--calls", "2",
                        "--jit-calls", "3", "-o", str(results), "--work-dir", str(WORK_DIR))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return archive.read(only_archive(results))


def test_supported_cells_run_verified_with_the_gil_off(free_threaded_archive):
    ran = [r for r in free_threaded_archive.records if r.variant not in UNSUPPORTED]
    assert {r.variant for r in ran} == set(VARIANTS) - set(UNSUPPORTED)
    for record in ran:
        where = f"{record.variant} t{record.threads}"
        assert record.status == "ok" and record.verified, f"{where}: {record.error}"
        assert record.interpreter.free_threaded is True, where
        assert record.gil_enabled_after is False, f"{where}: the GIL came back on"
    assert {r.threads for r in ran if r.variant == "pure_python_threads"} == {1, 2}


def test_what_cannot_run_free_threaded_is_unsupported_with_its_reason(free_threaded_archive):
    for variant, reason in UNSUPPORTED.items():
        records = [r for r in free_threaded_archive.records if r.variant == variant]
        assert records and all(r.status == "unsupported" and reason in r.error for r in records), records
