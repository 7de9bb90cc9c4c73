"""PDF documents: template renderer, QR code, embedded font.

Importing this package is free: pypdf, ReportLab and segno cost about 200 ms to import, so
they load only when :class:`PdfTemplateRenderer` or the QR encoder is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.adapters.pdf.qr import QrMatrix, encode_qr
    from chalicelib.adapters.pdf.renderer import PdfTemplateRenderer

__all__ = ["PdfTemplateRenderer", "QrMatrix", "encode_qr"]

_HOMES = {
    "PdfTemplateRenderer": "chalicelib.adapters.pdf.renderer",
    "QrMatrix": "chalicelib.adapters.pdf.qr",
    "encode_qr": "chalicelib.adapters.pdf.qr",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(home), name)
