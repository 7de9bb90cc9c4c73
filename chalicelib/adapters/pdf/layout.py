"""Fit a value into its placeholder rectangle: font size, line positions.

A value must never spill out of its box (a 60-character double-barrelled name in a box
made for 30), so the size shrinks until every line fits the width and the stacked lines fit
the height, accents and descenders included. The field's own size, if the template gives
one, is the upper limit. The block of lines is centred vertically.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chalicelib.adapters.pdf.fonts import FontMetrics

__all__ = ["LINE_SPACING", "PlacedLine", "fit_lines", "split_value"]

LINE_SPACING = 1.15  # baseline to baseline, in font sizes


@dataclass(frozen=True)
class PlacedLine:
    text: str
    x: float
    y: float  # baseline
    size: float
    width: float


def split_value(value: str) -> list[str]:
    """Lines of a value; blank lines at either end carry no information."""
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines


def fit_lines(
    lines: Sequence[str],
    box: tuple[float, float, float, float],
    max_size: float,
    align: int,
    width_at_1pt: Callable[[str], float],
    metrics: FontMetrics,
) -> list[PlacedLine]:
    """Place the lines in ``box`` (x0, y0, x1, y1) at the largest size that fits."""
    if not lines:
        return []
    x0, y0, x1, y1 = box
    box_w, box_h = x1 - x0, y1 - y0
    extent = metrics.ascender - metrics.descender  # one line, top of accents to descenders
    widths = [width_at_1pt(line) for line in lines]
    size = box_h / (extent + (len(lines) - 1) * LINE_SPACING)
    widest = max(widths)
    if widest > 0:
        size = min(size, box_w / widest)
    if max_size > 0:
        size = min(size, max_size)
    block = size * (extent + (len(lines) - 1) * LINE_SPACING)
    baseline = y0 + (box_h + block) / 2 - size * metrics.ascender
    placed = []
    for line, unit_width in zip(lines, widths, strict=True):
        width = unit_width * size
        if align == 1:
            x = x0 + (box_w - width) / 2
        elif align == 2:
            x = x1 - width
        else:
            x = x0
        placed.append(PlacedLine(line, x, baseline, size, width))
        baseline -= size * LINE_SPACING
    return placed
