"""The verification QR code: explicit segments, error correction Q, drawn as one vector path.

Why segments: the content is ``https://<host>/v#<token>``. As one byte-mode string every
character costs 8 bits; a decimal token in numeric mode costs 3.33 bits per digit and a base32
token in alphanumeric mode 5.5 bits per character. So the lowercase prefix up to and including
``#`` goes in byte mode (lowercase letters are not in the alphanumeric set, and an uppercase
``HTTPS://`` breaks several phone cameras) and the fragment gets the densest mode it fits.

Why exactly Q: printed permits lie behind dirty, curved windscreens and get creased; Q
recovers about 25 % of the codewords. segno would silently raise the level when a version has
room to spare ("boost"), which makes the symbol denser for no benefit here, so boosting is off
and the version is the smallest that holds the data at Q.

Capacity (ECC Q, numeric fragment): a one-plate token of about 88 bytes is 212 decimal
digits (721 bits with mode and count indicators). Version 9-Q holds 1056 data bits, leaving
335 bits for the byte-mode prefix: 12 bits of indicators plus 8 per character, i.e. a prefix
of up to 40 characters, which is ``https://`` + a host of up to about 29 characters + ``/v#``.
Longer hosts or more plates move to version 10 and up. That is not an error: the code stays
readable, its modules just get smaller (at 54 mm, version 9 gives 0.89 mm modules and version
13 about 0.70 mm), so :func:`encode_qr` exposes the version and leaves the policy to callers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

__all__ = [
    "ECC_LEVEL",
    "QUIET_ZONE",
    "QrMatrix",
    "Segment",
    "encode_qr",
    "qr_path_operators",
    "split_segments",
]

ECC_LEVEL = "Q"
QUIET_ZONE = 4  # modules of light margin on every side (ISO/IEC 18004 minimum)

Mode = Literal["numeric", "alphanumeric", "byte"]
_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


@dataclass(frozen=True)
class Segment:
    text: str
    mode: Mode


@dataclass(frozen=True)
class QrMatrix:
    """A QR symbol without its quiet zone; ``modules[row][col]`` is True for dark."""

    version: int
    size: int
    modules: tuple[tuple[bool, ...], ...]
    segments: tuple[Segment, ...]
    text: str  # the exact string a decoder returns


def _fragment_mode(fragment: str) -> Mode:
    if fragment.isascii() and fragment.isdigit():
        return "numeric"
    if all(ch in _ALPHANUMERIC for ch in fragment):
        return "alphanumeric"
    return "byte"


def _lowercase_scheme_and_host(prefix: str) -> str:
    """Scheme and host are case-insensitive (RFC 3986), path and query are not."""
    parts = urlsplit(prefix)
    if not parts.scheme or not parts.netloc:
        return prefix
    head = f"{parts.scheme}://{parts.netloc}"
    if prefix[: len(head)].lower() != head.lower():  # unusual spelling; leave it as given
        return prefix
    return head.lower() + prefix[len(head) :]


def split_segments(content: str) -> tuple[Segment, ...]:
    """Split ``<prefix>#<fragment>`` into a byte segment and the densest fragment segment.

    Without ``#`` the whole content is one segment in the densest mode it fits.
    A fragment that needs byte mode anyway joins the prefix in one segment (a second
    byte segment would only add 12 bits of headers).
    """
    if not content:
        raise ValueError("QR content is empty")
    cut = content.find("#")
    if cut < 0:
        return (Segment(content, _fragment_mode(content)),)
    prefix = _lowercase_scheme_and_host(content[: cut + 1])
    fragment = content[cut + 1 :]
    mode = _fragment_mode(fragment) if fragment else "byte"
    if mode == "byte":
        return (Segment(prefix + fragment, "byte"),)
    return (Segment(prefix, "byte"), Segment(fragment, mode))


def encode_qr(content: str) -> QrMatrix:
    """Encode with explicit segments at ECC level Q in the smallest fitting version."""
    from segno import consts

    from chalicelib.adapters.pdf.qr_symbol import build_symbol, sg

    modes = {
        "numeric": consts.MODE_NUMERIC,
        "alphanumeric": consts.MODE_ALPHANUMERIC,
        "byte": consts.MODE_BYTE,
    }
    segments = split_segments(content)
    prepared = sg.Segments()
    for segment in segments:
        # make_segment refuses a mode the text does not fit, so a wrong split cannot pass.
        prepared.add_segment(sg.make_segment(segment.text, modes[segment.mode]))
    symbol = build_symbol(prepared)
    modules = tuple(tuple(v == 1 for v in row) for row in symbol.rows)
    return QrMatrix(
        version=symbol.version,
        size=len(modules),
        modules=modules,
        segments=segments,
        text="".join(s.text for s in segments),
    )


def qr_path_operators(qr: QrMatrix, x: float, y: float, width: float) -> bytes:
    """One filled path for the symbol and its quiet zone in the square at ``(x, y)``."""
    from chalicelib.adapters.pdf.qr_path import qr_path_operators as operators

    return operators(qr.modules, QUIET_ZONE, x, y, width)
