"""The HTML report: self-contained, deterministic, escaped, complete, generic, and checked in a real headless
Chromium.

The browser is Debian's chromium (apt-get install chromium, see README) driven by Playwright's Python client
(`playwright` in the test dependency group; it downloads no browser of its own). Every request that is not
file:// is aborted and recorded, and the test asserts there was none.

Real archives come from one small real run (report_archive); the others are forged from it: records written by
`worker_record` (the one factory of hand-made records here), a contract snapshot from the real Julia contract,
a second workload, hostile strings. tests/fixtures/archive-v1 (schema v1) must keep rendering.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
import math
import re
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import JULIA, ROOT
from factories import make_record, rehash
from test_house import JULIA_WORDS

from report import output_image
from report.render import render_archive
from shootout.results import archive, summaries
from shootout.results import cells as cells_mod
from shootout.results.records import Record
from shootout.run import catalog
from workloads.contract import TECHNOLOGIES

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
EVIL = "<script>alert(1)</script>"
EVIL_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
LIMIT_BYTES = 6_000_000
FIXTURE_V1 = ROOT / "tests" / "fixtures" / "archive-v1"
INTERPRETERS = {"cpython": "cpython3.11", "pypy": "pypy3.9"}
# cffi_simd is the ruler of "% of limit", cffi_openmp at 1 and 2 threads feeds the thread-scaling section
REPORT_VARIANTS = ["pure_python", "numpy_vectorised", "cffi_c", "cffi_simd", "cffi_openmp", "numba_njit",
                   "wrong_kernel"]


# ------------------------------------------------------------------ fixtures and helpers


FIXTURE_V2 = ROOT / "tests" / "fixtures" / "archive-v2"


@pytest.fixture(scope="session")
def report_archive() -> Path:
    """A copy of tests/fixtures/archive-v2: a real small run on CPython and PyPy, threads 1 and 2 (verified
    cells, a wrong_output cell, an unsupported cell, a parallel variant), made by

        python -m shootout compare --sizes 80x60 --processes 2 --calls 2 --jit-calls 5 --threads 1,2 \\
            --include-test-variants --variant <REPORT_VARIANTS> --interpreter <cpython>,pypy3 --seed 5

    Committed so the fast tier needs no compare; the slow tier renders fresh real runs (test_compare). Read
    only: tests that change an archive forge() a copy."""
    return FIXTURE_V2


def worker_record(variant: str, implementation: str, times, *, params: dict, threads: int = 1,
                  process_index: int = 0, status: str = "ok", work_units: int = 1000, **fields) -> Record:
    """A record as a worker writes it, for a Julia variant: tests/factories.make_record plus what a worker
    adds: conversion times, process time, build, environment."""
    times = [float(t) for t in times]
    interpreter = INTERPRETERS[implementation]
    added = {
        "params": dict(params), "import_seconds": 0.2, "prepare_seconds": 1e-3,
        "output_seconds": [2e-4] * len(times), "process_wall_seconds": sum(times) + 0.3,
        "build": {"seconds": 2.0}, "environment": {"name": interpreter, "seconds": 4.25, "reused": False},
        "output_sha256": "0" * 64 if status == "ok" else None, "values_differing": 0 if status == "ok" else 7,
    }
    return make_record(variant, interpreter, implementation, times, status=status,
                       process_index=process_index, size=JULIA.format_label(params), threads=threads,
                       work_units=work_units, technology=JULIA.variant(variant).technology,
                       **{**added, **fields})


def forge(source: Path, target: Path, mutate) -> Path:
    """Copy an archive, let `mutate(path)` change its files, then re-hash it so archive.read accepts it."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(archive.REPORT))
    mutate(target)
    rehash(target, keep_version=False)
    archive.read(target)  # verifies
    return target


def _write_records(path: Path, records: list) -> None:
    """Replace an archive's records (Records, or JSON objects a test changed) and the tables of them."""
    typed = [r if isinstance(r, Record) else Record.from_json(r) for r in records]
    names = {id(r): f"{index:05d}" for index, r in enumerate(typed)}
    shutil.rmtree(path / "records")
    archive.write_tree(path, archive.record_files(typed, lambda r: names[id(r)]))


def _records(path: Path) -> list[dict]:
    """The archive's records as JSON objects, for a test to change."""
    return [json.loads(p.read_text()) for p in sorted((path / "records").glob("*.json"))]


def _update_metadata(path: Path, change) -> None:
    meta = json.loads((path / "metadata.json").read_text())
    change(meta)
    (path / "metadata.json").write_bytes(archive.dumps(meta))


def _declare(path: Path, names: list[str], sizes: list[dict]) -> None:
    """metadata.json as a run of these Julia variants at these parameter sets writes it (the real
    contract)."""
    def change(meta: dict) -> None:
        meta["contracts"]["julia"] = catalog.snapshot(JULIA, names)
        meta["variants"]["julia"] = names
        meta["sizes"]["julia"] = [{"label": JULIA.format_label(p), "params": p} for p in sizes]

    _update_metadata(path, change)


def _write_reference(path: Path, name: str, values: np.ndarray, ref: dict) -> None:
    """references/<name>.json and its gzip'd little-endian output, as the orchestrator stores a verified
    one."""
    data = values.tobytes()
    (path / "references" / f"{name}.gz").write_bytes(gzip.compress(data, mtime=0))
    (path / "references" / f"{name}.json").write_bytes(archive.dumps({
        **ref, "points": len(values), "output_sha256": hashlib.sha256(data).hexdigest(),
        "output_file": f"{name}.gz"}))


def open_in_chromium(html_path: Path, screenshot: Path | None = None) -> dict:
    """Open a report from disk with the network blocked; return what a reader's browser saw."""
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []
    console_errors: list[str] = []
    dialogs: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})

            def route(r):
                if r.request.url.startswith("file://"):
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            def on_dialog(dialog):
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.route("**/*", route)
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: console_errors.append(f"uncaught: {e}"))
            page.on("dialog", on_dialog)
            page.goto(html_path.resolve().as_uri(), wait_until="load")
            page.wait_for_selector("body[data-plots]", state="attached", timeout=60_000)
            seen = page.evaluate(
                """() => ({
                  specs: document.querySelectorAll('script[type="application/json"][data-plot]').length,
                  plots: Array.from(document.querySelectorAll('div.plot')).map(d => ({
                    id: d.id, plotly: d.classList.contains('js-plotly-plot'),
                    svgs: d.querySelectorAll('svg.main-svg').length,
                    marks: d.querySelectorAll('g.trace, path.point, g.points path').length})),
                  rendered: Number(document.body.dataset.plots),
                  scrollWidth: document.scrollingElement.scrollWidth,
                  text: document.body.innerText,
                  images: Array.from(document.images).map(i => ({src: i.src.slice(0, 22), w: i.naturalWidth,
                                                                  h: i.naturalHeight,
                                                                  ok: i.complete && i.naturalWidth > 0})),
                })"""
            )
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return {**seen, "blocked": blocked, "console_errors": console_errors, "dialogs": dialogs}


