"""Posted form fields <-> JSON values, so the schema's validator judges what the citizen typed.

Nothing is corrected or guessed beyond trimming whitespace: a value that is not what the
schema expects is passed on as typed (``"12x"`` for an integer, ``"2025-02-31"`` for a
date) so that the one validator of the service refuses it with its one message. What the
citizen typed is kept separately (:class:`Posted`) so an error page shows it unchanged.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from chalicelib.domain.pointers import MISSING, resolve_pointer
from chalicelib.web.questions.model import Field, Page

__all__ = [
    "Posted",
    "apply_page",
    "bind_page",
    "clear_hidden_follow_ups",
    "displayed_values",
    "list_action",
]

Form = Mapping[str, list[str]]


@dataclass(frozen=True)
class Posted:
    """The page's controls as typed (name -> text), for re-display after an error."""

    raw: dict[str, str]
    values: dict[str, Any]  # pointer -> JSON value (absent pointers are not answered)


def _one(form: Form, name: str) -> str:
    values = form.get(name) or [""]
    return values[-1].strip()


def _coerce(value: str, field: Field) -> Any:
    for option in field.options:
        if str(option.value) == value:
            return option.value
    if field.value_type == "integer" and value.lstrip("-").isdigit():
        return int(value)
    return value


def _date(day: str, month: str, year: str) -> str:
    if day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4:
        return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
    return f"{year}-{month}-{day}"  # refused by the schema's format check, as typed


def list_items(form: Form, field: Field) -> list[str]:
    """The list's inputs in order (``name.0``, ``name.1``, ...), as typed."""
    found = []
    for index in range(field.max_items + 1):
        key = f"{field.name}.{index}"
        if key not in form:
            continue
        found.append(_one(form, key))
    return found


def bind_page(page: Page, form: Form) -> Posted:
    raw: dict[str, str] = {}
    values: dict[str, Any] = {}
    for f in page.fields:
        if f.widget == "fixed":
            values[f.pointer] = f.fixed_value
        elif f.widget == "date":
            parts = {part: _one(form, f"{f.name}.{part}") for part in ("day", "month", "year")}
            raw.update({f"{f.name}.{part}": text for part, text in parts.items()})
            if any(parts.values()):
                values[f.pointer] = _date(parts["day"], parts["month"], parts["year"])
        elif f.widget == "checkbox":
            checked = _one(form, f.name) != ""
            raw[f.name] = "true" if checked else ""
            if checked:
                values[f.pointer] = True
        elif f.widget == "list":
            items = list_items(form, f)
            for index, text in enumerate(items):
                raw[f"{f.name}.{index}"] = text
            kept = [text for text in items if text]
            if kept:
                values[f.pointer] = kept
        else:
            text = _one(form, f.name)
            raw[f.name] = text
            if text:
                values[f.pointer] = _coerce(text, f)
    return Posted(raw, values)


def list_action(form: Form) -> tuple[str, str, int] | None:
    """An "add another" / "remove" button: ``("add", name, 0)`` or ``("remove", name, i)``."""
    action = _one(form, "action")
    kind, _, rest = action.partition(":")
    if kind == "add" and rest:
        return ("add", rest, 0)
    if kind == "remove":
        name, _, index = rest.rpartition(":")
        if name and index.isdigit():
            return ("remove", name, int(index))
    return None


def _set(document: dict[str, Any], pointer: str, value: Any) -> None:
    parts = pointer[1:].split("/")
    node = document
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def _delete(document: dict[str, Any], pointer: str) -> None:
    parent_pointer, _, key = pointer.rpartition("/")
    parent = resolve_pointer(document, parent_pointer)
    if isinstance(parent, dict):
        parent.pop(key, None)


def clear_hidden_follow_ups(page: Page, document: dict[str, Any]) -> None:
    """A follow-up whose condition does not hold is not an answer: drop it."""
    for f in page.fields:
        if f.condition is not None and not f.condition.holds(document):
            _delete(document, f.pointer)


def apply_page(document: dict[str, Any], page: Page, posted: Posted) -> dict[str, Any]:
    """A copy of ``document`` with this page's answers replaced by the posted ones."""
    result = copy.deepcopy(document)
    for f in page.fields:
        _delete(result, f.pointer)
    for pointer, value in posted.values.items():
        _set(result, pointer, value)
    clear_hidden_follow_ups(page, result)
    # an emptied group stays an object: "required" is then reported per field, not per group
    for f in page.fields:
        parent = f.pointer.rpartition("/")[0]
        if parent and resolve_pointer(result, parent) is MISSING:
            _set(result, parent, {})
    return result


def displayed_values(page: Page, document: dict[str, Any]) -> dict[str, str]:
    """The controls' texts for a page shown from saved answers (the inverse of bind_page)."""
    raw: dict[str, str] = {}
    for f in page.fields:
        value = resolve_pointer(document, f.pointer)
        if value is MISSING:
            continue
        if f.widget == "date" and isinstance(value, str):
            try:
                parsed = date.fromisoformat(value)
            except ValueError:
                continue
            raw[f"{f.name}.day"] = str(parsed.day)
            raw[f"{f.name}.month"] = str(parsed.month)
            raw[f"{f.name}.year"] = str(parsed.year)
        elif f.widget == "checkbox":
            raw[f.name] = "true" if value is True else ""
        elif f.widget == "list" and isinstance(value, list):
            for index, item in enumerate(value):
                raw[f"{f.name}.{index}"] = str(item)
        else:
            raw[f.name] = str(value)
    return raw
