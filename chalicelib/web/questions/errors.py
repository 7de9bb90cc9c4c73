"""The validator's FieldErrors (JSON pointers) as errors at a page's fields, with their texts.

The errors come from the same ``validate_document`` as the API's; only the wording is chosen
here: the field's own ``x-messages`` first (a form may word ``required`` for a field), then
the keyword's override the validator found, then a wording that fits the widget (a
declaration is confirmed, not "required"), then the service-wide message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.domain.messages import message_for

if TYPE_CHECKING:
    from chalicelib.domain.errors import FieldError
    from chalicelib.web.questions.model import Field, Page

__all__ = ["PageError", "page_errors"]

_WIDGET_REQUIRED = {
    "checkbox": ("Bitte bestätigen Sie diese Angabe.", "Please confirm this."),
    "radios": ("Bitte wählen Sie eine Antwort aus.", "Please choose an answer."),
    "select": ("Bitte wählen Sie eine Antwort aus.", "Please choose an answer."),
    "date": ("Bitte geben Sie ein Datum ein.", "Please enter a date."),
    "list": ("Bitte geben Sie mindestens einen Eintrag ein.", "Please enter at least one entry."),
}
_FORMAT = {
    "date": (
        "Bitte geben Sie ein gültiges Datum ein, z. B. 17 3 1984.",
        "Please enter a real date, for example 17 3 1984.",
    ),
    "email": (
        "Bitte geben Sie eine E-Mail-Adresse im Format name@beispiel.de ein.",
        "Please enter an e-mail address in the format name@example.com.",
    ),
}


@dataclass(frozen=True)
class PageError:
    pointer: str
    field: Field
    anchor: str  # the control the summary link focuses
    message: str
    label: str = ""  # the field's label: the summary names the field, the field has it above


def _message(error: FieldError, f: Field, lang: str) -> str:
    own = f.messages.get(error.code)
    if own and lang in own:
        return own[lang]
    params = dict(error.params)
    override = params.pop("override", None)
    if isinstance(override, dict) and lang in override:
        return str(override[lang])
    if error.code == "required" and f.widget in _WIDGET_REQUIRED:
        if f.widget == "checkbox" and "const" in f.messages:
            return f.messages["const"].get(lang, "")
        german, english = _WIDGET_REQUIRED[f.widget]
        return english if lang == "en" else german
    if error.code == "format" and params.get("format") in _FORMAT:
        german, english = _FORMAT[str(params["format"])]
        return english if lang == "en" else german
    return message_for(error.code, lang, params)


def page_errors(page: Page, errors: list[FieldError], lang: str) -> list[PageError]:
    """The errors that belong to this page's fields, in the page's field order."""
    found: list[PageError] = []
    for f in page.fields:
        for error in errors:
            if f.covers(error.pointer):
                found.append(
                    PageError(
                        error.pointer, f, f.anchor_for(error.pointer), _message(error, f, lang)
                    )
                )
    return found
