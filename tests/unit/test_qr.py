"""QR encoding: segments, exact error correction level, version choice, mask, outline path."""

from __future__ import annotations

import random
from typing import Any

import pytest
import segno
from segno import consts

from chalicelib.adapters.pdf.qr import (
    QUIET_ZONE,
    QrMatrix,
    Segment,
    encode_qr,
    qr_path_operators,
    split_segments,
)
from chalicelib.adapters.pdf.qr_path import outline_loops

DIGITS = "".join(str((7 * i + 3) % 10) for i in range(212))  # a one-plate token, in decimal
URL = f"https://permits.example.de/v#{DIGITS}"
SEGNO_MODES = {
    "numeric": consts.MODE_NUMERIC,
    "alphanumeric": consts.MODE_ALPHANUMERIC,
    "byte": consts.MODE_BYTE,
}


def _format_info(qr: QrMatrix) -> tuple[str, int]:
    """Read ECC level and mask back from the symbol's format bits (ISO/IEC 18004 7.9)."""
    m = qr.modules
    spots = [0, 1, 2, 3, 4, 5, 7, 8]
    bits = 0
    for i, row in enumerate(spots):  # bits 0..7 run down column 8
        bits |= int(m[row][8]) << i
    for i, col in enumerate(spots):  # bits 14..7 run along row 8
        bits |= int(m[8][col]) << (14 - i)
    data = (bits ^ 0b101010000010010) >> 10
    level = {0b01: "L", 0b00: "M", 0b11: "Q", 0b10: "H"}[data >> 3]
    return level, data & 0b111


def _segno(qr: QrMatrix, version: int | None = None) -> Any:
    """segno's own encoder on the same explicit segments (its stubs only admit one string)."""
    make: Any = segno.make
    return make(
        [(s.text, SEGNO_MODES[s.mode]) for s in qr.segments],
        error="q",
        version=version,
        micro=False,
        boost_error=False,
    )


# -- segments -----------------------------------------------------------------------------


def test_decimal_token_is_a_numeric_segment_after_a_byte_prefix() -> None:
    assert split_segments(URL) == (
        Segment("https://permits.example.de/v#", "byte"),
        Segment(DIGITS, "numeric"),
    )


def test_base32_token_is_alphanumeric() -> None:
    assert split_segments("https://p.example.de/v#MFRGGZDFMZTWQ2LK")[1] == Segment(
        "MFRGGZDFMZTWQ2LK", "alphanumeric"
    )


def test_other_fragments_stay_in_one_byte_segment() -> None:
    content = "https://p.example.de/v#abc_def"
    assert split_segments(content) == (Segment(content, "byte"),)
    assert split_segments("https://p.example.de/v#²³") == (
        Segment("https://p.example.de/v#²³", "byte"),
    ), "superscript digits are not ASCII digits"


def test_scheme_and_host_are_lowercased_path_is_not() -> None:
    (prefix, fragment) = split_segments("HTTPS://Permits.Example.DE/V#123")
    assert prefix == Segment("https://permits.example.de/V#", "byte")
    assert fragment == Segment("123", "numeric")


def test_without_fragment_one_segment_in_its_densest_mode() -> None:
    assert split_segments("0123456789") == (Segment("0123456789", "numeric"),)
    assert split_segments("https://p.example.de/v") == (Segment("https://p.example.de/v", "byte"),)


def test_empty_content_is_refused() -> None:
    with pytest.raises(ValueError, match="QR content is empty"):
        split_segments("")


# -- level, version, matrix ---------------------------------------------------------------


def test_one_plate_token_fits_version_9_at_level_q() -> None:
    qr = encode_qr(URL)
    assert qr.version == 9
    assert qr.size == 4 * 9 + 17
    assert _format_info(qr)[0] == "Q"
    assert qr.text == URL


def test_level_stays_q_where_segno_would_boost_it() -> None:
    short = "https://p.example.de/v#a"  # one byte segment, version 3 has room for H
    boosted = segno.make(short, error="q", micro=False)
    assert boosted.error == "H", "precondition: segno boosts this content"
    assert _format_info(encode_qr(short))[0] == "Q"


def test_version_is_the_smallest_that_fits() -> None:
    qr = encode_qr(URL)
    with pytest.raises(segno.DataOverflowError):
        _segno(qr, version=qr.version - 1)


def test_segments_save_versions_over_one_byte_string() -> None:
    one_string = segno.make(URL, mode="byte", error="q", micro=False, boost_error=False)
    assert int(one_string.version) >= encode_qr(URL).version + 2


