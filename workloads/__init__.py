"""Workloads: code that runs *inside* each target interpreter (CPython and PyPy 3.9).

Stdlib only at this level (harness.py, build.py, <workload>/spec.py); variant modules may
import their own technology (numpy, numba, compiled extensions).  Nothing here imports
shootout/, nox or pandas.
"""
