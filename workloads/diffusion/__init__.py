"""The 2-D diffusion workload of "High Performance Python" (Gorelick & Ozsvald), matrix chapter.

spec.py holds the parameters, the initial grid, the verification policy and the VARIANTS table;
each variant is one module in this package exposing prepare() and calculate().
"""
