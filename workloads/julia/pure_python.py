"""pure_python: the tutorial's calculate_z_serial_purepython, unchanged (lists, complex, abs)."""


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


def prepare(inputs, params):
    zs, cs = inputs
    return zs, cs


def calculate(args, params, threads=1):
    maxiter = params["max_iterations"]
    zs, cs = args
    return calculate_z_serial_purepython(maxiter, zs, cs)
