"""A form's question pages, read from its JSON Schema alone: a new form needs no code.

- **Pages.** Each top-level ``object`` property is one page (its ``title`` is the page
  heading). A top-level scalar is its own page, unless it names a page with
  ``"x-page": "<id>"``: scalars naming the same id share one page, titled by the form's
  ``x-pages[<id>]``. Pages follow the order of ``properties``.
- **Widgets** come from type, format and enum: e-mail, dates (day/month/year), radios for up
  to :data:`RADIO_LIMIT` options and a select beyond, a checkbox for ``const: true``
  (declarations) and booleans, "add another" for arrays of strings, a fixed value for other
  ``const``s (nothing to ask), text otherwise, with ``autocomplete``/``inputmode`` from
  ``x-autocomplete``/``x-inputmode`` or well-known property names.
- **Follow-up questions** come from an object's ``if``/``then``: a property that ``then``
  requires is asked only while the ``if`` holds (``x`` equal, or ``not`` equal, to a ``const``).
- **Labels** are German in ``title``/``description`` and English in ``x-en``; option labels in
  ``x-enum-titles``; per-keyword error texts in ``x-messages``.

Pure Python over the schema dict: no Chalice, no Jinja; cached per schema hash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalicelib.domain.pointers import MISSING, resolve_pointer

if TYPE_CHECKING:
    from chalicelib.domain.forms import FormDefinition

__all__ = [
    "RADIO_LIMIT",
    "Condition",
    "Field",
    "FormModel",
    "Option",
    "Page",
    "Text",
    "form_model",
]

RADIO_LIMIT = 6  # more options than this become a select (GOV.UK: radios for a short list)

Text = dict[str, str]
"""A text in both languages: ``{"de": ..., "en": ...}``."""

# Well-known property names -> the HTML autocomplete token (WCAG 1.3.5 Identify Input Purpose).
_AUTOCOMPLETE = {
    "family_name": "family-name",
    "surname": "family-name",
    "given_names": "given-name",
    "given_name": "given-name",
    "first_name": "given-name",
    "email": "email",
    "phone": "tel",
    "telephone": "tel",
    "street": "address-line1",
    "postcode": "postal-code",
    "postal_code": "postal-code",
    "city": "address-level2",
    "date_of_birth": "bday",
    "organisation": "organization",
    "company": "organization",
}
_NUMERIC_PATTERN = re.compile(r"^\^?\[0-9\](\{\d+(,\d*)?\})?\$?$|^\^?\\d(\{\d+(,\d*)?\})?\$?$")


@dataclass(frozen=True)
class Option:
    value: Any
    label: Text


@dataclass(frozen=True)
class Condition:
    """When a follow-up question is asked: the trigger's value equals (or not) ``value``."""

    trigger: str  # pointer of the deciding field
    value: Any
    negate: bool

    def holds(self, document: Any) -> bool:
        current = resolve_pointer(document, self.trigger)
        if current is MISSING:
            return False
        equal = bool(current == self.value)
        return not equal if self.negate else equal


@dataclass(frozen=True)
class Field:
    pointer: str
    widget: str  # text | email | date | radios | select | checkbox | list | fixed
    label: Text
    hint: Text | None
    required: bool
    schema: dict[str, Any]
    options: tuple[Option, ...] = ()
    autocomplete: str | None = None
    inputmode: str | None = None
    max_items: int = 1
    max_length: int | None = None
    condition: Condition | None = None
    messages: dict[str, Text] = field(default_factory=dict)
    value_type: str = "string"
    fixed_value: Any = None

    @property
    def name(self) -> str:
        """The form control name: the pointer with dots (``applicant.family_name``)."""
        return self.pointer[1:].replace("/", ".")

    @property
    def id(self) -> str:
        return "f-" + self.pointer[1:].replace("/", "-")

    @property
    def anchor(self) -> str:
        """The id an error summary links to: the first control of the field."""
        if self.widget == "date":
            return f"{self.id}-day"
        if self.widget == "radios":
            return f"{self.id}-0"
        if self.widget == "list":
            return f"{self.id}-0"
        return self.id

    def anchor_for(self, pointer: str) -> str:
        """The control an error at ``pointer`` (this field or one list item) should focus."""
        if self.widget == "list" and pointer.startswith(self.pointer + "/"):
            index = pointer[len(self.pointer) + 1 :].split("/")[0]
            if index.isdigit():
                return f"{self.id}-{index}"
        return self.anchor

    def option_label(self, value: Any) -> Text | None:
        for option in self.options:
            if option.value == value:
                return option.label
        return None

    def covers(self, pointer: str) -> bool:
        return pointer == self.pointer or pointer.startswith(self.pointer + "/")