def assert_clean_page(seen: dict) -> None:
    """No network, no script error, no dialog, every plot drawn, no horizontal scroll at 1280 px."""
    assert seen["blocked"] == [], f"the report tried to reach the network: {seen['blocked']}"
    assert seen["console_errors"] == [] and seen["dialogs"] == []
    assert seen["rendered"] == seen["specs"] == len(seen["plots"])
    for plot in seen["plots"]:
        assert plot["plotly"] and plot["svgs"] >= 1 and plot["marks"] >= 1, plot
    assert seen["scrollWidth"] <= 1280, "horizontal scroll at 1280 px"


def _specs(html: str) -> dict[str, dict]:
    return {
        m.group(1): json.loads(m.group(2))
        for m in re.finditer(r'<script type="application/json" data-plot="([^"]+)">(.*?)</script>', html,
                             re.DOTALL)
    }


def _section(html: str, section_id: str) -> str:
    return html.split(f'<section id="{section_id}"', 1)[1].split(">", 1)[1].split("</section>", 1)[0]


# ------------------------------------------------------------------ nothing workload-specific in report/


# report/profiles.py still reads the v1 profile index (width, max_iterations); it is being made generic
# apart from this file (the profiles half of issue 11), and tests/test_house.py checks it with every other
# generic file.
PROFILES_ELSEWHERE = {"report/profiles.py"}


def test_report_knows_no_workload_by_name():
    """Every word the report shows about a workload comes from the archive's contract snapshot: report/ names
    no Julia variant, parameter, work unit or vocabulary (technologies are generic: numpy, Cython,
    Pythran...)."""
    names = {JULIA.name, JULIA.work_unit, *(p.name for p in JULIA.parameters),
             *JULIA.table(include_fixtures=True)}
    declared = re.compile("|".join(rf"(?<![-\w]){re.escape(n)}(?!\w)"
                                   for n in sorted(names - set(TECHNOLOGIES))), re.IGNORECASE)
    found = []
    for path in sorted((ROOT / "report").rglob("*")):
        if path.suffix not in (".py", ".j2") or path.relative_to(ROOT).as_posix() in PROFILES_ELSEWHERE:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if JULIA_WORDS.search(line) or declared.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert not found, "\n".join(found)


# ------------------------------------------------------------------ the browser


@pytest.mark.slow  # headless Chromium: seconds per page
def test_report_renders_offline_in_headless_chromium(report_archive, tmp_path):
    html_path = tmp_path / "report.html"
    html_path.write_bytes(render_archive(report_archive))
    shot = tmp_path / "report.png"
    seen = open_in_chromium(html_path, shot)

    assert_clean_page(seen)
    assert seen["specs"] >= 1 + 3  # speedup chart + warm-up panels (PyPy x3 verified, Numba on CPython)
    assert seen["images"] and all(i["ok"] and i["src"] == "data:image/png;base64," for i in seen["images"])
    for heading in ("The Julia set", "Headline", "Speedup over pure_python on cpython", "All cells",
                    "Warm-up", "What failed or was unsupported, and why",
                    "PyPy vs CPython, variant by variant", "Kernel quality: single-thread kernels vs cffi_c",
                    "Thread scaling", "Size scaling", "How to reproduce"):
        assert heading in seen["text"], heading
    assert "Ian Ozsvald" in seen["text"]  # the contract's summary paragraph
    assert "wrong_output" in seen["text"] and "numba: no PyPy support" in seen["text"]
    assert "Workloads side by side" not in seen["text"]  # one workload
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">I", png[16:20])[0] == 1280


@pytest.mark.slow  # headless Chromium: seconds per page
def test_archive_strings_are_shown_escaped(report_archive, tmp_path):
    def inject(path: Path) -> None:
        def change(meta: dict) -> None:
            meta["machine"]["hostname"] = EVIL
            meta["machine"]["cpu"]["model"] = EVIL
            meta["command_line"] = ["python", "-m", "shootout", "compare", "--variant", EVIL]
            contract = meta["contracts"]["julia"]
            contract.update(summary=f"summary {EVIL}", work_unit=f"unit{EVIL}")
            contract["figures"][0]["caption"] = f"caption {EVIL}"
            contract["variants"][0]["description"] = f"description {EVIL}"

        _update_metadata(path, change)
        lock = min((path / "locks").glob("*.txt"))
        lock.write_text(lock.read_text() + f"evil-package==1.0 ; {EVIL}\n")
        records = _records(path)
        for r in records:
            if r["status"] == "wrong_output":
                r["error"] = f"{EVIL} {r['error']}"
            if r["variant"] == "pure_python" and r["interpreter"]["implementation"] == "pypy":
                r["variant"] = f"pure{EVIL}"  # reaches the table, the chart and a warm-up panel
        _write_records(path, records)

    evil = forge(report_archive, tmp_path / "evil", inject)
    html = render_archive(evil).decode()
    assert EVIL not in html and "alert(1)</script>" not in html
    # hostname, cpu model, command, lock, error, variant, summary, work unit, caption, description
    assert html.count(EVIL_ESCAPED) >= 10
    specs = _specs(html)
    assert any("\\u003cscript\\u003e" in json.dumps(s) or "&lt;script&gt;" in json.dumps(s)
               for s in specs.values())
    page = tmp_path / "evil.html"
    page.write_text(html)
    seen = open_in_chromium(page, tmp_path / "evil.png")
    assert_clean_page(seen)
    assert EVIL in seen["text"]  # shown as text


