"""German and English messages for every error code, chosen by ``Accept-Language``.

Codes are stable (clients may switch on them); messages are for people. A form may override
a message per field and code with ``x-messages`` (e.g. the plate pattern), which is passed in
as ``override``.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["message_for", "pick_language"]

_MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("Dieses Feld ist erforderlich.", "This field is required."),
    "type": ("Falscher Typ: erwartet wird {expected}.", "Wrong type: expected {expected}."),
    "additionalProperties": (
        "Dieses Feld ist im Formular nicht vorgesehen.",
        "This field is not part of the form.",
    ),
    "enum": ("Bitte einen der Werte wählen: {allowed}.", "Choose one of: {allowed}."),
    "const": ("Dieser Wert muss {expected} sein.", "This value must be {expected}."),
    "pattern": ("Das Format ist ungültig.", "The format is not valid."),
    "format": ("Kein gültiges Format ({format}).", "Not a valid {format}."),
    "minLength": ("Mindestens {limit} Zeichen.", "At least {limit} characters."),
    "maxLength": ("Höchstens {limit} Zeichen.", "At most {limit} characters."),
    "minItems": ("Mindestens {limit} Einträge.", "At least {limit} entries."),
    "maxItems": ("Höchstens {limit} Einträge.", "At most {limit} entries."),
    "minimum": ("Der Wert muss mindestens {limit} sein.", "The value must be at least {limit}."),
    "maximum": ("Der Wert darf höchstens {limit} sein.", "The value must be at most {limit}."),
    "uniqueItems": ("Einträge dürfen sich nicht wiederholen.", "Entries must not repeat."),
    "invalid": ("Ungültiger Wert.", "Invalid value."),
    "start_date_in_past": (
        "Das Startdatum darf nicht in der Vergangenheit liegen (frühestens {earliest}).",
        "The start date cannot be in the past (earliest {earliest}).",
    ),
    "start_date_too_far": (
        "Das Startdatum darf höchstens {months} Monate in der Zukunft liegen"
        " (spätestens {latest}).",
        "The start date can be at most {months} months ahead (latest {latest}).",
    ),
    "start_date_too_far_days": (
        "Das Startdatum darf höchstens {days} Tage in der Zukunft liegen (spätestens {latest}).",
        "The start date can be at most {days} days ahead (latest {latest}).",
    ),
    "date_of_birth_in_future": (
        "Das Geburtsdatum liegt in der Zukunft.",
        "The date of birth is in the future.",
    ),
    "too_young": (
        "Den Ausweis können Sie ab {years} Jahren beantragen.",
        "You can apply from the age of {years}.",
    ),
    "date_of_birth_too_early": (
        "Bitte prüfen Sie das Geburtsdatum (frühestens {earliest}).",
        "Please check the date of birth (earliest {earliest}).",
    ),
    "zone_unknown_street": (
        "Die Straße „{street}“ liegt in keiner Bewohnerparkzone von {city}. Bitte prüfen Sie"
        " die Schreibweise.",
        "“{street}” is not in any resident parking zone of {city}. Please check the spelling.",
    ),
    "zone_number_outside": (
        "Die Hausnummer {number} der {street} liegt in keiner Bewohnerparkzone.",
        "House number {number} of {street} is not in any resident parking zone.",
    ),
    "zone_mismatch": (
        "Ihre Anschrift liegt in Zone {zone} ({name}), nicht in Zone {entered}.",
        "Your address is in zone {zone} ({name}), not in zone {entered}.",
    ),
    "zone_not_offered": (
        "Für Zone {zone} ({name}) wird dieser Ausweis nicht ausgestellt.",
        "This permit is not issued for zone {zone} ({name}).",
    ),
    "zone_unknown": (
        "Zone {zone} gibt es nicht.",
        "There is no zone {zone}.",
    ),
    "plate_has_active_permit": (
        "Für dieses Kennzeichen gibt es schon einen gültigen {permit} (bis {until}). Ein"
        " zweiter wird nicht ausgestellt.",
        "This plate already has a valid {permit_en} (until {until}). A second one is not issued.",
    ),
    "plates_require_company_car": (
        "Mehrere Kennzeichen sind nur für wechselnde Firmenwagen möglich.",
        "Several plates are only allowed for changing company cars.",
    ),
    "duplicate_plate": (
        "Dieses Kennzeichen steht schon in der Liste.",
        "This plate is already in the list.",
    ),
    "plate_format": (
        "Kein gültiges deutsches Kennzeichen (Beispiel: DN-AB 123).",
        "Not a valid German licence plate (example: DN-AB 123).",
    ),
    # Changes after issuance (issue 15): plate change and move.
    "plates_unchanged": (
        "Das sind die Kennzeichen, die schon auf dem Ausweis stehen.",
        "These are the plates already on the permit.",
    ),
    "address_unchanged": (
        "Das ist die Adresse, die wir schon haben.",
        "This is the address we already have.",
    ),
    "move_ends_permit": (
        "Diese Adresse liegt in keiner Bewohnerparkzone. Wenn Sie dorthin umziehen, endet"
        " Ihr Ausweis. Bitte bestätigen Sie das ausdrücklich.",
        "This address lies in no resident parking zone. If you move there, your permit"
        " ends. Please confirm this explicitly.",
    ),
    "change_pending": (
        "Eine Änderung wartet noch auf die Zahlung. Bitte bezahlen Sie sie zuerst.",
        "A change is still waiting for payment. Please pay for it first.",
    ),
    "range_reversed": (
        "Das Ende des Zeitraums liegt vor seinem Anfang.",
        "The end of the range is before its start.",
    ),
    "range_too_long": (
        "Höchstens {limit} Tage auf einmal.",
        "At most {limit} days at a time.",
    ),
    "cursor_invalid": (
        "Dieser Seitenverweis ist ungültig oder gehört zu anderen Filtern. Bitte neu beginnen.",
        "This page link is invalid or belongs to other filters. Please start again.",
    ),
}


def _weight(params: list[str]) -> float | None:
    """The q-value among a range's parameters: 1.0 if absent, None if unreadable or out of 0..1."""
    for param in params:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return None
            return q if 0.0 <= q <= 1.0 else None  # also refuses nan and inf
    return 1.0


def pick_language(accept_language: str | None) -> str:
    """German unless the client prefers English; q-values honoured, anything else ignored.

    Only the primary subtag counts (``en-GB`` is English, ``eng`` and ``enm`` are not), and
    ``q=0`` means "not acceptable" (RFC 9110, section 12.4.2), so it never selects a language.
    """
    if not accept_language:
        return "de"
    best_lang, best_q = "de", 0.0
    for part in accept_language.split(",")[:20]:
        tag, *params = part.split(";")
        q = _weight(params)
        if q is None or q <= 0.0:
            continue
        primary = tag.strip().lower().replace("_", "-").split("-")[0]
        if primary in ("de", "en") and q > best_q:
            best_lang, best_q = primary, q
    return best_lang


def message_for(
    code: str,
    lang: str,
    params: Mapping[str, object],
    override: Mapping[str, str] | None = None,
) -> str:
    if override and lang in override:
        return override[lang]
    german, english = _MESSAGES.get(code, _MESSAGES["invalid"])
    template = english if lang == "en" else german
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template
