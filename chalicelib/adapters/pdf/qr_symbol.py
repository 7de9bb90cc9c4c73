"""Build the QR symbol with segno's encoder, but place codewords and choose the mask fast.

segno 1.6.6 does the parts that need the standard's tables: segment bits, version choice,
padding, Reed-Solomon blocks, function patterns, format and version information. Its pure
Python mask search (apply each of the 8 masks module by module and score it) takes about
7 of the 8.5 ms a version 9 symbol costs, more than half of the whole permit's render
budget. Here the codeword positions and the 8 mask patterns are computed once per version,
and the symbol is scored as a few large integers (one bit per module, rows and columns
packed with a 4-module light gap), which takes well under a millisecond.

The penalty rules are segno's exactly, including one quirk of its finder-like pattern scan,
so the chosen mask and the resulting matrix are identical to ``segno.make(...)`` with the
same segments; a unit test holds that over many inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import zip_longest
from typing import Any

from segno import consts as _consts
from segno import encoder as _encoder

# segno's encoder and consts modules carry no annotations (only its public API is typed).
sg: Any = _encoder
consts: Any = _consts

__all__ = ["Symbol", "build_symbol"]

_ERROR = consts.ERROR_LEVEL_Q
_GAP = 4  # light modules between packed lines: the N3 rule looks 4 modules outside


@dataclass(frozen=True)
class Symbol:
    version: int
    mask: int
    rows: tuple[bytearray, ...]  # 1 = dark, final (format and version information included)


@dataclass(frozen=True)
class _Layout:
    """Everything about a version that does not depend on the data."""

    size: int
    stride: int
    positions: tuple[tuple[int, int], ...]  # codeword bit order, (row, col)
    base: tuple[bytearray, ...]  # function patterns; 0 where data goes
    packed_base: tuple[int, int]  # rows, columns
    packed_masks: tuple[tuple[int, int], ...]  # per mask: rows, columns (data modules only)
    row_masks: tuple[tuple[int, ...], ...]  # per mask: one int per row
    valid: int  # packed: 1 on every module, 0 in the gaps


def _pack(lines: Sequence[int], stride: int) -> int:
    packed = 0
    for index, line in enumerate(lines):
        packed |= line << (index * stride)
    return packed


def _transpose(rows: Sequence[int], size: int) -> list[int]:
    cols = [0] * size
    for r, row in enumerate(rows):
        c = 0
        while row:
            if row & 1:
                cols[c] |= 1 << r
            row >>= 1
            c += 1
    return cols


@lru_cache(maxsize=8)
def _layout(version: int) -> _Layout:
    size = sg.calc_matrix_size(version)
    matrix = sg.make_matrix(size, size)
    sg.add_finder_patterns(matrix, size, size)
    sg.add_alignment_patterns(matrix, size, size)
    matrix[-8][8] = 0x1  # the dark module is not a data module (set finally with the format)
    positions: list[tuple[int, int]] = []
    # Same zig-zag as segno.encoder.add_codewords, collecting free (0x2) modules in order.
    for right in range(size - 1, 0, -2):
        if right <= 6:
            right -= 1
        for vertical in range(size):
            for z in (0, 1):
                col = right - z
                upwards = ((right & 2) == 0) ^ (col < 6)
                row = (size - 1 - vertical) if upwards else vertical
                if matrix[row][col] == 0x2:
                    positions.append((row, col))
    matrix[-8][8] = 0x0  # segno scores masks with the format area (dark module too) light
    base = tuple(bytearray(v if v < 2 else 0 for v in line) for line in matrix)
    data_rows = [sum(1 << c for c, v in enumerate(line) if v == 0x2) for line in matrix]
    stride = size + _GAP
    base_rows = [sum(1 << c for c, v in enumerate(line) if v == 0x1) for line in base]
    patterns = sg.get_data_mask_functions(False)
    row_masks: list[tuple[int, ...]] = []
    packed_masks: list[tuple[int, int]] = []
    for pattern in patterns:
        rows = tuple(
            sum(1 << c for c in range(size) if pattern(r, c)) & data_rows[r] for r in range(size)
        )
        row_masks.append(rows)
        packed_masks.append((_pack(rows, stride), _pack(_transpose(rows, size), stride)))
    full = (1 << size) - 1
    return _Layout(
        size=size,
        stride=stride,
        positions=tuple(positions),
        base=base,
        packed_base=(_pack(base_rows, stride), _pack(_transpose(base_rows, size), stride)),
        packed_masks=tuple(packed_masks),
        row_masks=tuple(row_masks),
        valid=_pack([full] * size, stride),
    )


def _codewords(segments: Any, version: int) -> list[int]:
    """Data and error correction codewords, interleaved (ISO/IEC 18004 7.6)."""
    buff = sg.Buffer()
    ver_range = sg.version_range(version)
    for segment in segments:
        sg.write_segment(buff, segment, None, ver_range)
    capacity = consts.SYMBOL_CAPACITY[version][_ERROR]
    sg.write_terminator(buff, capacity, None, len(buff))
    sg.write_padding_bits(buff, version, len(buff))
    sg.write_pad_codewords(buff, version, capacity, len(buff))
    data_blocks, error_blocks = sg.make_blocks(consts.ECC[version][_ERROR], buff)
    out: list[int] = []
    for blocks in (data_blocks, error_blocks):
        out.extend(x for group in zip_longest(*blocks) for x in group if x is not None)
    return out


def _n3(packed: int, valid: int) -> int:
    """Finder-like 1:1:3:1:1 runs with 4 light modules before or after (40 points each)."""
    light = ~packed & valid
    match = (
        packed
        & (light >> 1)
        & (packed >> 2)
        & (packed >> 3)
        & (packed >> 4)
        & (light >> 5)
        & (packed >> 6)
    )
    if not match:
        return 0
    dark_before = (packed << 1) | (packed << 2) | (packed << 3) | (packed << 4)
    dark_after = (packed >> 7) | (packed >> 8) | (packed >> 9) | (packed >> 10)
    counted = match & ~(dark_before & dark_after)
    if not counted & ((counted >> 4) | (counted >> 6)):
        return 40 * counted.bit_count()
    # segno's scan resumes 7 modules after a counted match, so a counted match 4 or 6
    # modules after it goes unseen. Rare; replay the scan to score exactly as segno does.
    score = 0
    seen: set[int] = set()
    while match:
        low = match & -match
        k = low.bit_length() - 1
        match ^= low
        if (k - 4) in seen or (k - 6) in seen:
            continue
        if counted >> k & 1:
            seen.add(k)
            score += 40
    return score


def _n1(packed: int, valid: int) -> int:
    """Runs of 5 or more modules of one colour: 3 points plus 1 per module beyond 5."""
    score = 0
    for line in (packed, ~packed & valid):
        five = line & (line >> 1) & (line >> 2) & (line >> 3) & (line >> 4)
        starts = five & ~(five << 1)
        score += five.bit_count() + 2 * starts.bit_count()
    return score


def _penalty(rows: int, cols: int, layout: _Layout) -> int:
    valid, stride = layout.valid, layout.stride
    score = _n1(rows, valid) + _n1(cols, valid)
    for plane in (rows, ~rows & valid):
        pairs = plane & (plane >> 1)
        score += 3 * (pairs & (pairs >> stride)).bit_count()
    score += _n3(rows, valid) + _n3(cols, valid)
    percent = float(rows.bit_count()) / (layout.size**2)
    return score + 10 * int(abs(percent * 100 - 50) / 5)


def build_symbol(segments: Any) -> Symbol:
    """Encode prepared segno segments at ECC Q in the smallest version that fits."""
    version = sg.find_version(segments, _ERROR, eci=False, micro=False)
    layout = _layout(version)
    stride = layout.stride
    rows, cols = layout.packed_base
    data_rows = [0] * layout.size
    positions = layout.positions
    index = 0
    for codeword in _codewords(segments, version):
        for shift in range(7, -1, -1):
            if codeword >> shift & 1:
                r, c = positions[index]
                data_rows[r] |= 1 << c
                rows |= 1 << (r * stride + c)
                cols |= 1 << (c * stride + r)
            index += 1
    best_mask, best_score = 0, -1
    for mask, (mask_rows, mask_cols) in enumerate(layout.packed_masks):
        score = _penalty(rows ^ mask_rows, cols ^ mask_cols, layout)
        if best_score < 0 or score < best_score:
            best_mask, best_score = mask, score
    matrix = tuple(bytearray(line) for line in layout.base)
    for r, (line, bits) in enumerate(zip(matrix, data_rows, strict=True)):
        bits ^= layout.row_masks[best_mask][r]
        c = 0
        while bits:
            if bits & 1:
                line[c] = 1
            bits >>= 1
            c += 1
    sg.add_format_info(matrix, version, _ERROR, best_mask)
    sg.add_version_info(matrix, version)
    return Symbol(version=version, mask=best_mask, rows=matrix)
