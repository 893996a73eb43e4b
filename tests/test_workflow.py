"""The CI workflow that runs the comparison on many machines: every command in it is one that exists here.

Each `nox -s SESSION -- ARGS` must name a session of noxfile.py and its arguments must parse with the
orchestrator's own parser (shell variables replaced by plausible paths); the other commands are the README's
set-up commands.
"""

from __future__ import annotations

import ast
import shlex

import yaml
from conftest import ROOT

from shootout import cli

WORKFLOW = ROOT / ".github" / "workflows" / "shootout.yml"
SETUP = ("sudo apt-get", "python3 -m venv .venv-nox", ".venv-nox/bin/pip install")
PLACEHOLDERS = {'"$baseline"': "archives/a/run-1/", "$others": "archives/b/run-2/",
                '"$GITHUB_STEP_SUMMARY"': ""}


def nox_sessions() -> set[str]:
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)
            and any("session" in ast.unparse(d) for d in node.decorator_list)}


def commands() -> list[str]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    found = []
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            for line in (step.get("run") or "").splitlines():
                line = line.strip()
                if line and "=$(" not in line:  # variable assignments are checked through their use
                    found.append(line)
    return found


def test_the_workflow_has_a_matrix_of_machines_and_a_diff_job():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert len(workflow["jobs"]["compare"]["strategy"]["matrix"]["runner"]) >= 2
    assert workflow["jobs"]["diff"]["needs"] == "compare"


def test_every_command_in_the_workflow_exists():
    sessions = nox_sessions()
    checked = 0
    for line in commands():
        for name, value in PLACEHOLDERS.items():
            line = line.replace(name, value)
        line = line.split(" >> ")[0].split(" || ")[0]
        if line.startswith(SETUP):
            continue
        words = shlex.split(line)
        assert words[:2] == [".venv-nox/bin/nox", "-s"], line
        session, rest = words[2], words[3:]
        assert session in sessions, f"no nox session {session!r}: {line}"
        args = rest[1:] if rest[:1] == ["--"] else rest
        parsed = cli.build_parser().parse_args([session, *args])
        assert parsed.command == session
        checked += 1
    assert checked >= 2