def test_report_is_byte_deterministic(report_archive, tmp_path):
    first = render_archive(report_archive)
    copy_path = tmp_path / "copy"
    shutil.copytree(report_archive, copy_path)
    assert render_archive(copy_path) == first  # same files elsewhere: same bytes
    html = first.decode()
    assert html.count("* plotly.js v") == 1  # Plotly.js inlined once, in the head
    assert html.index("* plotly.js v") < html.index("</head>")
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=\"(https?:)?//", html, re.IGNORECASE)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    ids = re.findall(r'<div class="plot" id="([^"]+)"', html)
    assert ids and len(ids) == len(set(ids)) and all(re.fullmatch(r"[a-z]+(-\d+)+", i) for i in ids)


def test_failures_are_red_out_of_the_headline_and_chart_with_their_build_log(report_archive, tmp_path):
    def break_build(path: Path) -> None:
        records = _records(path)
        cp = next(r for r in records
                  if r["variant"] == "cffi_c" and r["interpreter"]["implementation"] == "cpython")
        records = [r for r in records
                   if not (r["variant"] == "cffi_c" and r["interpreter"] == cp["interpreter"])]
        log = "logs/build-cpython-julia-cffi_c.log"
        (path / log).write_text("gcc -O3 ...\njulia.c:12:1: error: expected ';' before '}' token <b>x</b>\n")
        records.append(worker_record("cffi_c", "cpython", [], params=cp["params"], status="build_failed",
                                     build=None, build_log=log,
                                     error="cffi build failed (exit 1); see the log"))
        _write_records(path, records)

    broken = forge(report_archive, tmp_path / "broken", break_build)
    html = render_archive(broken).decode()
    headline, rest = html.split('<section id="table">', 1)
    fastest = re.findall(r'Fastest verified on (\S+?)</div>\s*<div class="big">([^<]*)</div>', headline)
    assert fastest and all(not (interp.startswith("cpython") and best == "cffi_c")
                           for interp, best in fastest)
    assert "wrong_kernel" not in headline.split('<section id="headline">', 1)[1]
    speedup = next(s for k, s in _specs(html).items() if k.startswith("speedup"))
    cpython_bars = [t for t in speedup["data"] if t["name"].startswith("cpython")]
    assert cpython_bars and all("cffi_c" not in t["y"] for t in cpython_bars)
    assert "wrong_kernel" not in json.dumps(speedup)
    row = re.search(r'<tr class="bad">\s*<td class="l">cffi_<wbr>c<div class="tech">cffi</div></td>'
                    r'\s*<td class="l">cpython', rest)
    assert row, "the build_failed cell is a red row of the table"
    failures = _section(html, "failures")
    assert "build_failed" in failures and "cffi build failed (exit 1)" in failures
    assert "logs/build-cpython-julia-cffi_c.log" in failures
    # the log, escaped
    assert "expected &#39;;&#39; before &#39;}&#39; token &lt;b&gt;x&lt;/b&gt;" in failures
    assert "<details><summary>Build log" in failures
    assert failures.count('class="problem bad"') >= 3  # build_failed + 2 wrong_output
    assert 'class="problem muted"' in failures  # numba on PyPy: unsupported, not red


def test_headline_compares_the_baseline_pypy_vs_cpython(report_archive):
    data = archive.read(report_archive)
    summary = summaries.summarise(data.records, data.roles)
    pure = summary[summary["variant"] == data.roles["julia"].baseline].set_index("implementation")
    html = render_archive(report_archive).decode()
    headline = _section(html, "headline")
    ratio = float(pure.loc["cpython", "median_seconds"]) / float(pure.loc["pypy", "median_seconds"])
    expected = f"{ratio:.3g}× faster" if ratio >= 1 else f"{1 / ratio:.3g}× slower"
    assert f"{expected} on pypy" in headline
    assert "pure_python: pypy" in headline  # the contract's baseline names the card
    assert "Mann-Whitney" in headline and re.search(r"p (= [01]\.\d{3}|&lt; 0\.001)", headline)
    assert headline.count("Fastest verified on") == 2
    assert "ns per inner iteration" in headline  # the contract's work unit


# ------------------------------------------------------------------ the v1 fixture


@pytest.mark.slow  # headless Chromium: seconds per page
def test_v1_fixture_still_renders_with_its_figure(tmp_path):
    html = render_archive(FIXTURE_V1)
    assert render_archive(FIXTURE_V1) == html
    text = html.decode()
    assert "<h2>The Julia set</h2>" in text and "Speedup over pure_python on cpython3.11" in text
    figure = _section(text, "figures")
    assert figure.count('<img src="data:image/png;base64,') == 1 and "Not drawn" not in figure
    assert "40×40 values" in figure and "matched bit for bit by" in figure
    assert "numba: no PyPy support" in text and "wrong_output" in text
    page = tmp_path / "v1.html"
    page.write_bytes(html)
    seen = open_in_chromium(page)
    assert_clean_page(seen)
    assert [(i["w"], i["h"]) for i in seen["images"]] == [(40, 40)]


# ------------------------------------------------------------------ size of a full-size report


def _julia_counts(n: int, max_iterations: int) -> np.ndarray:
    """The tutorial's kernel on an n×n grid, vectorised (for a realistic image in a synthetic archive)."""
    step = 3.6 / n
    xs = np.arange(-1.8, 1.8, step)
    z = (xs[None, :] + 1j * xs[::-1, None]).ravel()
    out = np.zeros(z.shape, dtype=np.int32)
    alive = np.ones(z.shape, dtype=bool)
    for _ in range(max_iterations):
        alive &= np.abs(z) < 2
        out[alive] += 1
        z[alive] = z[alive] * z[alive] + complex(-0.62772, -0.42193)
    return out


def _full_records(params: dict, work: int, names: list[str]) -> list[dict]:
    rng = np.random.default_rng(1)
    base = {"pure_python": 9.0, "pure_python_expanded_math": 7.0, "numpy_vectorised": 0.9}
    records = []
    for name in names:
        info = JULIA.variant(name)
        for impl in INTERPRETERS:
            threads = 2 if info.parallel else 1
            if impl in info.unsupported:
                records.append(worker_record(name, impl, [], params=params, threads=threads,
                                             status="unsupported", error=info.unsupported[impl]))
                continue
            jit = impl == "pypy" or info.technology == "numba"
            level = base.get(name, 0.05) / (4.5 if impl == "pypy" and info.technology == "python" else 1)
            for p in range(10):
                times = level * (1 + 0.03 * rng.standard_normal(20 if jit else 5))
                if jit:
                    times[:4] *= [30, 3, 1.5, 1.1]
                status = "wrong_output" if name == "wrong_kernel" else "ok"
                records.append(worker_record(
                    name, impl, times, params=params, threads=threads, process_index=p, status=status,
                    work_units=work, error=None if status == "ok" else "7 values differ " * 20))
    return records


