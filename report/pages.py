"""The Jinja2 environment and the inlined Plotly every page of the report shares (report.html, the diff
page)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2
import plotly
import plotly.offline

from .formatting import FILTERS

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment() -> jinja2.Environment:
    """One environment per process, so that each template is compiled once rather than on every render
    (Jinja2 still reloads a template whose file changed)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every archive string (hostname, package names, errors) is untrusted text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    return env


def plotly_js() -> str:
    """plotly.min.js, inlined once per report (no CDN: the report opens offline)."""
    js = plotly.offline.get_plotlyjs()
    if "</script" in js.lower():  # cannot happen with the pinned plotly; never emit a broken page if it does
        js = js.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")
    return js
