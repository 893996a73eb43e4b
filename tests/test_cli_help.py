"""`python -m shootout --help` is for users: what each command does with an example, and the exit codes as a
table, in the README's own words (its table of sessions, its table of exit codes)."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT
from test_exit_codes import readme_codes

from shootout import cli


@pytest.fixture(autouse=True)
def _terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # argparse wraps at the terminal's width: the one most users have


def _help(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as exited:
        cli.main([*args, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def _words(text: str) -> str:
    """Text as a terminal shows it, wrapping undone: no Markdown code marks, one space between words (argparse
    wraps at the terminal's width, after a hyphen too)."""
    return re.sub(r"-\s+", "-", re.sub(r"\s+", " ", text.replace("`", ""))).strip()


def readme_commands() -> dict[str, str]:
    """The README's table of sessions: command name -> what it does."""
    table = (ROOT / "README.md").read_text().split("## Sessions", 1)[1].split("\n## ", 1)[0]
    return {m.group(1): m.group(2) for m in re.finditer(r"^\| `nox -s (\w+)[^|]*` \| (.+?) \|$", table,
                                                        re.MULTILINE)
            if m.group(1) in cli.COMMANDS}


def test_the_help_shows_the_exit_codes_table_line_by_line(capsys):
    text = _help(capsys)
    table = text.split("exit codes", 1)[1].splitlines()[1:]
    starts = [i for i, line in enumerate(table) if re.match(r"^  \d+ ", line)]
    assert [int(table[i].split()[0]) for i in starts] == sorted(readme_codes()) == sorted(cli.EXIT_CODES)
    for i, end in zip(starts, [*starts[1:], len(table)]):
        code, *first = table[i].split(None, 1)
        rows = first + [line.strip() for line in table[i + 1:end]]
        assert all(line.startswith(" " * 7) for line in table[i + 1:end])  # each row keeps its own lines
        assert _words(" ".join(rows)) == _words(readme_codes()[int(code)])


def test_the_help_names_every_command_with_the_readmes_words_and_an_example(capsys):
    text = _help(capsys)
    assert "wires" not in text and "orchestrator" not in text  # the maintainers' docstring is not the help
    assert set(readme_commands()) == set(cli.COMMANDS) == {"compare", "report", "reproduce", "diff",
                                                           "profile", "interpreters"}
    for name, does in readme_commands().items():
        assert re.search(rf"^    {name}\b", text, re.MULTILINE), name
        assert _words(does) in _words(text), name
        assert f"\n  {cli.COMMANDS[name].example}\n" in text


@pytest.mark.parametrize("name", [n for n in cli.COMMANDS if n != "interpreters"])
def test_each_commands_help_says_what_it_does_with_an_example(name, capsys):
    text = _help(capsys, name)
    assert text.startswith(f"usage: pyshootout {name}")
    assert _words(readme_commands()[name]) in _words(text)
    assert text.rstrip().endswith(f"example:\n  {cli.COMMANDS[name].example}")


def test_interpreters_help_is_provisionings_own(capsys):
    assert _help(capsys, "interpreters").startswith("usage: pyshootout interpreters")