@pytest.mark.slow  # a size budget over 40 000 forged calls and a full-size output: seconds
def test_full_size_report_stays_under_6_mb(report_archive, tmp_path):
    """Every variant (+ wrong_kernel) x 2 interpreters x 10 processes x 20 calls at 1000x300, with
    failures."""
    params = {"width": 1000, "max_iterations": 300}
    counts = _julia_counts(1000, 300)
    names = list(JULIA.table()) + ["wrong_kernel"]

    def full(path: Path) -> None:
        for old in (path / "references").iterdir():
            old.unlink()
        _write_reference(path, "julia-1000x300", counts.astype("<i4"), {
            "workload": "julia", "label": "1000x300", "params": params, "output_type": "int32"})
        _declare(path, names, [params])
        _write_records(path, _full_records(params, int(counts.sum()), names))
        (path / "logs" / "build-big.log").write_text("x" * 200_000)  # big logs are only tailed

    big = forge(report_archive, tmp_path / "big", full)
    html = render_archive(big)
    (tmp_path / "report.html").write_bytes(html)
    print(f"full-size report: {len(html)} bytes")
    assert len(html) < LIMIT_BYTES
    text = html.decode()
    table = JULIA.table()
    on_pypy = sum(1 for v in table.values() if "pypy" not in v.unsupported)
    numba = sum(1 for v in table.values() if v.technology == "numba")
    assert text.count('class="plot"') == 1 + on_pypy + numba  # speedup + warm-ups of the JIT cells
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', text)
    assert len(images) == 1 and len(images[0]) < 400_000
    assert "1000×1000 values (drawn at 500×500)" in text


# ------------------------------------------------------------------ the figures (output_image)


def test_png_writer_round_trips():
    image = (np.arange(12 * 7, dtype=np.uint16) * 3 % 256).astype(np.uint8).reshape(7, 12)
    png = output_image.png_gray(image)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    columns, rows, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert (columns, rows, depth, colour) == (12, 7, 8, 0)
    idat_len = struct.unpack(">I", png[33:37])[0]
    assert png[37:41] == b"IDAT"
    raw = zlib.decompress(png[41:41 + idat_len])
    lines = [raw[i * 13:(i + 1) * 13] for i in range(7)]
    assert all(line[0] == 0 for line in lines)
    assert np.array_equal(np.frombuffer(b"".join(line[1:] for line in lines), dtype=np.uint8).reshape(7, 12),
                          image)
    assert png.endswith(b"IEND\xaeB`\x82")
    assert output_image.png_gray(image) == png  # deterministic


def test_shading_follows_the_figure_scale_and_inversion():
    values = np.array([0.0, 1.0, 10.0, 100.0, math.nan])
    linear = output_image.shade(values)
    assert list(linear) == [0, 3, 26, 255, 0]  # dark = low; NaN counts as the minimum
    assert list(output_image.shade(values, invert=True)) == [255 - v for v in linear]
    log = output_image.shade(values, "log")
    # log lifts the long tail
    assert log[0] == 0 and log[3] == 255 and log[1] > linear[1] and log[2] > linear[2]
    assert list(output_image.shade(np.full(4, 7.0))) == [0, 0, 0, 0]  # no range: no division by zero


# ------------------------------------------------------------------ several workloads in one archive

OTHER = {"name": "stream", "title": "A memory-bound copy", "work_unit": "element copied",
         "summary": "A second workload (forged from the first): memory-bound, "
                    "so the JIT of PyPy has little to win."}


def _second_workload(path: Path) -> None:
    """The same cells again as a second workload 'stream' with its own contract (a non-square float64 figure
    of 20 rows, linear), where PyPy is 6x slower than it was: a memory-bound kernel next to a compute-bound
    one."""
    def change(meta: dict) -> None:
        contract = {**copy.deepcopy(meta["contracts"]["julia"]), **OTHER}
        contract["figures"] = [{"title": "Copied values", "caption": "the copy, row by row",
                                "scale": "linear", "rows": "rows", "invert": False}]
        meta["contracts"]["stream"] = contract
        meta["workloads"] = ["julia", "stream"]
        meta["variants"]["stream"] = list(meta["variants"]["julia"])
        meta["sizes"]["stream"] = copy.deepcopy(meta["sizes"]["julia"])

    _update_metadata(path, change)
    records = _records(path)
    for r in list(records):
        twin = {**copy.deepcopy(r), "workload": "stream"}
        if r["interpreter"]["implementation"] == "pypy":
            twin["times_seconds"] = [6 * t for t in r["times_seconds"]]
        records.append(twin)
    _write_records(path, records)
    label = records[0]["size"]
    params = {**records[0]["params"], "rows": 20}
    _write_reference(path, "stream-copy", np.linspace(0.0, 1.0, 20 * 30).astype("<f8"), {
        "workload": "stream", "label": label, "params": params, "output_type": "float64"})


@pytest.fixture(scope="module")
def two_workloads(report_archive, tmp_path_factory) -> Path:
    return forge(report_archive, tmp_path_factory.mktemp("two") / "two", _second_workload)


