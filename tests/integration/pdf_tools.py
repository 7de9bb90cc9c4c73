"""Drive the real PDF tools (poppler, zbar, qpdf) on rendered bytes.

The renderer's promises are about what other programs see: text that ``pdftotext`` extracts,
a QR code that a decoder reads from a printed-resolution raster, a file ``qpdf`` accepts.
So the tests ask those programs, not the renderer's own code.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

TOOLS = ("pdftotext", "pdftoppm", "pdffonts", "zbarimg", "qpdf")


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def _run(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, input=stdin, capture_output=True, timeout=60, check=False)


def pdftotext(pdf: bytes, *options: str) -> str:
    result = _run(["pdftotext", *options, "-enc", "UTF-8", "-", "-"], pdf)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout.decode("utf-8")


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    top: float  # from the top of the page, as poppler reports it
    x1: float
    bottom: float


def words(pdf: bytes) -> list[Word]:
    """Every word with its box (``pdftotext -bbox``), in page points from the top left."""
    html = pdftotext(pdf, "-bbox")
    pattern = re.compile(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    )
    import html as html_lib

    return [
        Word(html_lib.unescape(m[5]), float(m[1]), float(m[2]), float(m[3]), float(m[4]))
        for m in pattern.finditer(html)
    ]


def decode_qr(pdf: bytes, dpi: int = 150) -> list[str]:
    """Rasterise like a 150 dpi print in grey and return what zbarimg reads."""
    with tempfile.TemporaryDirectory(prefix="permit-qr-") as tmp:
        source = Path(tmp) / "permit.pdf"
        source.write_bytes(pdf)
        raster = _run(["pdftoppm", "-r", str(dpi), "-gray", str(source), str(Path(tmp) / "page")])
        assert raster.returncode == 0, raster.stderr.decode(errors="replace")
        images = sorted(Path(tmp).glob("page*.pgm"))
        assert images, "pdftoppm wrote no image"
        result = _run(["zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(images[0])])
        assert result.returncode == 0, f"zbarimg found no code: {result.stderr!r}"
        return [line for line in result.stdout.decode("utf-8").splitlines() if line]


def qpdf_check(pdf: bytes) -> subprocess.CompletedProcess[bytes]:
    with tempfile.TemporaryDirectory(prefix="permit-qpdf-") as tmp:
        source = Path(tmp) / "permit.pdf"
        source.write_bytes(pdf)
        return _run(["qpdf", "--check", str(source)])


@dataclass(frozen=True)
class FontInfo:
    name: str
    type: str
    embedded: bool
    subset: bool
    unicode: bool


def fonts(pdf: bytes) -> list[FontInfo]:
    """``pdffonts`` rows: name, type, and the emb/sub/uni columns."""
    with tempfile.TemporaryDirectory(prefix="permit-fonts-") as tmp:
        source = Path(tmp) / "permit.pdf"
        source.write_bytes(pdf)
        result = _run(["pdffonts", str(source)])
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    rows = result.stdout.decode().splitlines()[2:]
    out = []
    for row in rows:
        parts = row.split()
        # name type [type...] encoding emb sub uni object generation
        emb, sub, uni = parts[-5:-2]
        out.append(FontInfo(parts[0], parts[1], emb == "yes", sub == "yes", uni == "yes"))
    return out


@dataclass(frozen=True)
class Widget:
    name: str
    x0: float
    y0: float
    x1: float
    y1: float


def template_widgets(pdf: bytes) -> list[Widget]:
    """Fully qualified field names and rectangles, read independently with pypdf."""
    from pypdf import PdfReader

    page = PdfReader(BytesIO(pdf)).pages[0]
    out = []
    for ref in page.get("/Annots", []):
        annot: Any = ref.get_object()
        if annot.get("/Subtype") != "/Widget":
            continue
        parts = []
        node = annot
        while node is not None:
            if "/T" in node:
                parts.append(str(node["/T"]))
            node = node["/Parent"].get_object() if "/Parent" in node else None
        x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
        out.append(Widget(".".join(reversed(parts)), x0, y0, x1, y1))
    return out


def page_height(pdf: bytes) -> float:
    from pypdf import PdfReader

    return float(PdfReader(BytesIO(pdf)).pages[0].mediabox.height)
