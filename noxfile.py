"""pyshootout sessions. Thin on purpose: the work is in shootout/ (orchestrator) and workloads/ (harness).

    nox -s compare [-- --quick | --rigorous | --variant X | --interpreter pypy3 | --sizes 500x300 ...]
    nox -s report -- results/<run-id>
    nox -s tests

`nox -s compare/report/profile` exit with the orchestrator's own code (0/1/2/3/130, see README), not nox's
blanket 1: the session re-raises it as SystemExit, which nox lets through.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import nox

nox.needs_version = ">=2026.10.20"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.download_python = "never"
nox.options.error_on_missing_interpreters = False
nox.options.reuse_venv = "yes"
nox.options.sessions = ["compare"]

PYPROJECT = nox.project.load_toml("pyproject.toml")
ORCHESTRATOR_DEPS = PYPROJECT["project"]["dependencies"]


SHOOTOUT_EXIT_CODES = (1, 2, 3, 130)


# uv installs no .pyc files; where PYTHONDONTWRITEBYTECODE is set none are ever written, and every start of
# the orchestrator would compile scipy and pandas again.
COMPILED = {"UV_COMPILE_BYTECODE": "1"}


def _orchestrator(session: nox.Session, *groups: str) -> None:
    session.install(*ORCHESTRATOR_DEPS, env=COMPILED)
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group), env=COMPILED)


def _forward_sigterm() -> None:
    """nox has no SIGTERM handler: without this, `kill <nox>` would leave the orchestrator running orphaned.
    Forward it to our children, which archive what finished and exit 130."""

    def forward(signum, frame):
        for children in Path("/proc/self/task").glob("*/children"):
            for pid in children.read_text().split():
                try:
                    os.kill(int(pid), signum)
                except ProcessLookupError:
                    pass

    signal.signal(signal.SIGTERM, forward)


def _shootout(session: nox.Session, *args: str, **kwargs) -> None:
    """python -m shootout ...; the session (and nox) then exit with its exit code."""
    _forward_sigterm()
    try:
        session.run("python", "-m", "shootout", *args, *session.posargs, **kwargs)
    except nox.command.CommandFailed as exc:
        if exc.return_code in SHOOTOUT_EXIT_CODES:
            raise SystemExit(exc.return_code) from None
        raise


@nox.session
def compare(session: nox.Session) -> None:
    """Create CPython and PyPy envs, build every variant, run, verify, archive under results/, render the
    report."""
    _orchestrator(session)
    # Ctrl-C: give the orchestrator time to stop workers and archive what finished (nox's default is 0.3 s).
    _shootout(session, "compare", interrupt_timeout=120, terminate_timeout=60)


@nox.session
def report(session: nox.Session) -> None:
    """Re-render report.html from archive(s) alone: nox -s report -- results/<run-id>."""
    _orchestrator(session)
    _shootout(session, "report")  # no archive given: the orchestrator's one-line usage error, exit 2


@nox.session
def diff(session: nox.Session) -> None:
    """Archives side by side, A the baseline: nox -s diff -- results/A results/B [...] [--markdown]."""
    _orchestrator(session)
    _shootout(session, "diff")


@nox.session
def reproduce(session: nox.Session) -> None:
    """Run an archive again as it was recorded, then compare: nox -s reproduce -- results/<run-id>."""
    _orchestrator(session)
    _shootout(session, "reproduce", interrupt_timeout=120, terminate_timeout=60)


@nox.session
def profile(session: nox.Session) -> None:
    """The tutorial's profilers, in their own envs: nox -s profile [-- --sizes 1000x300 --into results/X]."""
    _orchestrator(session)
    _shootout(session, "profile", interrupt_timeout=120, terminate_timeout=60)


@nox.session
def interpreters(session: nox.Session) -> None:
    """Provision CPython builds into .nox/shootout/pythons/: nox -s interpreters -- 3.13 3.13t [--fast]."""
    _orchestrator(session)
    _shootout(session, "interpreters")  # exit codes: 0 ok, 1 a build failed, 2 usage error


@nox.session
def tests(session: nox.Session) -> None:
    """Real builds in real interpreters at small sizes; pass pytest options after --."""
    _orchestrator(session, "test")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(name="tests-freethreaded", default=False)
def tests_freethreaded(session: nox.Session) -> None:
    """Off by default: build CPython 3.13t (the fast profile, ~5 min; cached) and run the compare tests on
    it."""
    _orchestrator(session, "test")
    session.run("python", "-m", "shootout", "interpreters", "--fast", "3.13t")
    session.run("python", "-m", "pytest", "-m", "slow", "tests/test_freethreaded.py",
                "tests/test_provision.py::test_real_free_threaded_build_resolves", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", "shootout", "report", "workloads", "cffi_ext", "tests", "benchmarks",
                "noxfile.py")
    session.run("mypy")  # [tool.mypy] in pyproject.toml says what it checks
