"""The HTML report: self-contained, deterministic, escaped, complete, and checked in a real headless Chromium.

The browser is Debian's chromium (apt-get install chromium, see README) driven by Playwright's Python client
(`playwright` in the test dependency group; it downloads no browser of its own). Every request that is not file://
is aborted and recorded, and the test asserts there was none.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import re
import shutil
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import PYPY, SMALL, WORK_DIR, only_archive, run_shootout

from report import julia_image
from report.render import render_archive
from shootout import archive, stats
from shootout.workloads import variants

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
EVIL = "<script>alert(1)</script>"
EVIL_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
LIMIT_BYTES = 6_000_000
REPORT_VARIANTS = ["pure_python", "numpy_vectorised", "cffi_c", "numba_njit", "wrong_kernel"]


# ------------------------------------------------------------------ fixtures and helpers


@pytest.fixture(scope="session")
def report_archive(tmp_path_factory) -> Path:
    """A real small run on CPython and PyPy: verified cells, a wrong_output cell, an unsupported cell."""
    if PYPY is None:
        pytest.fail("pypy3 is not installed: apt-get install pypy3 pypy3-dev pypy3-venv (see README)")
    results = tmp_path_factory.mktemp("report-results")
    proc = run_shootout(
        "compare", "--sizes", SMALL, "--processes", "2", "--calls", "2", "--jit-calls", "5",
        "--include-test-variants", "--variant", ",".join(REPORT_VARIANTS),
        "--interpreter", f"{sys.executable},{PYPY}", "--seed", "5", "-o", str(results),
        "--work-dir", str(WORK_DIR),
    )
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-6000:]  # wrong_kernel fails by design
    return only_archive(results)


def forge(source: Path, target: Path, mutate) -> Path:
    """Copy an archive, let `mutate(path)` change its files, then re-hash it so archive.read accepts it."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(archive.REPORT))
    mutate(target)
    old = json.loads((target / archive.MANIFEST).read_text())
    extra = {k: v for k, v in old.items() if k not in ("files", "schema_version")}
    (target / archive.MANIFEST).write_bytes(archive.dumps(archive.build_manifest(target, extra)))
    archive.read(target)  # verifies
    return target


def _write_records(path: Path, records: list[dict]) -> None:
    shutil.rmtree(path / "records")
    (path / "records").mkdir()
    for index, record in enumerate(records):
        (path / "records" / f"{index:05d}.json").write_bytes(archive.dumps(record))
    (path / "timings.csv.gz").write_bytes(archive.gzip_bytes(stats.tidy(records).to_csv(index=False).encode()))
    (path / "processes.csv").write_bytes(stats.record_rows(records).to_csv(index=False).encode())


