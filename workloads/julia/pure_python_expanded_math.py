"""pure_python_expanded_math: floats instead of complex objects, squared escape test.

z*z + c is expanded exactly as CPython/PyPy evaluate the complex product, so every step is
bit-identical:  real = (zr*zr - zi*zi) + cr,  imag = (zr*zi + zi*zr) + ci == 2.0*zr*zi + ci
(doubling is exact).  The escape test zr*zr + zi*zi < 4.0 replaces abs(z) < 2 (hypot); the
two could in principle disagree on a point lying within rounding of |z| == 2, but on this
grid they give the identical output (checksum 33219980 and the same sha256 at 1000x300 and
at the small test sizes; the harness verifies it on every run).
"""


def calculate_z(maxiter, zs, cs):
    output = [0] * len(zs)
    for i in range(len(zs)):
        n = 0
        z = zs[i]
        c = cs[i]
        zr = z.real
        zi = z.imag
        cr = c.real
        ci = c.imag
        while n < maxiter and zr * zr + zi * zi < 4.0:
            zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
            n += 1
        output[i] = n
    return output


def prepare(inputs, params):
    zs, cs = inputs
    return zs, cs


def calculate(args, params, threads=1):
    maxiter = params["max_iterations"]
    zs, cs = args
    return calculate_z(maxiter, zs, cs)
