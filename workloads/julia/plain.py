"""The tutorial's julia1_nopil.py, run the plain way: the harness-overhead check's yardstick.

    python plain.py '{"width": 1000, "max_iterations": 300}' CALLS

Ian Ozsvald's calc_pure_python (EuroSciPy 2014), ported to Python 3: build the grid the way it does, time
calculate_z_serial_purepython, check the sum; one gc.collect() before the calls, as the harness makes. It
imports nothing of pyshootout (only gc, json, sys and time), so whatever the harness does around the same
kernel shows as the ratio of the two (the report's "harness overhead"). The kernel must stay the pure_python
variant's, token for token: tests/test_harness_jit.py checks. Prints one JSON object: {"times_seconds": [one
per call], "checksum": sum(output)}.
"""
import gc
import json
import sys
import time

# area of complex space to investigate
x1, x2, y1, y2 = -1.8, 1.8, -1.8, 1.8
c_real, c_imag = -0.62772, -.42193


def calculate_z_serial_purepython(maxiter, zs, cs):
    """Calculate output list using Julia update rule"""
    output = [0] * len(zs)
    for i in range(len(zs)):
        n = 0
        z = zs[i]
        c = cs[i]
        while n < maxiter and abs(z) < 2:
            z = z * z + c
            n += 1
        output[i] = n
    return output


def calc_pure_python(desired_width, max_iterations, calls):
    """Create a list of complex co-ordinates (zs) and complex parameters (cs), build Julia set"""
    x_step = (float(x2 - x1) / float(desired_width))
    y_step = (float(y1 - y2) / float(desired_width))
    x = []
    y = []
    ycoord = y2
    while ycoord > y1:
        y.append(ycoord)
        ycoord += y_step
    xcoord = x1
    while xcoord < x2:
        x.append(xcoord)
        xcoord += x_step
    zs = []
    cs = []
    for ycoord in y:
        for xcoord in x:
            zs.append(complex(xcoord, ycoord))
            cs.append(complex(c_real, c_imag))
    gc.collect()  # as the harness does before its calls: the grid's objects are promoted now, not in a call
    times = []
    for _ in range(calls):
        start_time = time.perf_counter()
        output = calculate_z_serial_purepython(max_iterations, zs, cs)
        times.append(time.perf_counter() - start_time)
    return times, sum(output)


def pad_jit_code(count):
    """The harness's pad_jit_code, token for token: the same code placement draw as the harness's
    processes."""
    if not count or sys.implementation.name != "pypy":
        return None
    for k in range(count):
        space = {}
        source = f"def pad(n):\n    s = 0\n    for i in range(n):\n        s += i ^ {k}\n    return s\n"
        exec(source, space)  # noqa: S102 - our own text: distinct loops need distinct code objects
        space["pad"](3000)  # past PyPy's loop threshold (1039 iterations): compiled
    return count


if __name__ == "__main__":
    params = json.loads(sys.argv[1])
    pad_jit_code(int(sys.argv[3]) if len(sys.argv) > 3 else 0)
    times, checksum = calc_pure_python(params["width"], params["max_iterations"], int(sys.argv[2]))
    print(json.dumps({"times_seconds": times, "checksum": checksum}))
