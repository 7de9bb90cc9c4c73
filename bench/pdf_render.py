"""Permit PDF render time and size against the usual ways of producing the same page.

``median_ms``/``p99_ms``/``bytes``: :class:`PdfTemplateRenderer` after warm-up, QR code
included (its encoding is part of every render).

``pypdf_merge_*`` (the baseline of the bench rows): values and QR drawn on a ReportLab
overlay page, merged onto the template with pypdf's ``merge_page``, widgets and /AcroForm
removed, /ID set: what a developer filling a PDF template reaches for first, and what the
renderer would cost without its precomputed template bytes.

``baseline_*``: the whole page drawn from scratch on a ReportLab canvas, the alternative
without a template: the same static text (the template builder's drawing code),
the same values at the same places and sizes, the same QR code as one filled path, the same
fonts (registered once, lean subsets), ``invariant=1``.

Rounds are interleaved (one of each per iteration) so that CPU frequency changes and noisy
neighbours hit all three alike.

Run: ``.venv/bin/python -m bench.pdf_render [iterations]``
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from io import BytesIO
from pathlib import Path
from typing import Any

from chalicelib.adapters.pdf.layout import PlacedLine, fit_lines, split_value
from chalicelib.adapters.pdf.qr import encode_qr
from chalicelib.adapters.pdf.qr_path import outline_loops
from chalicelib.adapters.pdf.renderer import PdfTemplateRenderer
from scripts import build_templates as layout_script

__all__ = ["measure"]

TEMPLATE = "resident-parking-permit.pdf"
TOKEN = "".join(str((7 * i + 3) % 10) for i in range(212))  # one-plate token, decimal
QR_CONTENT = f"https://permits.example.de/v#{TOKEN}"
FIELDS = {
    "permit.zone": "B",
    "vehicle.plates": "M-AB 1234",
    "permit.valid_from": "01.04.2026",
    "permit.valid_until": "31.03.2027",
    "permit.number": "BP-2026-000123",
    "authority.name": "Stadt Musterstadt – Straßenverkehrsbehörde",
    "applicant.name": "Łukasz Żółć",
    "address.line1": "Musterstraße 12",
    "address.line2": "12345 Musterstadt",
    "vehicle.plates_list": "MAB1234",
    "permit.zone_line": "B – Wirteltor",
}
SPEC = layout_script.load_spec(layout_script.TEMPLATES_DIR / TEMPLATE.replace(".pdf", ".json"))
BOXES = layout_script.field_boxes(SPEC)
QR_BOX = next(box for box in BOXES if box.name == "qr")


def _placed_values(fields: Mapping[str, str]) -> list[PlacedLine]:
    """The renderer's placement, computed from the template description's field boxes."""
    from reportlab.pdfbase import pdfmetrics

    from chalicelib.adapters.pdf.fonts import font_metrics

    font = pdfmetrics.getFont(layout_script.BOLD)
    metrics = font_metrics(font.face)
    placed: list[PlacedLine] = []
    for box in BOXES:
        if box.name in fields:
            placed.extend(
                fit_lines(
                    split_value(fields[box.name]),
                    box.rect(),
                    box.max_size,
                    box.align,
                    lambda text: float(font.stringWidth(text, 1.0)),
                    metrics,
                    wrap=box.wrap,
                )
            )
    return placed


def _draw_qr(canvas: Any, content: str) -> None:
    """The QR code as one ReportLab path in module units, filled once."""
    from chalicelib.adapters.pdf.qr import QUIET_ZONE

    qr = encode_qr(content)
    x0, _, x1, y1 = QR_BOX.rect()
    module = (x1 - x0) / (qr.size + 2 * QUIET_ZONE)
    canvas.saveState()
    canvas.setFillGray(0)
    canvas.transform(module, 0, 0, -module, x0 + QUIET_ZONE * module, y1 - QUIET_ZONE * module)
    path = canvas.beginPath()
    for loop in outline_loops(qr.modules):
        path.moveTo(*loop[0])
        for point in loop[1:]:
            path.lineTo(*point)
        path.close()
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def _draw_values(canvas: Any, fields: Mapping[str, str]) -> None:
    canvas.setFillGray(0)
    for line in _placed_values(fields):
        canvas.setFont(layout_script.BOLD, line.size)
        canvas.drawString(line.x, line.y, line.text)


def _reportlab_from_scratch(fields: Mapping[str, str], qr_content: str) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buf = BytesIO()
    canvas = Canvas(
        buf,
        pagesize=(layout_script.PAGE_W, layout_script.PAGE_H),
        invariant=1,
        pageCompression=1,
        initialFontName=layout_script.REGULAR,
    )
    layout_script.draw_static(canvas, SPEC)
    _draw_values(canvas, fields)
    _draw_qr(canvas, qr_content)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


class _PypdfMerge:
    """ReportLab overlay + pypdf ``merge_page`` onto the template (parsed once)."""

    def __init__(self, template: bytes) -> None:
        from pypdf import PdfReader

        self._template = PdfReader(BytesIO(template))

    def __call__(self, fields: Mapping[str, str], qr_content: str) -> bytes:
        import hashlib

        from pypdf import PdfReader, PdfWriter
        from pypdf.generic import ArrayObject, ByteStringObject
        from reportlab.pdfgen.canvas import Canvas

        buf = BytesIO()
        canvas = Canvas(
            buf,
            pagesize=(layout_script.PAGE_W, layout_script.PAGE_H),
            invariant=1,
            pageCompression=1,
            initialFontName=layout_script.BOLD,
        )
        _draw_values(canvas, fields)
        _draw_qr(canvas, qr_content)
        canvas.showPage()
        canvas.save()
        writer = PdfWriter(clone_from=self._template)
        page = writer.pages[0]
        page.merge_page(PdfReader(BytesIO(buf.getvalue())).pages[0])
        if "/Annots" in page:
            del page["/Annots"]
        del writer.root_object["/AcroForm"]
        digest = hashlib.sha256(repr(sorted(fields.items())).encode() + qr_content.encode())
        ident = ByteStringObject(digest.digest()[:16])
        writer._ID = ArrayObject([ident, ident])
        writer.metadata = {"/Producer": "bench"}
        out = BytesIO()
        writer.write(out)
        return out.getvalue()


def _timed(work: Callable[[], object]) -> float:
    """Milliseconds for one call, with the cyclic GC paused as ``timeit`` does.

    Otherwise garbage from the pypdf contender (tens of thousands of objects per call) is
    collected during whichever call happens to cross the threshold.
    """
    gc.collect()
    gc.disable()
    try:
        begin = time.perf_counter()
        work()
        return (time.perf_counter() - begin) * 1000
    finally:
        gc.enable()


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(iterations: int) -> dict[str, float]:
    """Render ``iterations`` permits each way, interleaved, after a warm-up of each."""
    templates = Path(layout_script.TEMPLATES_DIR)
    layout_script.register_fonts()

    start = time.perf_counter()
    renderer = PdfTemplateRenderer(templates)
    ours_pdf = renderer.render(TEMPLATE, FIELDS, QR_CONTENT)
    cold_ms = (time.perf_counter() - start) * 1000
    merge = _PypdfMerge((templates / TEMPLATE).read_bytes())

    contenders: dict[str, Callable[[], bytes]] = {
        "ours": lambda: renderer.render(TEMPLATE, FIELDS, QR_CONTENT),
        "baseline": lambda: _reportlab_from_scratch(FIELDS, QR_CONTENT),
        "pypdf_merge": lambda: merge(FIELDS, QR_CONTENT),
    }
    sizes = {name: len(work()) for name, work in contenders.items()}  # warm-up
    for work in contenders.values():
        for _ in range(3):
            work()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(iterations):
        for name, work in contenders.items():
            times[name].append(_timed(work))

    qr_times = [_timed(lambda: encode_qr(QR_CONTENT)) for _ in range(max(10, iterations // 4))]

    result = {
        "median_ms": statistics.median(times["ours"]),
        "p99_ms": _percentile(times["ours"], 0.99),
        "bytes": float(len(ours_pdf)),
        "cold_ms": cold_ms,
        "qr_encode_median_ms": statistics.median(qr_times),
        "qr_version": float(encode_qr(QR_CONTENT).version),
        "baseline_median_ms": statistics.median(times["baseline"]),
        "baseline_p99_ms": _percentile(times["baseline"], 0.99),
        "baseline_bytes": float(sizes["baseline"]),
        "pypdf_merge_median_ms": statistics.median(times["pypdf_merge"]),
        "pypdf_merge_p99_ms": _percentile(times["pypdf_merge"], 0.99),
        "pypdf_merge_bytes": float(sizes["pypdf_merge"]),
    }
    result["speedup_vs_baseline"] = result["baseline_median_ms"] / result["median_ms"]
    result["speedup_vs_pypdf_merge"] = result["pypdf_merge_median_ms"] / result["median_ms"]
    return result


if __name__ == "__main__":
    figures = measure(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
    print(
        f"permit PDF, template renderer:  median {figures['median_ms']:6.2f} ms"
        f"  p99 {figures['p99_ms']:6.2f} ms  {figures['bytes'] / 1024:5.1f} KB"
        f"  (first render incl. loading {figures['cold_ms']:.0f} ms)"
    )
    print(
        f"  of which QR encode (v{figures['qr_version']:.0f}-Q): "
        f"{figures['qr_encode_median_ms']:6.2f} ms"
    )
    print(
        f"ReportLab page from scratch:    median {figures['baseline_median_ms']:6.2f} ms"
        f"  p99 {figures['baseline_p99_ms']:6.2f} ms"
        f"  {figures['baseline_bytes'] / 1024:5.1f} KB"
    )
    print(
        f"ReportLab overlay + pypdf merge: median {figures['pypdf_merge_median_ms']:6.2f} ms"
        f"               {figures['pypdf_merge_bytes'] / 1024:5.1f} KB"
    )
    print(f"speed-up vs overlay + merge:    {figures['speedup_vs_pypdf_merge']:6.2f}x")
    print(f"speed-up vs from scratch:       {figures['speedup_vs_baseline']:6.2f}x")