@pytest.mark.slow  # headless Chromium: seconds per page
def test_two_workloads_get_a_section_each_and_side_by_side(two_workloads, tmp_path):
    html = render_archive(two_workloads).decode()
    for prefix, title in (("w0-", "The Julia set"), ("w1-", OTHER["title"])):
        assert f'<section id="{prefix}workload" class="workload">\n<h2>{title}</h2>' in html
        for part in ("headline", "speedup", "table", "warmup", "figures", "failures", "interpreters"):
            assert f'<section id="{prefix}{part}">' in html, prefix + part
    assert OTHER["summary"] in html and "ns per element copied" in _section(html, "w1-headline")
    ids = re.findall(r'<div class="plot" id="([^"]+)"', html)
    assert len(ids) == len(set(ids)) and any(i.startswith("speedup-1-") for i in ids)
    # the second workload's figure: 20 rows of 30 float64 values, not square, not matched by any worker
    figure = _section(html, "w1-figures")
    assert "<h3>Copied values <span" in figure and "20×30 values" in figure and "matched" not in figure
    # side by side: per shared variant, PyPy vs CPython in each workload and the cost per work unit
    data = archive.read(two_workloads)
    summary = summaries.summarise(data.records, data.roles)
    side = _section(html, "side-by-side")
    assert ("Workloads side by side" in html and "unit: inner iteration" in side
            and "unit: element copied" in side)
    row = re.search(r'<tr><td class="l">pure_python<div class="tech">python</div></td>(.*?)</tr>', side,
                    re.DOTALL)
    # verified on both interpreters only
    assert row and "wrong_kernel" not in side and "numba_njit" not in side
    for workload in ("julia", "stream"):
        pure = summary[(summary["variant"] == "pure_python") & (summary["workload"] == workload)]
        pure = pure.set_index("implementation")
        ratio = float(pure.loc["pypy", "median_seconds"]) / float(pure.loc["cpython", "median_seconds"])
        phrase = f"{1 / ratio:.3g}× faster" if ratio <= 1 else f"{ratio:.3g}× slower"
        assert phrase in row.group(1), (workload, phrase)
        assert f"<td>{float(pure.loc['pypy', 'ns_per_unit']):.3g}</td>" in row.group(1)
    page = tmp_path / "two.html"
    page.write_text(html)
    seen = open_in_chromium(page, tmp_path / "two.png")
    assert_clean_page(seen)
    assert sorted((i["w"], i["h"]) for i in seen["images"]) == [(30, 20), (81, 81)]


def test_an_output_that_does_not_match_its_reference_is_not_drawn(two_workloads, tmp_path, monkeypatch):
    def tamper(path: Path) -> None:
        ref = json.loads((path / "references" / "stream-copy.json").read_text())
        ref["output_sha256"] = "f" * 64
        (path / "references" / "stream-copy.json").write_bytes(archive.dumps(ref))

    tampered = forge(two_workloads, tmp_path / "tampered", tamper)
    figure = _section(render_archive(tampered).decode(), "w1-figures")
    assert ("Not drawn: references/stream-copy.json: output does not match the reference&#39;s sha256"
            in figure)
    monkeypatch.setattr(output_image, "MAX_OUTPUT_BYTES", 1000)
    assert "is not a plausible int32 array" in render_archive(two_workloads).decode()


# ------------------------------------------------------------ analysis sections (synthetic size/thread sweep)

SWEEP_SIZES = [(40, 30, 20_000), (80, 30, 80_000), (160, 30, 320_000)]  # width, max_iterations, work units
SWEEP_THREADS = [1, 2, 4]
SWEEP_PROCESSES = 4  # Mann-Whitney with 4 vs 4 processes can reach p < 0.05
# {variant: {implementation: (fixed seconds per call, ns per work unit)}}
SWEEP_VARIANTS = {
    "pure_python": {"cpython": (2e-5, 120.0), "pypy": (5e-5, 20.0)},
    "numpy_vectorised": {"cpython": (3e-4, 10.0), "pypy": (8e-3, 300.0)},
    "cython_lists": {"cpython": (1e-5, 3.0), "pypy": (3e-4, 60.0)},
    "cffi_c": {"cpython": (2e-6, 2.5), "pypy": (2e-6, 2.5)},
    "cffi_simd": {"cpython": (2e-6, 0.6), "pypy": (2e-6, 0.6)},
    "cffi_simd_openmp": {"cpython": (5e-6, 0.6), "pypy": (5e-6, 0.6)},
    "cffi_openmp": {"cpython": (5e-6, 2.5), "pypy": (5e-6, 2.5)},
    "cffi_openmp_static": {"cpython": (5e-6, 2.6), "pypy": (5e-6, 2.6)},
    "cffi_openmp_dynamic": {"cpython": (8e-6, 3.2), "pypy": (8e-6, 3.2)},
    "wrong_kernel": {"cpython": (2e-5, 120.0), "pypy": (5e-5, 20.0)},
}
SWEEP_EFFICIENCY = {"cffi_openmp_dynamic": 0.5}  # others 0.9 per extra thread
SWEEP_PREPARE = {"cffi_c": 4e-3}  # input conversion per process; 1 ms for the others (worker_record)


def _sweep_records() -> list[dict]:
    rng = np.random.default_rng(11)
    records = []
    for name, costs in SWEEP_VARIANTS.items():
        parallel = JULIA.variant(name).parallel
        for impl, (fixed, ns) in costs.items():
            for width, max_iterations, work in SWEEP_SIZES:
                for threads in (SWEEP_THREADS if parallel else [1]):
                    efficiency = 1.0 if threads == 1 else SWEEP_EFFICIENCY.get(name, 0.9)
                    level = fixed + ns * 1e-9 * work / (threads * efficiency)
                    status = "wrong_output" if name == "wrong_kernel" else "ok"
                    records.extend(worker_record(
                        name, impl, level * (1 + 0.002 * rng.standard_normal(6)), threads=threads,
                        process_index=p, params={"width": width, "max_iterations": max_iterations},
                        work_units=work, status=status,
                        prepare_seconds=SWEEP_PREPARE.get(name, 1e-3)) for p in range(SWEEP_PROCESSES))
    return records


@pytest.fixture(scope="module")
def sweep_archive(report_archive, tmp_path_factory) -> Path:
    """Three sizes, threads 1/2/4, 4 processes per cell, known fixed costs and slopes (plus a
    wrong_kernel)."""
    def sweep(path: Path) -> None:
        _declare(path, list(SWEEP_VARIANTS), [{"width": w, "max_iterations": m} for w, m, _ in SWEEP_SIZES])
        _write_records(path, _sweep_records())

    return forge(report_archive, tmp_path_factory.mktemp("sweep") / "sweep", sweep)


@pytest.fixture(scope="module")
def sweep_html(sweep_archive) -> str:
    return render_archive(sweep_archive).decode()


@pytest.fixture(scope="module")
def sweep_summary(sweep_archive):
    """The sweep archive read and summarised once for the module (the tests only read it)."""
    data = archive.read(sweep_archive)
    return data, summaries.summarise(data.records, data.roles)


