"""Error messages: every code the service can answer with has a German and an English text.

A code without a message would show the citizen "Ungültiger Wert." for a specific mistake, and
a placeholder left unfilled would show "{limit}", so both are checked for every code.
"""

from __future__ import annotations

import pytest

from chalicelib.domain.messages import message_for, pick_language

# Every code validation.py and rules.py produce, with the params they pass.
CODES: dict[str, dict[str, object]] = {
    "required": {},
    "type": {"expected": "Text/string"},
    "additionalProperties": {},
    "enum": {"allowed": '"A", "B"'},
    "const": {"expected": "true"},
    "pattern": {},
    "format": {"format": "date"},
    "minLength": {"limit": 1},
    "maxLength": {"limit": 100},
    "minItems": {"limit": 1},
    "maxItems": {"limit": 4},
    "minimum": {"limit": 0},
    "maximum": {"limit": 9},
    "uniqueItems": {},
    "invalid": {},
    "start_date_in_past": {"earliest": "21.11.2026"},
    "start_date_too_far": {"months": 3, "latest": "21.02.2027"},
    "plates_require_company_car": {},
    "duplicate_plate": {},
    "plate_format": {},
}
GENERIC = {"de": "Ungültiger Wert.", "en": "Invalid value."}


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_has_its_own_filled_german_and_english_message(code: str) -> None:
    german = message_for(code, "de", CODES[code])
    english = message_for(code, "en", CODES[code])
    assert german and english and german != english
    assert "{" not in german and "{" not in english
    if code != "invalid":
        assert german != GENERIC["de"] and english != GENERIC["en"]


@pytest.mark.parametrize(
    ("code", "params", "lang", "expected"),
    [
        ("required", {}, "de", "Dieses Feld ist erforderlich."),
        ("required", {}, "en", "This field is required."),
        ("maxLength", {"limit": 100}, "de", "Höchstens 100 Zeichen."),
        ("maxLength", {"limit": 100}, "en", "At most 100 characters."),
        (
            "start_date_in_past",
            {"earliest": "21.11.2026"},
            "en",
            "The start date cannot be in the past (earliest 21.11.2026).",
        ),
        (
            "start_date_too_far",
            {"months": 3, "latest": "21.02.2027"},
            "de",
            "Das Startdatum darf höchstens 3 Monate in der Zukunft liegen (spätestens 21.02.2027).",
        ),
    ],
)
def test_messages_are_filled_in(
    code: str, params: dict[str, object], lang: str, expected: str
) -> None:
    assert message_for(code, lang, params) == expected


def test_unknown_codes_fall_back_to_the_generic_message() -> None:
    assert message_for("no-such-code", "de", {}) == GENERIC["de"]
    assert message_for("no-such-code", "en", {}) == GENERIC["en"]


def test_missing_params_never_raise() -> None:
    assert message_for("maxLength", "en", {}) == "At most {limit} characters."


def test_a_form_override_wins_in_its_language_only() -> None:
    override = {"de": "Die Postleitzahl hat fünf Ziffern.", "en": "The postcode has five digits."}
    assert message_for("pattern", "de", {}, override) == override["de"]
    assert message_for("pattern", "en", {}, override) == override["en"]
    assert message_for("pattern", "en", {}, {"de": "nur deutsch"}) == "The format is not valid."


def test_an_unknown_language_reads_german() -> None:
    assert message_for("required", "fr", {}) == "Dieses Feld ist erforderlich."


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "de"),
        ("", "de"),
        ("de", "de"),
        ("en", "en"),
        ("EN", "en"),
        ("en-GB", "en"),
        ("en_US", "en"),
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("en-US,en;q=0.9,de;q=0.8", "en"),
        ("de;q=0.5, en;q=0.9", "en"),
        ("de;q=0.5, en; q=0.9", "en"),
        ("fr-FR, fr;q=0.9", "de"),
        ("fr, en;q=0.1", "en"),
        ("*", "de"),
        ("de;q=0.5,en;q=0.5", "de"),  # a tie keeps the first
        ("en;q=abc", "de"),  # an unreadable weight is ignored
        ("en;q=0", "de"),  # q=0 means "not acceptable" (RFC 9110 section 12.4.2)
        ("de;q=0, en;q=0", "de"),
        ("en;q=2", "de"),  # weights lie in 0..1; anything else is ignored
        ("en;q=nan", "de"),
        ("en;q=-1", "de"),
        ("eng", "de"),  # a three-letter tag is not "en"
        ("enm;q=1, de;q=0.5", "de"),  # Middle English is not English
        ("es, en;q=0.5", "en"),
        ("en;level=1;q=0.4, de;q=0.3", "en"),
        ("de;q=0.3, en;level=1;q=0.4", "en"),
        ("en;level=1;q=0.2, de;q=0.3", "de"),
        ("en;Q=0.2, de;q=0.3", "de"),
        (",,,", "de"),
    ],
)
def test_pick_language(header: str | None, lang: str) -> None:
    assert pick_language(header) == lang


def test_pick_language_reads_a_bounded_number_of_entries() -> None:
    """A huge header costs a bounded amount of work; English far down the list is ignored."""
    header = ",".join(["fr"] * 10_000) + ",en"
    assert pick_language(header) == "de"