def _records(path: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((path / "records").glob("*.json"))]


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
                                                                  ok: i.complete && i.naturalWidth > 0})),
                })"""
            )
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return {**seen, "blocked": blocked, "console_errors": console_errors, "dialogs": dialogs}


def _specs(html: str) -> dict[str, dict]:
    return {
        m.group(1): json.loads(m.group(2))
        for m in re.finditer(r'<script type="application/json" data-plot="([^"]+)">(.*?)</script>', html, re.DOTALL)
    }


# ------------------------------------------------------------------ the browser


def test_report_renders_offline_in_headless_chromium(report_archive, tmp_path):
    html_path = tmp_path / "report.html"
    html_path.write_bytes(render_archive(report_archive))
    shot = tmp_path / "report.png"
    seen = open_in_chromium(html_path, shot)

    assert seen["blocked"] == [], f"the report tried to reach the network: {seen['blocked']}"
    assert seen["console_errors"] == []
    assert seen["dialogs"] == []
    # every plot rendered: one per embedded spec, each a Plotly div with SVG content and drawn traces
    assert seen["specs"] >= 1 + 3  # speedup chart + warm-up panels (PyPy x3 verified, Numba on CPython)
    assert seen["rendered"] == seen["specs"] == len(seen["plots"])
    for plot in seen["plots"]:
        assert plot["plotly"] and plot["svgs"] >= 1 and plot["marks"] >= 1, plot
    assert seen["scrollWidth"] <= 1280, "horizontal scroll at 1280 px"
    assert seen["images"] and all(i["ok"] and i["src"] == "data:image/png;base64," for i in seen["images"])
    for heading in ("Headline", "Speedup over pure Python on CPython", "All cells", "Warm-up", "The Julia set",
                    "What failed or was unsupported, and why", "How to reproduce"):
        assert heading in seen["text"]
    assert "wrong_output" in seen["text"] and "numba: no PyPy support" in seen["text"]
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">I", png[16:20])[0] == 1280


def test_archive_strings_are_shown_escaped(report_archive, tmp_path):
    def inject(path: Path) -> None:
        meta = json.loads((path / "metadata.json").read_text())
        meta["machine"]["hostname"] = EVIL
        meta["machine"]["cpu"]["model"] = EVIL
        meta["command_line"] = ["python", "-m", "shootout", "compare", "--variant", EVIL]
        (path / "metadata.json").write_bytes(archive.dumps(meta))
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
    assert html.count(EVIL_ESCAPED) >= 5  # hostname, cpu model, command, lock, error, variant in the table
    specs = _specs(html)
    assert any("\\u003cscript\\u003e" in json.dumps(s) or "&lt;script&gt;" in json.dumps(s) for s in specs.values())
    page = tmp_path / "evil.html"
    page.write_text(html)
    seen = open_in_chromium(page, tmp_path / "evil.png")
    assert seen["dialogs"] == [] and seen["console_errors"] == [] and seen["blocked"] == []
    assert EVIL in seen["text"]  # shown as text
    assert seen["rendered"] == seen["specs"]


def test_report_is_byte_deterministic(report_archive, tmp_path):
    first = render_archive(report_archive)
    copy = tmp_path / "copy"
    shutil.copytree(report_archive, copy)
    assert render_archive(copy) == first  # same files elsewhere: same bytes
    assert (report_archive / archive.REPORT).read_bytes() == first  # what compare wrote
    html = first.decode()
    assert html.count("* plotly.js v") == 1  # Plotly.js inlined once, in the head
    assert html.index("* plotly.js v") < html.index("</head>")
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=\"(https?:)?//", html, re.IGNORECASE)
    ids = re.findall(r'<div class="plot" id="([^"]+)"', html)
    assert ids and len(ids) == len(set(ids)) and all(re.fullmatch(r"[a-z]+-\d+(-\d+)?", i) for i in ids)


def test_failures_are_red_out_of_the_headline_and_chart_with_their_build_log(report_archive, tmp_path):
    def break_build(path: Path) -> None:
        records = _records(path)
        cp = next(r for r in records if r["variant"] == "cffi_c" and r["interpreter"]["implementation"] == "cpython")
        records = [r for r in records if not (r["variant"] == "cffi_c" and r["interpreter"] == cp["interpreter"])]
        log = "logs/build-cpython-julia-cffi_c.log"
        (path / log).write_text("gcc -O3 ...\njulia.c:12:1: error: expected ';' before '}' token <b>x</b>\n")
        records.append({
            **{k: cp[k] for k in ("schema_version", "run_id", "workload", "variant", "technology", "params",
                                  "threads")},
            "interpreter": {"name": cp["interpreter"]["name"], "implementation": "cpython"},
            "process_index": 0, "build": None, "build_log": log, "import_seconds": None,
            "first_call_seconds": None, "times_seconds": [], "checksum": None, "output_sha256": None,
            "pixels_differing": None, "verified": False, "status": "build_failed",
            "error": "cffi build failed (exit 1); see the log",
        })
        _write_records(path, records)

    broken = forge(report_archive, tmp_path / "broken", break_build)
    html = render_archive(broken).decode()
    headline, rest = html.split('<section id="table">', 1)
    fastest = re.findall(r'Fastest verified on (\S+?)</div>\s*<div class="big">([^<]*)</div>', headline)
    assert fastest and all(not (interp.startswith("cpython") and best == "cffi_c") for interp, best in fastest)
    assert "wrong_kernel" not in headline
    speedup = next(s for k, s in _specs(html).items() if k.startswith("speedup"))
    cpython_bars = [t for t in speedup["data"] if t["name"].startswith("cpython")]
    assert cpython_bars and all("cffi_c" not in t["y"] for t in cpython_bars)
    assert "wrong_kernel" not in json.dumps(speedup)
    row = re.search(r'<tr class="bad">\s*<td class="l">cffi_<wbr>c<div class="tech">cffi</div></td>\s*<td class="l">cpython',
                    rest)
    assert row, "the build_failed cell is a red row of the table"
    failures = rest.split('<section id="failures">', 1)[1].split("</section>", 1)[0]
    assert "build_failed" in failures and "cffi build failed (exit 1)" in failures
    assert "logs/build-cpython-julia-cffi_c.log" in failures
    assert "expected &#39;;&#39; before &#39;}&#39; token &lt;b&gt;x&lt;/b&gt;" in failures  # the log, escaped
    assert "<details><summary>Build log" in failures
    assert failures.count('class="problem bad"') >= 3  # build_failed + 2 wrong_output
    assert 'class="problem muted"' in failures  # numba on PyPy: unsupported, not red


def test_headline_compares_pure_python_pypy_vs_cpython(report_archive):
    data = archive.read(report_archive)
    summary = stats.summarise(data.records)
    pure = summary[summary["variant"] == "pure_python"].set_index("implementation")
    html = render_archive(report_archive).decode()
    headline = html.split('<section id="speedup">')[0]
    ratio = float(pure.loc["cpython", "median_seconds"]) / float(pure.loc["pypy", "median_seconds"])
    expected = f"{ratio:.3g}× {'faster' if ratio >= 1 else 'slower'}" if ratio >= 1 else f"{1 / ratio:.3g}× slower"
    assert expected in headline
    assert "Mann-Whitney" in headline and re.search(r"p (= [01]\.\d{3}|&lt; 0\.001)", headline)
    assert headline.count("Fastest verified on") == 2


# ------------------------------------------------------------------ size of a full-size report


def _julia_counts(width: int, max_iterations: int) -> np.ndarray:
    """The tutorial's grid and kernel, vectorised (for a realistic 1000x1000 image in a synthetic archive)."""
    x1, x2, y1, y2, c = -1.8, 1.8, -1.8, 1.8, complex(-0.62772, -0.42193)
    step = (x2 - x1) / width
    xs = np.arange(x1, x2, step)
    ys = np.arange(y1, y2, (y2 - y1) / width)
    z = (xs[None, :] + 1j * ys[:, None]).ravel()
    out = np.zeros(z.shape, dtype=np.int32)
    alive = np.ones(z.shape, dtype=bool)
    for _ in range(max_iterations):
        alive &= np.abs(z) < 2
        out[alive] += 1
        z[alive] = z[alive] * z[alive] + c
    return out