def test_table_has_limit_scalar_c_ns_from_lists_and_time_split_columns(sweep_summary, sweep_html):
    table = _section(sweep_html, "table")
    for header in ("ns/unit", "from lists", "% of limit", "vs cffi_c", "time split"):
        assert f">{header}</th>" in table
    summary = sweep_summary[1]
    simd = summary[(summary["variant"] == "cffi_simd") & (summary["threads"] == 1)]
    assert (simd["percent_of_limit"].round(6) == 100).all()
    assert ">100%</td>" in table
    # cython_lists on PyPy is ~24x cffi_c: highlighted in the table
    lists = summary[(summary["variant"] == "cython_lists") & (summary["interpreter"] == "pypy3.9")
                    & (summary["size"] == "160x30")]
    ratio = float(lists["vs_scalar_c"].iloc[0])
    assert ratio > summaries.KERNEL_QUALITY_BOUND
    assert f'<span class="hi">{ratio:.3g}×</span>' in table
    assert "env 4.25 s" in table and "import 200 ms" in table and "prep 4 ms · out 200 µs" in table
    # ns per work unit is in the speedup chart's hover
    speedup = next(s for k, s in _specs(sweep_html).items() if k.startswith("speedup"))
    for trace in speedup["data"]:
        assert "ns per inner iteration" in trace["hovertemplate"]
        assert all(len(c) == 3 and c[2] > 0 for c in trace["customdata"])


def test_from_lists_adds_the_conversions_to_the_kernel_and_compares_end_to_end(sweep_summary, sweep_html):
    summary = sweep_summary[1].set_index(["variant", "interpreter", "threads", "size"])
    cell, base = (summary.loc[("cffi_c", "cpython3.11", 1, "40x30")],
                  summary.loc[("pure_python", "cpython3.11", 1, "40x30")])
    total = cell["prepare_seconds"] + cell["median_seconds"] + cell["output_seconds"]
    base_total = base["prepare_seconds"] + base["median_seconds"] + base["output_seconds"]
    assert total == pytest.approx(4e-3 + cell["median_seconds"] + 2e-4)
    row = re.search(r'<td class="l">cffi_<wbr>c<div class="tech">cffi</div></td>\s*'
                    r'<td class="l">cpython3.11</td><td>1</td><td>40x30</td>(.*?)</tr>',
                    _section(sweep_html, "table"), re.DOTALL).group(1)
    speedups = re.findall(r"<strong>([\d.,]+)×</strong>", row)
    assert speedups == [f"{cell['speedup']:.3g}"]  # the kernel alone
    assert f"<td>{total * 1e3:.3g} ms<div class=\"tech\">{base_total / total:.3g}×</div></td>" in row
    # the conversions eat most of what the kernel buys at 40x30
    assert base_total / total < cell["speedup"] / 10


def test_pypy_vs_cpython_table_lists_verified_cells_with_mann_whitney_and_holm(sweep_html):
    part = _section(sweep_html, "interpreters")
    assert "PyPy vs CPython, variant by variant" in part and "Holm" in part
    assert "wrong_kernel" not in part
    rows = re.findall(r"<tr><td class=\"l\">([a-z_]+)</td><td>(\d)</td><td>(\d+x\d+)</td>.*?</tr>", part,
                      re.DOTALL)
    expected = sum(len(SWEEP_SIZES) * (len(SWEEP_THREADS) if JULIA.variant(v).parallel else 1)
                   for v in SWEEP_VARIANTS if v != "wrong_kernel")
    assert len(rows) == expected
    pure = re.search(r"<td class=\"l\">pure_python</td><td>1</td><td>160x30</td>(.*?)</tr>", part,
                     re.DOTALL).group(1)
    # 4 vs 4, all apart: p = 2/70, before Holm's adjustment
    assert "faster" in pure and "<td>0.029</td>" in pure


def test_kernel_quality_states_reasons_and_measured_call_overhead(sweep_summary, sweep_html):
    from report import formatting

    part = _section(sweep_html, "quality")
    assert "wrong_kernel" not in part and "pure_python" not in part
    row = re.search(r'<tr class="slow">\s*<td class="l nw">cython_lists<div class="tech">cython</div></td>'
                    r'<td class="l nw">pypy3.9</td>(.*?)</tr>', part, re.DOTALL)
    assert row and "cpyext" in row.group(1)  # the contract's own slow reason for this variant on PyPy
    numpy_row = re.search(r'<td class="l nw">numpy_vectorised<div class="tech">numpy \(reference\)</div></td>'
                          r'<td class="l nw">pypy3.9</td>(.*?)</tr>', part, re.DOTALL)
    assert numpy_row and "cpyext" in numpy_row.group(1)  # what the report knows of numpy on PyPy
    # the fixed cost per call comes back from the size sweep: the synthetic 300 µs of cython_lists on PyPy
    data, summary = sweep_summary
    fit = cells_mod.size_fits(cells_mod.from_summary(summary, data.roles))[("cython_lists", "pypy3.9", 1)]
    assert fit.a == pytest.approx(3e-4, rel=0.05) and fit.b_ns == pytest.approx(60, rel=0.05)
    assert "measured call overhead" in part and formatting.overhead(fit.a) in row.group(1)
    for size in ("160x30", "80x30", "40x30"):
        assert f"vs cffi_c<br>{size}" in part


def test_thread_and_size_scaling_sections(sweep_archive, sweep_html):
    threads = _section(sweep_html, "threads")
    specs = _specs(sweep_html)
    for div in ("threads-0-0", "threads-0-1", "sizes-0-0", "sizes-0-1"):
        assert div in specs and "wrong_kernel" not in json.dumps(specs[div])
    names = {t["name"] for t in specs["threads-0-0"]["data"]}
    assert ("ideal" in names and "cffi_openmp_dynamic · pypy3.9" in names
            and "pure_python · cpython3.11" not in names)
    ideal = next(t for t in specs["threads-0-0"]["data"] if t["name"] == "ideal")
    assert ideal["x"] == SWEEP_THREADS and ideal["y"] == SWEEP_THREADS
    efficiency = next(t for t in specs["threads-0-1"]["data"]
                      if t["name"] == "cffi_openmp_dynamic · cpython3.11")
    assert efficiency["y"][0] == 1.0 and 0.4 < efficiency["y"][-1] < 0.6
    # the schedules come from the contract; the schedule group compares its variants
    assert "cffi_openmp_static = static" in threads and "cffi_openmp = guided" in threads
    assert "cffi_simd_openmp = dynamic,16 blocks" in threads
    group = threads.split("Schedules compared: cffi_openmp "
                          "(cffi_openmp, cffi_openmp_static, cffi_openmp_dynamic)", 1)
    schedule = group[1].split("</table>", 1)[0]
    assert schedule.count("<tr><td class=\"l\">") == 2 * len(SWEEP_SIZES) * len(SWEEP_THREADS)
    # size scaling: log-log, one line per single-thread verified variant, per interpreter
    sizes = specs["sizes-0-0"]
    assert sizes["layout"]["xaxis"]["type"] == "log" and sizes["layout"]["yaxis"]["type"] == "log"
    assert "inner iteration" in sizes["layout"]["xaxis"]["title"]["text"]
    lines = {t["name"]: t for t in sizes["data"]}
    assert "cffi_c" in lines and lines["cffi_c"]["x"] == [s[2] for s in SWEEP_SIZES]
    assert "ns per inner iteration" in lines["cffi_c"]["hovertemplate"]
    assert "cffi_openmp" in lines  # its 1-thread cells


