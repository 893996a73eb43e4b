"""pyshootout sessions. Thin on purpose: the work is in shootout/ (orchestrator) and workloads/ (harness).

    nox -s compare [-- --quick | --rigorous | --variant X | --interpreter pypy3 | --sizes 500x300 ...]
    nox -s report -- results/<run-id>
    nox -s tests
"""

from __future__ import annotations

import nox

nox.needs_version = ">=2026.10.20"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.download_python = "never"
nox.options.error_on_missing_interpreters = False
nox.options.reuse_venv = "yes"
nox.options.sessions = ["compare"]

PYPROJECT = nox.project.load_toml("pyproject.toml")
ORCHESTRATOR_DEPS = PYPROJECT["project"]["dependencies"]


def _orchestrator(session: nox.Session, *groups: str) -> None:
    session.install(*ORCHESTRATOR_DEPS)
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))


@nox.session
def compare(session: nox.Session) -> None:
    """Create CPython and PyPy envs, build every variant, run, verify, archive under results/, render the report."""
    _orchestrator(session)
    # Ctrl-C: give the orchestrator time to stop workers and archive what finished (nox's default is 0.3 s).
    session.run(
        "python", "-m", "shootout", "compare", *session.posargs, interrupt_timeout=120, terminate_timeout=60
    )


@nox.session
def report(session: nox.Session) -> None:
    """Re-render report.html from archive(s) alone: nox -s report -- results/<run-id>."""
    if not session.posargs:
        session.error("usage: nox -s report -- results/<run-id> [more archives]")
    _orchestrator(session)
    session.run("python", "-m", "shootout", "report", *session.posargs)


@nox.session
def profile(session: nox.Session) -> None:
    """The tutorial's profilers (own envs, never timing envs): nox -s profile [-- --size 1000x300 --into results/X]."""
    _orchestrator(session)
    session.run("python", "-m", "shootout", "profile", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """Real builds in real interpreters at small sizes; pass pytest options after --."""
    _orchestrator(session, "test")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", "shootout", "report", "workloads", "cffi_ext", "tests", "noxfile.py")
