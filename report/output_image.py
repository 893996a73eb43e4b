"""The contract's figures, drawn from the verified reference outputs stored in the archive, as small PNG data
URIs.

references/<name>.json (one per workload and parameter set) names its output file: gzip'd little-endian int32
or float64 (the reference's output_type, else the contract's verification.output_type), one value per point,
row-major. A figure is square unless it names the parameter that gives its number of rows; its scale is linear
or log (for counts with a long tail); `invert` draws high values dark. Row 0 is the top of the image.

Only files the manifest lists are read (archive.read checked their sha256); an output is refused when it
decompresses past MAX_OUTPUT_BYTES or no longer matches the reference's own sha256. The PNG is written with
zlib + struct (no Pillow): 8-bit grayscale, no filter, zlib level 9, downsampled to at most MAX_SIDE per side,
so the same output always gives the same bytes.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import math
import struct
import zlib
from dataclasses import dataclass

import numpy as np

from shootout.results.records import Record
from shootout.results.snapshot import ContractSnapshot, FigureSnapshot

MAX_SIDE = 500
MAX_OUTPUT_BYTES = 64 * 1024 * 1024  # refuse absurd (hostile) outputs: 16 million int32 values
DTYPES = {"int32": "<i4", "float64": "<f8"}
READ_ERRORS = (OSError, ValueError, KeyError, TypeError, EOFError, zlib.error, gzip.BadGzipFile)


@dataclass(frozen=True)
class ArchivedReference:
    """One verified reference output, as references/*.json describes it."""

    rel: str  # archive-relative json path
    workload: str
    size: str  # the parameter set's label
    params: dict
    output_file: str
    sha256: str
    output_type: str | None


@dataclass(frozen=True)
class OutputImage:
    title: str
    caption: str
    size: str
    params: dict
    reference: str
    output_file: str
    rows: int
    columns: int
    drawn_rows: int
    drawn_columns: int
    total: float  # sum of the values
    sha256: str
    data_uri: str
    matched_by: int  # verified worker processes whose output sha256 equals this one
    png_bytes: int

    @property
    def reduced(self) -> bool:
        return self.drawn_rows < self.rows or self.drawn_columns < self.columns


def png_gray(image: np.ndarray) -> bytes:
    """8-bit grayscale PNG of a 2-D uint8 array (no filter, zlib level 9: same array, same bytes)."""
    if image.ndim != 2 or image.dtype != np.uint8:
        raise ValueError("png_gray expects a 2-D uint8 array")
    rows, columns = image.shape
    raw = b"".join(b"\x00" + image[row].tobytes() for row in range(rows))

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload)))

    header = struct.pack(">IIBBBBB", columns, rows, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def shade(values: np.ndarray, scale: str = "linear", invert: bool = False) -> np.ndarray:
    """Values to gray levels over their own range (log: log1p of the distance to the minimum); non-finite
    values count as the minimum. Dark = low values, or high ones when inverted."""
    data = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(data)
    low = float(data[finite].min()) if finite.any() else 0.0
    shifted = np.where(finite, data, low) - low
    top = float(shifted.max()) if shifted.size else 0.0
    if top <= 0:
        level = np.zeros_like(shifted)
    elif scale == "log":
        level = np.log1p(shifted) / math.log1p(top)
    else:
        level = shifted / top
    gray = np.round(255 * level).astype(np.uint8)
    return 255 - gray if invert else gray


def downsample(grid: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    step = max(1, math.ceil(max(grid.shape) / max_side))
    return grid[::step, ::step]


# ---------------------------------------------------------------- references


def _size_of(ref: dict, declared: list) -> tuple[str, dict]:
    """The label and parameters of a reference: its own (v2), else the declared parameter set it matches
    (v1)."""
    if isinstance(ref.get("label"), str) and isinstance(ref.get("params"), dict):
        return ref["label"], ref["params"]
    for size in declared:
        params = size.get("params") if isinstance(size, dict) else None
        if isinstance(params, dict) and params and all(ref.get(k) == v for k, v in params.items()):
            return str(size.get("label")), params
    raise ValueError("names no parameter set of this run")


def read_references(archive, workloads: list[str]) -> tuple[list[ArchivedReference], list[str]]:
    """Every references/*.json the manifest lists, parsed; one problem line per one that cannot be used."""
    files = archive.manifest.get("files", {})
    declared = archive.metadata.get("sizes") if isinstance(archive.metadata.get("sizes"), dict) else {}
    found, problems = [], []
    for rel in sorted(files):
        if not (rel.startswith("references/") and rel.endswith(".json")):
            continue
        try:
            ref = json.loads(archive.text(rel))
            workload = ref.get("workload") if len(workloads) > 1 else ref.get("workload", workloads[0])
            if workload not in workloads:
                raise ValueError(f"is for workload {str(workload)[:40]!r}, not one of this archive's")
            label, params = _size_of(ref, declared.get(workload) or [])
            output_type = ref.get("output_type")
            found.append(ArchivedReference(rel, workload, label, params, str(ref["output_file"]),
                                   str(ref["output_sha256"]),
                                   output_type if isinstance(output_type, str) else None))
        except (*READ_ERRORS, AttributeError) as exc:
            problems.append(f"{rel}: {exc}")
    return found, problems


def _values(archive, ref: ArchivedReference, output_type: str) -> np.ndarray:
    files = archive.manifest.get("files", {})
    output_rel = f"references/{ref.output_file}"
    if output_rel not in files or "/" in ref.output_file or "\\" in ref.output_file:
        raise ValueError(f"output file {ref.output_file!r} is not listed in the manifest")
    if output_type not in DTYPES:
        raise ValueError(f"output type {output_type!r} is not one of {', '.join(DTYPES)}")
    dtype = np.dtype(DTYPES[output_type])
    with gzip.GzipFile(fileobj=io.BytesIO((archive.path / output_rel).read_bytes())) as fh:
        data = fh.read(MAX_OUTPUT_BYTES + 1)
    if len(data) > MAX_OUTPUT_BYTES or len(data) % dtype.itemsize or not data:
        raise ValueError(f"output is not a plausible {output_type} array")
    if hashlib.sha256(data).hexdigest() != ref.sha256:
        raise ValueError("output does not match the reference's sha256")
    return np.frombuffer(data, dtype=dtype)


def _shape(figure: FigureSnapshot, params: dict, count: int) -> tuple[int, int]:
    if figure.rows is None:
        side = math.isqrt(count)
        if side * side != count:
            raise ValueError(f"{count} values is not a square")
        return side, side
    rows = params.get(figure.rows)
    if not isinstance(rows, int) or isinstance(rows, bool) or rows < 1 or count % rows:
        raise ValueError(f"{count} values do not make {str(rows)[:20]} rows (parameter {figure.rows!r})")
    return rows, count // rows


def _matched(records: list[Record], ref: ArchivedReference) -> int:
    return sum(1 for r in records if r.verified and r.workload == ref.workload
               and r.size == ref.size and r.output_sha256 == ref.sha256)


def _draw(figure: FigureSnapshot, ref: ArchivedReference, values: np.ndarray, matched: int) -> OutputImage:
    rows, columns = _shape(figure, ref.params, len(values))
    small = downsample(values.reshape(rows, columns))
    png = png_gray(np.ascontiguousarray(shade(small, figure.scale, figure.invert)))
    return OutputImage(
        title=figure.title, caption=figure.caption, size=ref.size, params=ref.params, reference=ref.rel,
        output_file=ref.output_file, rows=rows, columns=columns, drawn_rows=int(small.shape[0]),
        drawn_columns=int(small.shape[1]), total=float(values.astype(np.float64).sum()), sha256=ref.sha256,
        data_uri="data:image/png;base64," + base64.b64encode(png).decode("ascii"), matched_by=matched,
        png_bytes=len(png),
    )


@dataclass(frozen=True)
class FigureImages:
    """One figure of the contract, drawn for every parameter set that has a reference output."""

    figure: FigureSnapshot
    images: list[OutputImage]


def images(archive, contract: ContractSnapshot, references: list[ArchivedReference],
           size_rank) -> tuple[list[FigureImages], list[str]]:
    """Every figure of the contract for every reference output of its workload, in size order; plus one line
    per output that could not be drawn."""
    drawn: list[list[OutputImage]] = [[] for _ in contract.figures]
    problems = []
    mine = sorted((r for r in references if r.workload == contract.name),
                  key=lambda r: (size_rank(r.size), r.rel))
    default_type = contract.verification.get("output_type", "int32")
    for ref in mine if contract.figures else []:
        try:
            values = _values(archive, ref, ref.output_type or default_type)
            for index, figure in enumerate(contract.figures):
                drawn[index].append(_draw(figure, ref, values, _matched(archive.records, ref)))
        except READ_ERRORS as exc:
            problems.append(f"{ref.rel}: {exc}")
    return [FigureImages(f, found) for f, found in zip(contract.figures, drawn)], problems
