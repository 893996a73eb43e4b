"""Workloads: code that runs *inside* each target interpreter (CPython and PyPy 3.9).

Stdlib only at this level (harness.py, build.py, verify.py, contract.py, <workload>/spec.py); variant modules
may import their own technology (numpy, numba, compiled extensions). Nothing here imports shootout/, nox or
pandas.

A workload folder may live outside this package: list its parent directory in PYSHOOTOUT_WORKLOADS_PATH
(os.pathsep-separated) and it is imported as workloads.<name>, exactly like the folders here.
"""
import os

WORKLOADS_PATH_ENV = "PYSHOOTOUT_WORKLOADS_PATH"

__path__.extend(
    os.path.abspath(d) for d in os.environ.get(WORKLOADS_PATH_ENV, "").split(os.pathsep) if d
)
