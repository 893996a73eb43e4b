"""The report's memory and start-up section (report/footprint_panel.py): rendered from the archive's records
alone, absent where the records do not have the fields."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from factories import rehash

from report.render import render_archive
from shootout.results import api, archive

FIXTURE_V2 = Path(__file__).parent / "fixtures" / "archive-v2"
MIB = 1 << 20
# the growth each variant's calls show, in MiB (numpy_vectorised makes temporaries; the others barely any)
GROWTH = {"numpy_vectorised": 40, "pure_python": 2}


def _with_memory(path: Path) -> None:
    """Give every record of a copy of the v2 fixture memory and start-up fields as a worker writes them."""
    for file in sorted((path / "records").glob("*.json")):
        data = json.loads(file.read_text())
        pypy = data["interpreter"]["implementation"] == "pypy"
        if data["status"] in ("ok", "wrong_output"):
            before = (120 if pypy else 20) * MIB + data["process_index"] * MIB
            data.update(memory_before_bytes=before, memory_peak_method="vmhwm",
                        memory_peak_bytes=before + GROWTH.get(data["variant"], 1) * MIB,
                        interpreter_start_seconds=0.045 if pypy else 0.02)
        file.write_bytes(archive.dumps(data))


@pytest.fixture(scope="module")
def memory_archive(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("footprint") / "archive"
    shutil.copytree(FIXTURE_V2, target, ignore=shutil.ignore_patterns(archive.REPORT))
    _with_memory(target)
    rehash(target, keep_version=False)
    archive.read(target)  # the manifest agrees with the changed records
    return target


def _section(html: str, section_id: str) -> str:
    return html.split(f'<section id="{section_id}"', 1)[1].split(">", 1)[1].split("</section>", 1)[0]


def test_memory_and_start_up_are_shown_from_the_records(memory_archive):
    html = render_archive(memory_archive).decode()
    section = _section(html, "footprint")
    run = api.load(memory_archive)
    numpy = run.cell("julia", "numpy_vectorised", "pypy3.9")
    assert numpy.memory_growth == 40 * MIB and numpy.memory_peak == numpy.memory_before + 40 * MIB
    expected = (f"{int(numpy.break_even_calls):,} call" if numpy.break_even_calls is not None
                else "never")
    pypy_row = re.search(r"<tr><td class=\"l\">numpy_<wbr>vectorised<div class=\"tech\">numpy</div></td>"
                         r"<td class=\"l\">pypy3\.9</td>(.*?)</tr>", section, re.DOTALL)
    assert pypy_row is not None and expected in pypy_row.group(1) and "+40 MiB" in pypy_row.group(1)
    assert ">baseline<" in section  # pure_python on cpython3.11: what every break-even is against
    assert "wrong_kernel" not in section  # never ranked: its output was not verified
    spec = json.loads(re.search(r'data-plot="memory-0-0">(.*?)</script>', html, re.DOTALL).group(1))
    bars = [t for t in spec["data"] if t.get("base") is not None]
    assert bars and all(max(t["x"]) > 0 for t in bars)
    assert "peak<br>memory" in _section(html, "table")  # the All cells table's column
    assert render_archive(memory_archive).decode() == html  # byte-identical re-render


def test_an_archive_without_the_fields_has_no_such_section():
    html = render_archive(FIXTURE_V2).decode()
    assert 'id="footprint"' not in html and "peak<br>memory" not in html