@dataclass(frozen=True)
class Page:
    id: str
    title: Text
    description: Text | None
    fields: tuple[Field, ...]

    def field_for(self, pointer: str) -> Field | None:
        for candidate in self.fields:
            if candidate.covers(pointer):
                return candidate
        return None

    def concerns(self, pointer: str) -> bool:
        """An error at ``pointer`` is this page's: at one of its fields, or at a missing group."""
        return any(f.covers(pointer) or f.pointer.startswith(pointer + "/") for f in self.fields)

    @property
    def pointers(self) -> tuple[str, ...]:
        return tuple(f.pointer for f in self.fields)


@dataclass(frozen=True)
class FormModel:
    pages: tuple[Page, ...]

    def page(self, page_id: str) -> Page | None:
        for candidate in self.pages:
            if candidate.id == page_id:
                return candidate
        return None

    def next_page(self, page_id: str) -> Page | None:
        ids = [p.id for p in self.pages]
        index = ids.index(page_id)
        return self.pages[index + 1] if index + 1 < len(self.pages) else None

    def previous_page(self, page_id: str) -> Page | None:
        ids = [p.id for p in self.pages]
        index = ids.index(page_id)
        return self.pages[index - 1] if index > 0 else None

    def page_for(self, pointer: str) -> Page | None:
        for page in self.pages:
            if page.field_for(pointer) is not None:
                return page
        return None

    @property
    def fields(self) -> tuple[Field, ...]:
        return tuple(f for page in self.pages for f in page.fields)


def texts(node: dict[str, Any], key: str) -> Text | None:
    """The German ``key`` of a schema node and its English twin from ``x-en``."""
    german = node.get(key)
    if not isinstance(german, str):
        return None
    english = (node.get("x-en") or {}).get(key)
    return {"de": german, "en": english if isinstance(english, str) else german}


def _messages(schema: dict[str, Any]) -> dict[str, Text]:
    found = schema.get("x-messages") or {}
    return {code: dict(text) for code, text in found.items() if isinstance(text, dict)}


def _options(schema: dict[str, Any], item_type: str) -> tuple[Option, ...]:
    titles = schema.get("x-enum-titles") or {}
    options = []
    for value in schema.get("enum", ()):
        label = titles.get(str(value))
        options.append(
            Option(value, dict(label) if label else {"de": str(value), "en": str(value)})
        )
    return tuple(options)


def _widget(schema: dict[str, Any]) -> str:
    if schema.get("const") is True:
        return "checkbox"
    if "const" in schema:
        return "fixed"
    kind = schema.get("type")
    if "enum" in schema:
        return "radios" if len(schema["enum"]) <= RADIO_LIMIT else "select"
    if kind == "boolean":
        return "checkbox"
    if kind == "array":
        return "list"
    if schema.get("format") == "date":
        return "date"
    if schema.get("format") == "email":
        return "email"
    return "text"


def _inputmode(schema: dict[str, Any], kind: str) -> str | None:
    if "x-inputmode" in schema:
        return str(schema["x-inputmode"])
    if kind in ("integer", "number"):
        return "numeric"
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and _NUMERIC_PATTERN.match(pattern):
        return "numeric"
    return None


def _build_field(
    pointer: str,
    schema: dict[str, Any],
    required: bool,
    condition: Condition | None = None,
    extra: dict[str, Any] | None = None,
) -> Field:
    merged = {**schema, **(extra or {})}
    messages = {**_messages(schema), **_messages(extra or {})}
    widget = _widget(schema)
    kind = str(schema.get("type", "boolean" if widget == "checkbox" else "string"))
    name = pointer.rsplit("/", 1)[-1]
    raw_items = schema.get("items")
    items: dict[str, Any] = raw_items if isinstance(raw_items, dict) else {}
    if widget == "list":
        messages = {**_messages(items), **messages}
    autocomplete = schema.get("x-autocomplete") or _AUTOCOMPLETE.get(name)
    if widget in ("checkbox", "radios", "select", "fixed", "list"):
        autocomplete = schema.get("x-autocomplete")
    label = texts(schema, "title") or {"de": name, "en": name}
    return Field(
        pointer=pointer,
        widget=widget,
        label=label,
        hint=texts(schema, "description"),
        required=required,
        schema=merged,
        options=_options(schema, kind),
        autocomplete=str(autocomplete) if autocomplete else None,
        inputmode=_inputmode(items if widget == "list" else schema, kind),
        max_items=int(schema.get("maxItems", 10)) if widget == "list" else 1,
        max_length=schema.get("maxLength") or (items.get("maxLength") if items else None),
        condition=condition,
        messages=messages,
        value_type=kind if widget != "list" else "array",
        fixed_value=schema.get("const") if widget == "fixed" else None,
    )


