"""The Julia-set workload of Ian Ozsvald's EuroSciPy 2014 "High Performance Python" tutorial.

spec.py holds the parameters, the grid builder, the reference checksum and the VARIANTS table;
each variant is one module in this package exposing prepare() and calculate().
"""
