"""Turn a QR matrix into one PDF path that is filled once.

Per-module rectangles (or one rectangle per run) leave shared edges inside the dark areas,
and some viewers and printers anti-alias each of them into a faint white seam. Tracing the
outlines of the dark areas instead leaves no inner edges at all: each connected dark area is
one closed loop (holes are loops running the other way), so the nonzero fill paints exactly
the dark modules.

Edges are found a whole row or column at a time with integer bit operations: the top edge
of a dark module is where the row above is light, and so on. Each edge is oriented so that
dark lies on the same side; horizontal and vertical edges then alternate around every loop,
which makes chaining them a dictionary lookup per corner.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

__all__ = ["outline_loops", "qr_path_operators"]

Point = tuple[int, int]


def _runs(bits: int) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of every run of set bits, lowest first, end exclusive."""
    while bits:
        start = (bits & -bits).bit_length() - 1
        shifted = bits >> start
        length = (~shifted & (shifted + 1)).bit_length() - 1
        yield start, start + length
        bits &= ~(((1 << length) - 1) << start)


def _line_bits(lines: Iterable[Sequence[bool]]) -> list[int]:
    """One int per line, bit i set when module i is dark (via C-level str/int conversion)."""
    return [int(bytes(line).translate(_BITS)[::-1], 2) for line in lines]


_BITS = bytes.maketrans(b"\x00\x01", b"01")


def _loops(modules: Sequence[Sequence[bool]]) -> tuple[int, list[list[int]]]:
    """Closed loops of corners; a corner (x, y) is the int ``y * w + x``; returns ``w`` too."""
    size = len(modules)
    rows = _line_bits(modules)
    cols = _line_bits(zip(*modules, strict=True))
    w = size + 1
    # Where two dark modules touch only at a corner, two horizontal edges start at that
    # corner, one each way; keeping the directions apart keeps every dict value single.
    right: dict[int, int] = {}
    left: dict[int, int] = {}
    up: dict[int, int] = {}
    down: dict[int, int] = {}
    for y in range(size + 1):
        above = rows[y - 1] if y else 0
        below = rows[y] if y < size else 0
        base = y * w
        for c0, c1 in _runs(below & ~above):  # top edges of dark runs, left to right
            right[base + c0] = base + c1
        for c0, c1 in _runs(above & ~below):  # bottom edges, right to left
            left[base + c1] = base + c0
    for x in range(size + 1):
        before = cols[x - 1] if x else 0
        after = cols[x] if x < size else 0
        for r0, r1 in _runs(after & ~before):  # left edges, upwards
            up[r1 * w + x] = r0 * w + x
        for r0, r1 in _runs(before & ~after):  # right edges, downwards
            down[r0 * w + x] = r1 * w + x

    loops: list[list[int]] = []
    for first in (right, left):
        while first:
            origin = point = next(iter(first))
            loop: list[int] = []
            while True:
                corner = right.pop(point) if point in right else left.pop(point)
                loop.append(point)
                loop.append(corner)
                point = down.pop(corner) if corner in down else up.pop(corner)
                if point == origin:
                    break
            loops.append(loop)
    return w, loops


def outline_loops(modules: Sequence[Sequence[bool]]) -> list[list[Point]]:
    """Closed loops of corner points (x to the right, y down, in module units)."""
    w, loops = _loops(modules)
    return [[(p % w, p // w) for p in loop] for loop in loops]


@lru_cache(maxsize=8)
def _coordinates(w: int) -> tuple[str, ...]:
    return tuple(f"{p % w} {p // w}" for p in range(w * w))


def qr_path_operators(
    modules: Sequence[Sequence[bool]], quiet_zone: int, x: float, y: float, width: float
) -> bytes:
    """PDF operators filling the symbol in pure black inside a square at ``(x, y)``.

    ``(x, y)`` is the lower-left corner and ``width`` the side of a square that includes
    the quiet zone. The path is written in module units under one ``cm`` so coordinates are
    small integers and every module is exactly square.
    """
    total = len(modules) + 2 * quiet_zone
    module = width / total
    left = x + quiet_zone * module
    top = y + width - quiet_zone * module
    w, loops = _loops(modules)
    xy = _coordinates(w)
    parts = [f"q 0 g {module:.6f} 0 0 {-module:.6f} {left:.4f} {top:.4f} cm"]
    for loop in loops:
        parts.append(f"{xy[loop[0]]} m {' l '.join([xy[p] for p in loop[1:]])} l h")
    parts.append("f Q\n")
    return "\n".join(parts).encode("ascii")
