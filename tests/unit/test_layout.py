"""Fitting a value into its box: never below 7 pt, a second line where the box allows.

A monospaced stand-in font keeps the arithmetic visible: every character is 0.5 em wide,
ascender 0.9 and descender -0.25 (one line is 1.15 em tall, as is the line spacing).
"""

from __future__ import annotations

import pytest

from chalicelib.adapters.pdf.fonts import FontMetrics
from chalicelib.adapters.pdf.layout import (
    TextDoesNotFitError,
    fit_lines,
    wrap_line,
)

METRICS = FontMetrics(ascender=0.9, descender=-0.25, cap_height=0.7)


def width(text: str) -> float:
    return 0.5 * len(text)


def fit(text: str, w: float, h: float, max_size: float = 10.0, wrap: bool = True) -> list[str]:
    placed = fit_lines([text], (0.0, 0.0, w, h), max_size, 0, width, METRICS, wrap=wrap)
    return [line.text for line in placed]


def size(text: str, w: float, h: float, max_size: float = 10.0, wrap: bool = True) -> float:
    placed = fit_lines([text], (0.0, 0.0, w, h), max_size, 0, width, METRICS, wrap=wrap)
    return placed[0].size


def test_a_short_value_keeps_one_line_at_the_largest_size() -> None:
    assert fit("Erika Mustermann", 200, 30) == ["Erika Mustermann"]
    assert size("Erika Mustermann", 200, 30) == 10.0


def test_a_long_value_takes_a_second_line_where_the_box_allows() -> None:
    # 40 characters = 20 em: one line in 100 pt would be 5 pt; two lines fit at 10 pt.
    text = "Anna-Luisa Müller von Hohenlohe-Schilling"[:40]
    with pytest.raises(TextDoesNotFitError):  # on one line it would need 5 pt
        fit(text, 100, 30, wrap=False)
    lines = fit(text, 100, 30)
    assert len(lines) == 2
    assert " ".join(lines).split() == text.split()  # broken at a space, nothing lost
    assert size(text, 100, 30) > 9.0


def test_a_box_one_line_high_shrinks_instead_of_wrapping() -> None:
    text = "x" * 30  # 15 em
    assert fit(text, 120, 12) == [text]  # two lines would need 2.3 em = 16 pt of height
    assert size(text, 120, 12) == pytest.approx(8.0)


def test_a_value_below_the_minimum_is_refused_not_printed_unreadably() -> None:
    with pytest.raises(TextDoesNotFitError, match="minimum 7 pt"):
        fit("x" * 100, 120, 12)  # one line: 2.4 pt; no room for a second line at 7 pt


def test_a_field_without_the_wrap_flag_never_wraps() -> None:
    with pytest.raises(TextDoesNotFitError):
        fit("word " * 12, 100, 40, wrap=False)
    assert len(fit("word " * 12, 100, 40, wrap=True)) >= 2


def test_words_stay_whole_unless_breaking_one_is_much_larger() -> None:
    assert fit("Stadt Musterstadt Strassenverkehrsbehoerde", 120, 30) == [
        "Stadt Musterstadt",
        "Strassenverkehrsbehoerde",
    ]
    # One word longer than the box: it is broken between characters, starting on its line.
    lines = fit("A " + "B" * 50, 100, 40)
    assert "".join(lines).replace(" ", "") == "A" + "B" * 50
    assert all(width(line) * size("A " + "B" * 50, 100, 40) <= 100.001 for line in lines)


@pytest.mark.parametrize(
    ("line", "limit", "expected"),
    [
        ("one two three", 4.0, ["one two", "three"]),
        ("one two three", 100.0, ["one two three"]),
        ("abcdefghij", 2.0, ["abcd", "efgh", "ij"]),
        ("ab cdefghij", 2.0, ["ab c", "defg", "hij"]),
        ("", 5.0, [""]),
    ],
)
def test_wrap_line(line: str, limit: float, expected: list[str]) -> None:
    assert wrap_line(line, limit, width) == expected