@pytest.mark.parametrize(("host_length", "version"), [(29, 9), (30, 10)])
def test_longer_hosts_grow_the_version(host_length: int, version: int) -> None:
    host = "p" * (host_length - len(".example.de")) + ".example.de"
    assert len(host) == host_length
    assert encode_qr(f"https://{host}/v#{DIGITS}").version == version


def test_matrix_and_mask_match_segno_exactly() -> None:
    """The fast mask search must choose what segno's own search chooses."""
    rng = random.Random(42)
    alphabets = ["0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "abcxyz-_.~0123"]
    for i in range(60):
        alphabet = alphabets[i % 3]
        fragment = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 260)))
        qr = encode_qr(f"https://h{i}.example.org/v#{fragment}")
        reference = _segno(qr)
        assert qr.version == reference.version
        assert _format_info(qr)[1] == reference.mask
        assert qr.modules == tuple(tuple(v == 1 for v in row) for row in reference.matrix)


# -- outline path -------------------------------------------------------------------------


def _filled(loops: list[list[tuple[int, int]]], size: int) -> list[list[bool]]:
    """Rasterise the loops with the nonzero rule, sampling each module's centre.

    The winding number of a point is the signed count of vertical edges to its right that
    cross its row.
    """
    crossings: list[list[tuple[int, int]]] = [[] for _ in range(size)]
    for loop in loops:
        for (x0, y0), (x1, y1) in zip(loop, loop[1:] + loop[:1], strict=True):
            if x0 == x1:
                for row in range(min(y0, y1), max(y0, y1)):
                    crossings[row].append((x0, 1 if y1 > y0 else -1))
    return [
        [sum(sign for x, sign in crossings[r] if x > c + 0.5) != 0 for c in range(size)]
        for r in range(size)
    ]


def test_outline_fills_exactly_the_dark_modules() -> None:
    qr = encode_qr(URL)
    filled = _filled(outline_loops(qr.modules), qr.size)
    assert [tuple(row) for row in filled] == list(qr.modules)


def test_outline_is_rectilinear_with_corners_only() -> None:
    for loop in outline_loops(encode_qr(URL).modules):
        for a, b, c in zip(loop, loop[1:] + loop[:1], loop[2:] + loop[:2], strict=True):
            assert a[0] == b[0] or a[1] == b[1]
            assert not (a[0] == b[0] == c[0] or a[1] == b[1] == c[1]), "collinear point"


def test_path_operators_fill_once_in_black() -> None:
    ops = qr_path_operators(encode_qr(URL), 10.0, 20.0, 153.07).decode()
    tokens = ops.split()
    assert tokens[:3] == ["q", "0", "g"]
    assert tokens.count("f") == 1
    assert tokens[-2:] == ["f", "Q"]
    assert "re" not in tokens
    # module size: 153.07 pt over the symbol plus 4 modules of quiet zone on each side
    qr = encode_qr(URL)
    assert float(tokens[3]) == pytest.approx(153.07 / (qr.size + 2 * QUIET_ZONE), rel=1e-6)


@pytest.mark.parametrize("inject", ["", "0000101110111010000", "00001011101011101", "1011101"])
def test_packed_penalty_equals_segno_scoring(inject: str) -> None:
    """Bitboard penalties equal segno's module-by-module scoring, its scan quirk included.

    ``inject`` plants finder-like runs that overlap by 4 or 6 modules (segno's scan skips
    the second one) in random rows and columns.
    """
    from segno import encoder

    segno_encoder: Any = encoder  # no annotations in segno's encoder module

    from chalicelib.adapters.pdf import qr_symbol

    rng = random.Random(inject)
    layout = qr_symbol._layout(3)
    size = layout.size
    for _ in range(30):
        matrix = tuple(bytearray(rng.randint(0, 1) for _ in range(size)) for _ in range(size))
        if inject:
            for _ in range(3):
                r, c = rng.randrange(size), rng.randrange(size - len(inject))
                matrix[r][c : c + len(inject)] = bytes(int(ch) for ch in inject)
                col = rng.randrange(size)
                for k, ch in enumerate(inject):
                    matrix[c + k][col] = int(ch)
        rows = [sum(bit << i for i, bit in enumerate(line)) for line in matrix]
        cols = [sum(matrix[r][c] << r for r in range(size)) for c in range(size)]
        packed_rows = qr_symbol._pack(rows, layout.stride)
        packed_cols = qr_symbol._pack(cols, layout.stride)
        expected = segno_encoder.evaluate_mask(matrix, size, size)
        assert qr_symbol._penalty(packed_rows, packed_cols, layout) == expected