@pytest.mark.slow  # headless Chromium: seconds per page
def test_sweep_report_renders_in_headless_chromium(sweep_html, tmp_path):
    page = tmp_path / "sweep.html"
    page.write_text(sweep_html)
    seen = open_in_chromium(page, tmp_path / "sweep.png")
    assert_clean_page(seen)
    assert {"threads-0-0", "threads-0-1", "sizes-0-0", "sizes-0-1"} <= {p["id"] for p in seen["plots"]}


# ------------------------------------------------------------------ where the time goes (profiles/)


def _profiles(path: Path) -> None:
    """A small, schema-correct profiles/ folder as workloads/profiler.py and shootout/run/profile.py write it,
    with hostile strings wherever the report shows one."""
    cp, pp = path / "profiles" / "cpython3.11", path / "profiles" / "pypy3.9"
    (cp / "cython").mkdir(parents=True)
    (cp / "numba").mkdir()
    pp.mkdir(parents=True)
    results = [{"tool": t, "implementation": i, "env": e, "status": "ok", "error": None, "seconds": 0.5,
                "log_file": f"logs/profile-{e}-{t}.log"}
               for t, i, e in (("cprofile", "cpython", "cpython3.11"), ("line", "cpython", "cpython3.11"),
                               ("memory", "cpython", "cpython3.11"),
                               ("cython-annotate", "cpython", "cpython3.11"),
                               ("numba-inspect", "cpython", "cpython3.11"), ("memory", "pypy", "pypy3.9"))]
    results.append({"tool": "vmprof", "implementation": "pypy", "env": "pypy3.9", "status": "failed",
                    "error": f"exit 1; {EVIL}", "seconds": 0.2,
                    "log_file": "logs/profile-pypy3.9-vmprof.log"})
    for r in results:
        (path / r["log_file"]).write_text("$ python workloads/profiler.py ...\n")
    dump = lambda p, obj: p.write_bytes(archive.dumps(obj))
    dump(path / "profiles" / "index.json", {"width": 120, "max_iterations": 60, "results": results,
                                             "command_line": ["nox", "-s", "profile"],
                                             "started_at": "2026-11-27T07:00:00+00:00"})
    dump(cp / "cprofile.json", {
        "width": 120, "max_iterations": 60, "checksum": 100000, "points": 14641, "total_calls": 130000,
        "total_seconds": 0.05, "abs_calls": 114641, "functions": [
            {"function": "calculate_z_serial_purepython", "file": "workloads/julia/pure_python.py", "line": 4,
             "ncalls": 1, "primitive_calls": 1, "tottime": 0.03, "cumtime": 0.04},
            {"function": "<built-in method builtins.abs>", "file": "~", "line": 0, "ncalls": 114641,
             "primitive_calls": 114641, "tottime": 0.01, "cumtime": 0.01},
            {"function": f"evil{EVIL}", "file": "x.py", "line": 3, "ncalls": 2, "primitive_calls": 1,
             "tottime": 1e-6, "cumtime": 2e-6}]})
    source = ["def calculate_z_serial_purepython(maxiter, zs, cs):", "    output = [0] * len(zs)",
              "    for i in range(len(zs)):", "        while n < maxiter and abs(z) < 2:",
              "            z = z * z + c", f"    return output  # {EVIL}"]
    hits = [0, 1, 14642, 114641, 100000, 1]
    seconds = [0, 1e-6, 0.002, 0.04, 0.02, 1e-6]
    total = sum(seconds)
    dump(cp / "line_profile.json", {
        "function": "calculate_z_serial_purepython", "file": "workloads/julia/pure_python.py", "width": 120,
        "max_iterations": 60, "unit": 1e-9, "total_seconds": total, "lines": [
            {"lineno": 4 + i, "source": src, "hits": h, "seconds": t,
             "per_hit_us": t / h * 1e6 if h else None,
             "percent": 100 * t / total} for i, (src, h, t) in enumerate(zip(source, hits, seconds))]})
    for folder, impl, peak in ((cp, "cpython", 16.5), (pp, "pypy", 67.25)):
        samples = [[round(0.01 * k, 4), round(min(peak, 5 + 4 * k), 3)] for k in range(30)]
        dump(folder / f"memory-{impl}.json", {
            "implementation": impl, "tool": "psutil 7.2.2 RSS sampling every 10 ms", "width": 120,
            "max_iterations": 60, "exit_code": 0, "samples": samples, "peak_mb": peak,
            "phases": [["start", 0.02], [f"grid built{EVIL}", 0.1], ["kernel done", 0.25]]})
    dump(pp / "vmprof-pypy.json", {"implementation": "pypy", "width": 120, "max_iterations": 60,
                                   "error": f"vmprof could not run: ImportError: {EVIL}"})
    for name in ("julia_cython_lists", "julia_cython_memoryview"):
        (cp / "cython" / f"{name}.html").write_text(f"<html><body>{name}</body></html>")
    dump(cp / "cython" / "index.json", ["julia_cython_lists.html", "julia_cython_memoryview.html"])
    dump(cp / "numba" / "numba_njit-llvm-summary.json", {
        "numba": "0.68.1", "function": "calculate_z", "signatures": [
            {"signature": f"(int64, {EVIL})", "llvm_lines": 653, "fmul": 24, "fadd": 12, "fcmp": 6,
             "vector_ops": 0, "calls": 56}]})
    (cp / "numba" / "numba_njit-types.txt").write_text("calculate_z (int64, ...)\n")


@pytest.fixture(scope="module")
def profiled_archive(report_archive, tmp_path_factory) -> Path:
    path = forge(report_archive, tmp_path_factory.mktemp("profiled") / "profiled", _profiles)
    # a file the manifest does not list is never read (archive.read only verifies the listed ones)
    (path / "profiles" / "pypy3.9" / "vmprof-unlisted.json").write_bytes(archive.dumps({
        "implementation": "pypy", "functions": [{"function": "py:UNLISTED_FUNCTION:1:x.py", "self_samples": 9,
                                                 "percent": 100.0}], "samples": 9}))
    return path


