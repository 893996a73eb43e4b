"""The Julia set drawn from a verified output stored in the archive, as a small deterministic PNG data URI.

references/<workload>-<W>x<M>.json names its output file (gzip'd little-endian int32, one escape count per grid
point, row-major, square grid). The image is only drawn when that output still matches the reference's sha256
and, where the run verified cells, the sha256 those cells matched. PNG is written with zlib + struct (no Pillow):
8-bit grayscale, zlib level 9, downsampled to at most MAX_SIDE pixels per side.
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
from pathlib import Path

import numpy as np

MAX_SIDE = 500
MAX_OUTPUT_BYTES = 64 * 1024 * 1024  # refuse absurd (hostile) outputs: 4000x4000 int32 = 64 MB


@dataclass(frozen=True)
class JuliaImage:
    reference: str  # archive-relative json path
    output_file: str
    width: int  # the size parameter (grid side is width + 1 in the tutorial's grid builder)
    max_iterations: int
    side: int  # grid points per side
    pixels: int  # image side after downsampling
    checksum: int
    sha256: str
    data_uri: str
    matched_by: int  # verified records whose output sha256 equals this one
    png_bytes: int


def png_gray(image: np.ndarray) -> bytes:
    """8-bit grayscale PNG of a 2-D uint8 array (no filter, zlib level 9: same array, same bytes)."""
    if image.ndim != 2 or image.dtype != np.uint8:
        raise ValueError("png_gray expects a 2-D uint8 array")
    height, width = image.shape
    raw = b"".join(b"\x00" + image[row].tobytes() for row in range(height))

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    )


def shade(counts: np.ndarray, max_iterations: int) -> np.ndarray:
    """Escape counts to gray levels: log scale, points that never escape (the set itself) black."""
    top = max(int(max_iterations), 1)
    values = np.clip(counts.astype(np.float64), 0, top)
    level = np.log1p(values) / math.log1p(top)
    gray = np.round(255 * (1 - level)).astype(np.uint8)
    return gray


def downsample(grid: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    step = max(1, math.ceil(grid.shape[0] / max_side))
    return grid[::step, ::step]


def load_images(path: Path, manifest_files: dict, records: list[dict]) -> tuple[list[JuliaImage], list[str]]:
    """Every reference output in the archive that can be drawn, plus one line per one that could not."""
    images, problems = [], []
    for rel in sorted(manifest_files):
        if not (rel.startswith("references/") and rel.endswith(".json")):
            continue
        try:
            image = _load_one(path, rel, manifest_files, records)
        except (OSError, ValueError, KeyError, TypeError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            problems.append(f"{rel}: {exc}")
            continue
        images.append(image)
    images.sort(key=lambda i: (i.width, i.max_iterations, i.reference))
    return images, problems


def _load_one(path: Path, rel: str, manifest_files: dict, records: list[dict]) -> JuliaImage:
    ref = json.loads((path / rel).read_text())
    output_file = ref["output_file"]
    output_rel = f"references/{output_file}"
    if output_rel not in manifest_files or "/" in output_file or "\\" in output_file:
        raise ValueError(f"output file {output_file!r} is not listed in the manifest")
    packed = (path / output_rel).read_bytes()
    with gzip.GzipFile(fileobj=io.BytesIO(packed)) as fh:
        data = fh.read(MAX_OUTPUT_BYTES + 1)
    if len(data) > MAX_OUTPUT_BYTES or len(data) % 4:
        raise ValueError("output is not a plausible int32 array")
    digest = hashlib.sha256(data).hexdigest()
    if digest != ref.get("output_sha256"):
        raise ValueError("output does not match the reference's sha256")
    counts = np.frombuffer(data, dtype="<i4")
    side = math.isqrt(len(counts))
    if side * side != len(counts) or side == 0:
        raise ValueError(f"{len(counts)} values is not a square grid")
    width, max_iterations = int(ref["width"]), int(ref["max_iterations"])
    matched = sum(
        1
        for r in records
        if r.get("verified")
        and r.get("output_sha256") == digest
        and (r.get("params") or {}).get("width") == width
        and (r.get("params") or {}).get("max_iterations") == max_iterations
    )
    # row 0 of the grid is the lowest imaginary coordinate: flip so the imaginary axis points up
    grid = counts.reshape(side, side)[::-1]
    small = downsample(grid)
    png = png_gray(np.ascontiguousarray(shade(small, max_iterations)))
    return JuliaImage(
        reference=rel,
        output_file=output_file,
        width=width,
        max_iterations=max_iterations,
        side=side,
        pixels=int(small.shape[0]),
        checksum=int(counts.astype(np.int64).sum()),
        sha256=digest,
        data_uri="data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        matched_by=matched,
        png_bytes=len(png),
    )
