"""Bad input: one line naming the bad value (and the accepted ones), exit 2, nothing written to results/.

In-process (shootout.cli.main with stderr captured): the same code path as the command, fast enough for the
fast tier; tests/test_exit_codes.py checks the real commands' exit codes.
"""

from __future__ import annotations

import pytest

from shootout import cli


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = cli.main(list(args)) if args else None
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--variant", "no_such_variant"],
         "'no_such_variant' is not a variant of julia (accepted: pure_python"),
        (["--workload", "mandelbrot"], "--workload 'mandelbrot' is unknown (accepted: "),
        (["--interpreter", "pypy9"], "--interpreter 'pypy9'"),
        (["--interpreter", "/no/such/python"], "not found"),
        (["--sizes", "0x300"], "width='0' must be >= 1"),
        (["--sizes=-5x300"], "must be >= 1"),
        (["--sizes", "bigx300"], "width='big' is not a whole number"),
        (["--sizes", "1000"], "'1000' is not WIDTHxMAX_ITERATIONS"),
        (["--param", "nosuch=3"], "'nosuch' is not a parameter of julia (accepted: "),
        (["--param", "width=0"], "width='0' must be >= 1"),
        (["--param", "width"], "--param 'width' is not NAME=VALUE"),
        (["--param", "width=10", "--sizes", "20x30"], "--param width and --sizes both set it"),
        (["--threads", "0"], "--threads '0' must be >= 1"),
        (["--processes", "-1"], "--processes '-1' must be >= 1"),
        (["--timeout", "soon"], "--timeout"),
        (["--budget", "soon"], "--budget 'soon' is not a number of minutes"),
        (["--budget", "-3"], "--budget '-3' must be 0 (none) or a positive time"),
        (["--no-such-option"], "unrecognized arguments: --no-such-option"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, needle, tmp_path, capsys):
    results = tmp_path / "results"
    try:
        code, err = run_cli(capsys, "compare", *args, "-o", str(results))
    except SystemExit as exc:  # argparse's own errors exit from inside main
        code, err = exc.code, capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert needle in lines[0]
    assert not results.exists() or not any(results.iterdir())


def test_report_of_a_directory_that_is_not_an_archive(tmp_path, capsys):
    code, err = run_cli(capsys, "report", str(tmp_path))
    assert code == 2
    assert err.strip() == f"pyshootout: error: {tmp_path}: not a pyshootout archive (no manifest.json)"


def test_report_of_a_missing_path(tmp_path, capsys):
    code, err = run_cli(capsys, "report", str(tmp_path / "nope"))
    assert code == 2 and "not a directory" in err and len(err.strip().splitlines()) == 1