@pytest.fixture(scope="module")
def profile_only_archive(report_archive, tmp_path_factory) -> Path:
    """What `shootout profile` writes without --into: profiles/, the contract, no timing cells."""
    def strip(path: Path) -> None:
        _write_records(path, [])
        (path / "builds.json").write_bytes(archive.dumps([]))
        _update_metadata(path, lambda meta: meta.update(
            kind="profile", variants={}, sizes={}, threads=[], planned_cells=[],
            method={"name": "profile", "processes": 0, "warmups": 0, "calls": 0, "jit_calls": 0}))
        for folder in ("pyperf", "references"):
            shutil.rmtree(path / folder, ignore_errors=True)
        _profiles(path)

    return forge(report_archive, tmp_path_factory.mktemp("profile-only") / "profile-only", strip)


def test_where_the_time_goes_renders_the_profiles(profiled_archive):
    html = render_archive(profiled_archive).decode()
    part = _section(html, "profiles")
    # the parameter set's label: report/profiles.py (tests/test_profile.py)
    assert "Profiled at <strong>" in part
    assert "<code>workloads/julia/pure_python.py:4</code>" in part and ">114,641<" in part and ">2/1<" in part
    hot = re.findall(r'<tr class="hot">(.*?)</tr>', part, re.DOTALL)
    assert len(hot) == 1 and "abs(z) &lt; 2" in hot[0] and ">114,641<" in hot[0]
    # tool status from index.json: the failed vmprof run is red with its error; logs are relative links
    assert re.search(r'<tr class="bad"><td class="l">vmprof</td>', part)
    assert '<a href="logs/profile-cpython3.11-cprofile.log">' in part
    assert "vmprof could not run: ImportError: " + EVIL_ESCAPED in part
    assert "UNLISTED_FUNCTION" not in html  # not in the manifest: not read
    for name in ("julia_cython_lists", "julia_cython_memoryview"):
        assert f'<a href="profiles/cpython3.11/cython/{name}.html">{name}</a>' in part
    assert "viewed as <code>report.html</code> inside" in part
    assert '<a href="profiles/cpython3.11/numba/numba_njit-types.txt">' in part
    # LLVM lines ... vector ops, calls
    assert re.search(r"<td>653</td>(<td>\d+</td>)+<td>0</td><td>56</td>", part)
    assert "cpython3.11 16.5 MB" in part and "pypy3.9 67.2 MB" in part
    memory = _specs(html)["memory-0"]
    assert [t["name"] for t in memory["data"]] == ["cpython3.11 (cpython)", "pypy3.9 (pypy)"]
    assert max(memory["data"][1]["y"]) == 67.25
    markers = [a["text"] for a in memory["layout"]["annotations"]]
    assert len(memory["layout"]["shapes"]) == 4 and sum("kernel done" in m for m in markers) == 2
    assert all(EVIL not in m for m in markers) and any("&lt;script&gt;" in m for m in markers)
    # every archive string escaped: in the HTML and inside the Plotly spec
    assert EVIL not in html and "alert(1)</script>" not in html
    # status error, cProfile function, source line, vmprof error, signature
    assert part.count(EVIL_ESCAPED) >= 5
    assert render_archive(profiled_archive) == html.encode()


@pytest.mark.slow  # headless Chromium: seconds per page
def test_profile_only_archive_says_there_are_no_timing_cells(profile_only_archive, tmp_path):
    html = render_archive(profile_only_archive).decode()
    for section in ("headline", "speedup", "table", "warmup"):
        assert "No timing cells in this archive." in _section(html, section), section
    assert "A profile-only archive" in html
    for section in ("interpreters", "quality", "threads", "sizes"):
        assert f'<section id="{section}">' not in html  # no empty tables or charts
    assert set(_specs(html)) == {"memory-0"}
    page = tmp_path / "profile-only.html"
    page.write_text(html)
    seen = open_in_chromium(page, tmp_path / "profile-only.png")
    assert_clean_page(seen)
    assert seen["rendered"] == 1
    assert "Where the time goes" in seen["text"] and EVIL in seen["text"]


def test_each_cell_says_why_it_got_no_more_processes():
    cell = cells_mod.CellSummary("julia", "cffi_c", "c", "cpython3.11", "cpython", 1, "80x60", "ok", True, 6)
    planned = [{"workload": "julia", "variant": "cffi_c", "interpreter": "cpython3.11", "threads": 1,
                "size": "80x60", "sampling": "run budget of 540 s spent after 6 processes"},
               {"workload": "julia", "variant": "cffi_c", "interpreter": "pypy3.9", "threads": 1,
                "size": "80x60", "sampling": "cap of 30 processes reached"}, "not a cell"]
    (found,) = cells_mod.with_stop_reasons([cell], planned)
    assert found.sampling == "run budget of 540 s spent after 6 processes"
    assert cells_mod.with_stop_reasons([cell], [])[0].sampling == ""  # archives from before: nothing claimed


def test_the_machine_over_the_run_shows_each_process_and_says_when_the_baseline_drifted(report_archive,
                                                                                         tmp_path):
    def drifting_baseline(path: Path) -> None:
        records = _records(path)
        base = next(r for r in records
                    if r["variant"] == "pure_python" and r["interpreter"]["name"] == "cpython3.11")
        others = [r for r in records if r is not base and not (
            r["variant"] == "pure_python" and r["interpreter"]["name"] == "cpython3.11")]
        episodes = [worker_record("pure_python", "cpython", [level, level], params=base["params"],
                                  process_index=i, warmup_rule="interpreted")
                    for i, level in enumerate([4.0] * 6 + [5.0] * 6)]
        records = [Record.from_json(r) for r in others] + episodes
        for i, r in enumerate(records):
            r.started_at = 1_800_000_000.0 + 10 * i
        _write_records(path, records)

    html = render_archive(forge(report_archive, tmp_path / "drift", drifting_baseline)).decode()
    section = html[html.index('id="drift"'):]
    assert 'data-plot="drift-0"' in section
    assert "its 12 process means in the order they ran is r = 0.75" in section  # 10 of 11 neighbours agree
    assert "its processes drifted together" in section
    assert "Not recorded" in render_archive(report_archive).decode()  # the fixture predates started_at
