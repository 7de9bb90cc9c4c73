"""Fit a value into its placeholder rectangle: font size, line breaks, line positions.

A value must never spill out of its box (a 60-character double-barrelled name in a box
made for 30), and it must stay readable: nothing is ever drawn below :data:`MIN_FONT_SIZE`.
So the size shrinks until every line fits the width and the stacked lines fit the height,
accents and descenders included; where the field allows wrapping (the PDF "multiline" flag)
and the box is tall enough, a long value is broken onto more lines when that gives a larger
size (at spaces, or inside a word that is wider than a line). The field's own size, if the
template gives one, is the upper limit. The block of lines is centred vertically.

A value that cannot fit at the minimum size raises :class:`TextDoesNotFitError`. The form
checks render the longest value each field accepts, so that never happens after payment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chalicelib.adapters.pdf.fonts import FontMetrics

__all__ = [
    "LINE_SPACING",
    "MIN_FONT_SIZE",
    "PlacedLine",
    "TextDoesNotFitError",
    "fit_lines",
    "split_value",
    "wrap_line",
]

LINE_SPACING = 1.15  # baseline to baseline, in font sizes
MIN_FONT_SIZE = 7.0  # points; below this a printed permit is hard to read

Width = Callable[[str], float]


class TextDoesNotFitError(ValueError):
    """A value that would need a font size below MIN_FONT_SIZE in its box."""


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


def wrap_line(line: str, limit: float, width: Width, split_words: bool = True) -> list[str]:
    """Greedy line breaking at spaces, each line at most ``limit`` wide (at size 1).

    A word wider than a line is broken between characters, starting on the current line;
    with ``split_words`` off such a word stays whole (and its line is too wide).
    """
    out: list[str] = []
    current = ""
    for word in line.split():
        candidate = f"{current} {word}" if current else word
        if width(candidate) <= limit:
            current = candidate
            continue
        if width(word) <= limit or not split_words:
            if current:
                out.append(current)
            current = word
            continue
        used = width(current + " ") if current else 0.0
        current = current + " " if current else ""
        for char in word:
            step = width(char)
            if used + step > limit and current.strip():
                out.append(current.rstrip())
                current, used = "", 0.0
            current += char
            used += step
    if current:
        out.append(current)
    return out or [""]


def _additive(width: Width) -> Width:
    """``width`` as the sum of its characters' widths, each measured once.

    The embedded font has no kerning, so a line is as wide as its glyphs added up; breaking a
    value into lines then costs additions instead of a font lookup per candidate line.
    """
    known: dict[str, float] = {}

    def measure(text: str) -> float:
        total = 0.0
        for char in text:
            found = known.get(char)
            if found is None:
                found = known[char] = width(char)
            total += found
        return total

    return measure


def _size_for(
    lines: Sequence[str], box_w: float, box_h: float, max_size: float, width: Width, extent: float
) -> float:
    size = box_h / (extent + (len(lines) - 1) * LINE_SPACING)
    widest = max(width(line) for line in lines)
    if widest > 0:
        size = min(size, box_w / widest)
    if max_size > 0:
        size = min(size, max_size)
    return size


def _wrapped(
    lines: Sequence[str], target: int, width: Width, split_words: bool
) -> list[str] | None:
    """``lines`` broken into at most ``target`` lines, as narrow as possible; None if not."""
    total = [width(line) for line in lines]
    if split_words:
        low = max((width(ch) for line in lines for ch in line), default=0.0)
    else:
        low = max((width(word) for line in lines for word in line.split()), default=0.0)
    high = max(total)
    best: list[str] | None = None
    for _ in range(24):  # bisect the line width
        middle = (low + high) / 2
        wrapped = [part for line in lines for part in wrap_line(line, middle, width, split_words)]
        if len(wrapped) <= target:
            best, high = wrapped, middle
        else:
            low = middle
        if high - low < 0.002 * high:  # a fifth of a percent of the line: invisible
            break
    if best is None:
        wrapped = [part for line in lines for part in wrap_line(line, high, width, split_words)]
        best = wrapped if len(wrapped) <= target else None
    return best


WORD_BREAK_PREFERENCE = 0.85
"""Breaking at spaces wins unless breaking inside a word gives a size this much larger."""


def fit_lines(
    lines: Sequence[str],
    box: tuple[float, float, float, float],
    max_size: float,
    align: int,
    width_at_1pt: Width,
    metrics: FontMetrics,
    wrap: bool = False,
    min_size: float = MIN_FONT_SIZE,
) -> list[PlacedLine]:
    """Place the lines in ``box`` (x0, y0, x1, y1) at the largest size that fits."""
    if not lines:
        return []
    x0, y0, x1, y1 = box
    box_w, box_h = x1 - x0, y1 - y0
    extent = metrics.ascender - metrics.descender  # one line, top of accents to descenders
    chosen = list(lines)
    size = _size_for(chosen, box_w, box_h, max_size, width_at_1pt, extent)
    if wrap and (max_size <= 0 or size < max_size):
        width_at_1pt = _additive(width_at_1pt)  # the search measures many candidate lines
        most = int((box_h / min_size - extent) / LINE_SPACING) + 1  # lines the height allows
        for target in range(len(lines) + 1, most + 1):
            options: list[tuple[float, list[str]]] = []
            for split_words in (False, True):
                if options and max_size > 0 and options[0][0] >= max_size:
                    break  # whole words already reach the largest size
                wrapped = _wrapped(lines, target, width_at_1pt, split_words)
                if wrapped is not None and len(wrapped) > len(chosen):
                    fitted = _size_for(wrapped, box_w, box_h, max_size, width_at_1pt, extent)
                    options.append((fitted, wrapped))
            if not options:
                continue
            candidate, wrapped = options[-1]
            if len(options) == 1 or options[0][0] >= WORD_BREAK_PREFERENCE * candidate:
                candidate, wrapped = options[0]  # whole words read better
            if candidate > size + 0.01:
                chosen, size = wrapped, candidate
    if size < min_size - 1e-9:
        raise TextDoesNotFitError(
            f"{' / '.join(lines)[:60]!r} needs {size:.2f} pt in a {box_w:.0f} x {box_h:.0f} pt box"
            f" (minimum {min_size:g} pt)"
        )
    block = size * (extent + (len(chosen) - 1) * LINE_SPACING)
    baseline = y0 + (box_h + block) / 2 - size * metrics.ascender
    placed = []
    for line in chosen:
        width = width_at_1pt(line) * size
        if align == 1:
            x = x0 + (box_w - width) / 2
        elif align == 2:
            x = x1 - width
        else:
            x = x0
        placed.append(PlacedLine(line, x, baseline, size, width))
        baseline -= size * LINE_SPACING
    return placed