def test_full_size_report_stays_under_6_mb(report_archive, tmp_path):
    """Every variant (+ wrong_kernel) x 2 interpreters x 10 processes x 20 calls at 1000x300, with failures."""
    width, max_iterations = 1000, 300
    counts = _julia_counts(width, max_iterations)
    side = math.isqrt(len(counts))
    assert side * side == len(counts)
    data = counts.astype("<i4").tobytes()
    rng = np.random.default_rng(1)
    names = list(variants("julia")) + ["wrong_kernel"]
    base = {"pure_python": 9.0, "pure_python_expanded_math": 7.0, "numpy_vectorised": 0.9}

    def full(path: Path) -> None:
        template = next(r for r in _records(path) if r["status"] == "ok")
        for old in (path / "references").iterdir():
            old.unlink()
        (path / "references" / "julia-1000x300.int32le.gz").write_bytes(gzip.compress(data, mtime=0))
        (path / "references" / "julia-1000x300.json").write_bytes(archive.dumps({
            "workload": "julia", "width": width, "max_iterations": max_iterations, "points": len(counts),
            "checksum": int(counts.sum()), "output_sha256": hashlib.sha256(data).hexdigest(),
            "output_file": "julia-1000x300.int32le.gz"}))
        records = []
        for name in names:
            for impl, interp in (("cpython", "cpython3.11"), ("pypy", "pypy3.9")):
                info = variants("julia", include_test_only=True)[name]
                cell = {"schema_version": 1, "run_id": template["run_id"], "workload": "julia", "variant": name,
                        "technology": info.technology, "interpreter": {"name": interp, "implementation": impl},
                        "params": {"width": width, "max_iterations": max_iterations},
                        "threads": 2 if info.parallel else 1, "build": {"seconds": 3.2}}
                if info.reason_unsupported(impl):
                    records.append({**cell, "process_index": 0, "status": "unsupported", "verified": False,
                                    "times_seconds": [], "error": info.reason_unsupported(impl)})
                    continue
                jit = impl == "pypy" or info.technology == "numba"
                level = base.get(name, 0.05) / (4.5 if impl == "pypy" and info.technology == "python" else 1)
                for p in range(10):
                    calls = 20 if jit else 5
                    times = level * (1 + 0.03 * rng.standard_normal(calls))
                    if jit:
                        times[:4] *= [30, 3, 1.5, 1.1]
                    ok = name != "wrong_kernel"
                    records.append({
                        **cell, "process_index": p, "status": "ok" if ok else "wrong_output", "verified": ok,
                        "times_seconds": [float(t) for t in times], "inner_iterations": int(counts.sum()),
                        "import_seconds": 0.3, "first_call_seconds": float(times[0]),
                        "process_wall_seconds": float(times.sum()) + 0.5,
                        "output_sha256": template["output_sha256"] if not ok else
                        hashlib.sha256(data).hexdigest(),
                        "error": None if ok else "output differs from the reference: 7 pixels differ " * 20,
                    })
        _write_records(path, records)
        (path / "logs" / "build-big.log").write_text("x" * 200_000)  # big logs are only tailed

    big = forge(report_archive, tmp_path / "big", full)
    html = render_archive(big)
    (tmp_path / "report.html").write_bytes(html)
    print(f"full-size report: {len(html)} bytes")
    assert len(html) < LIMIT_BYTES
    text = html.decode()
    table = variants("julia")
    on_pypy = sum(1 for v in table.values() if not v.reason_unsupported("pypy"))
    numba = sum(1 for v in table.values() if v.technology == "numba")
    assert text.count('class="plot"') == 1 + on_pypy + numba  # speedup + verified PyPy cells + Numba cells
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', text)
    assert len(images) == 1 and len(images[0]) < 400_000


# ------------------------------------------------------------------ the PNG writer


def test_png_writer_round_trips():
    image = (np.arange(12 * 7, dtype=np.uint16) * 3 % 256).astype(np.uint8).reshape(7, 12)
    png = julia_image.png_gray(image)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert (width, height, depth, colour) == (12, 7, 8, 0)
    idat_len = struct.unpack(">I", png[33:37])[0]
    assert png[37:41] == b"IDAT"
    raw = zlib.decompress(png[41:41 + idat_len])
    rows = [raw[i * 13:(i + 1) * 13] for i in range(7)]
    assert all(r[0] == 0 for r in rows)
    assert np.array_equal(np.frombuffer(b"".join(r[1:] for r in rows), dtype=np.uint8).reshape(7, 12), image)
    assert png.endswith(b"IEND\xaeB`\x82")
    assert julia_image.png_gray(image) == png  # deterministic
