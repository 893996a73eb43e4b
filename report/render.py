"""Turn one archive into one self-contained HTML file, from the archive's files alone (deterministic bytes).

render_archive(path) -> bytes is the entry point (shootout's compare, report and profile commands call it):
report/data.py builds the typed report data, this module renders it with Jinja2.

Every string read from an archive is untrusted: Jinja2 autoescape renders it as text in HTML; figure data goes
through report.figures.to_spec (JSON with <, >, & escaped) and is parsed with JSON.parse; files named by
records (build logs) are only read when the manifest lists them, i.e. when archive.read verified their path
and sha256. Nothing depends on the render time, the host, random ids or set ordering, so re-rendering gives
the same bytes.

Sections, per workload: headline, speedup chart, all cells, warm-up, the contract's figures, failures, then
(each only when the archive has data for it) PyPy vs CPython per variant, kernel quality, thread scaling, the
GIL study (report/gil.py: free-threaded columns, pure-Python threads), size scaling;
then, across workloads: workloads side by side (several workloads only), where the time goes (profiles/,
report/profiles.py), machine and reproduce.
"""

from __future__ import annotations

from pathlib import Path

import markupsafe
import plotly

from shootout.results import archive as archive_mod

from . import comparison, instructions_panel, method_facts, overhead_panel, versions_panel
from . import data as data_mod
from .pages import environment, plotly_js
from .profiles import profiles_context


def render(data: archive_mod.Archive) -> str:
    template = environment().get_template("report.html.j2")
    report = data_mod.build(data)
    cells = [c for w in report.workloads for c in w.cells]
    return template.render(
        report=report, profiles=profiles_context(data), overhead=overhead_panel.view(data),
        versions=versions_panel.view(data, cells) if data.records else None,
        instructions=instructions_panel.view(data, cells),
        facts=method_facts.facts(data),
        reproduction=comparison.reproduction_section(data),
        plotly_version=plotly.__version__, plotly_js=markupsafe.Markup(plotly_js()),
    )


def render_archive(path: Path) -> bytes:
    return render(archive_mod.read(Path(path))).encode("utf-8")