def _condition(group_pointer: str, rule: dict[str, Any]) -> Condition | None:
    """Reads ``if: {properties: {x: {const: v}}}`` or ``{x: {not: {const: v}}}``."""
    properties = rule.get("properties") or {}
    if len(properties) != 1:
        return None
    ((name, test),) = properties.items()
    if not isinstance(test, dict):
        return None
    if "const" in test:
        return Condition(f"{group_pointer}/{name}", test["const"], negate=False)
    inner = test.get("not")
    if isinstance(inner, dict) and "const" in inner:
        return Condition(f"{group_pointer}/{name}", inner["const"], negate=True)
    return None


def _object_fields(pointer: str, schema: dict[str, Any]) -> list[Field]:
    required = set(schema.get("required", ()))
    follow_ups: dict[str, tuple[Condition, dict[str, Any]]] = {}
    rule_if, rule_then = schema.get("if"), schema.get("then")
    if isinstance(rule_if, dict) and isinstance(rule_then, dict):
        condition = _condition(pointer, rule_if)
        if condition is not None:
            then_properties = rule_then.get("properties") or {}
            for name in rule_then.get("required", ()):
                follow_ups[name] = (condition, then_properties.get(name) or {})
    fields = []
    for name, child in (schema.get("properties") or {}).items():
        if not isinstance(child, dict):
            continue
        child_pointer = f"{pointer}/{name}"
        if name in follow_ups:
            condition, extra = follow_ups[name]
            fields.append(_build_field(child_pointer, child, True, condition, extra))
        else:
            fields.append(_build_field(child_pointer, child, name in required))
    return [_with_condition_hint(f, fields) for f in fields]


def _with_condition_hint(f: Field, siblings: list[Field]) -> Field:
    """A follow-up without its own hint says when it applies (shown when scripts are off)."""
    if f.condition is None or f.hint is not None:
        return f
    from dataclasses import replace

    from chalicelib.web.i18n import translate

    trigger = next((s for s in siblings if s.pointer == f.condition.trigger), None)
    if trigger is None:
        return f
    option = trigger.option_label(f.condition.value) or {
        "de": str(f.condition.value),
        "en": str(f.condition.value),
    }
    key = "only_if_not" if f.condition.negate else "only_if"
    hint = {
        lang: translate(key, lang, question=trigger.label[lang], answer=option[lang])
        for lang in ("de", "en")
    }
    return replace(f, hint=hint)


def build_form_model(schema: dict[str, Any]) -> FormModel:
    pages: list[Page] = []
    grouped: dict[str, list[Field]] = {}
    page_meta = schema.get("x-pages") or {}
    required = set(schema.get("required", ()))
    for name, child in (schema.get("properties") or {}).items():
        if not isinstance(child, dict):
            continue
        pointer = f"/{name}"
        if child.get("type") == "object":
            title = texts(child, "title") or {"de": name, "en": name}
            pages.append(
                Page(
                    name, title, texts(child, "description"), tuple(_object_fields(pointer, child))
                )
            )
            continue
        page_id = child.get("x-page", name)
        built = _build_field(pointer, child, name in required)
        if page_id in grouped:
            grouped[page_id].append(built)
            continue
        grouped[page_id] = [built]
        meta = page_meta.get(page_id) or child
        pages.append(
            Page(page_id, texts(meta, "title") or built.label, texts(meta, "description"), ())
        )
    # fill the grouped pages' fields now that every member is known (order kept)
    final = []
    for page in pages:
        if page.id in grouped and not page.fields:
            final.append(Page(page.id, page.title, page.description, tuple(grouped[page.id])))
        else:
            final.append(page)
    return FormModel(tuple(final))


_CACHE: dict[str, FormModel] = {}


def form_model(form: FormDefinition) -> FormModel:
    """The form's pages, built once per schema version and kept for the process."""
    model = _CACHE.get(form.schema_hash)
    if model is None:
        model = build_form_model(form.schema)
        _CACHE[form.schema_hash] = model
    return model
