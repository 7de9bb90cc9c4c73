"""What could go wrong with a form after a citizen has paid, found before it is published.

Each check returns :class:`FormProblem` s (a JSON pointer into the form file and what is
wrong), so staff learn the file and the place of every problem at once:

- :func:`check_form`: every pointer in ``x-service`` names a field of the right type; every
  value the token must hold fits it (zones of 1-2 of A-Z/0-9 that the zone map knows, at most
  4 plates that are checked against the plate format, a bounded duration in days or
  months, a permit type of its own); every fee table covers every option of the fields it
  reads and every day from today on; the rules name fields and zones that exist.
- :func:`check_examples`: the examples are valid documents, pass the rules (with
  ``today``, so an example whose start date has passed is refused) and have a fee.
- :func:`check_document`: the template has exactly the mapped placeholders, every text it
  prints comes from a bounded field whose characters the font can draw, and the longest
  value each field accepts fits its box at the minimum font size (rendered, not estimated).

The registry runs the first two whenever it loads a form, the document check where the PDF
code is loaded anyway (check-forms, the local run, packaging, tests).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from chalicelib.domain.forms import FormDefinition, schema_node
from chalicelib.domain.messages import message_for
from chalicelib.domain.pointers import join_pointer
from chalicelib.domain.rules import apply_rules, normalise_document
from chalicelib.domain.token import MAX_PLATES
from chalicelib.domain.zones import ZONE_CODE_PATTERN, ZoneMap

__all__ = [
    "PRINTABLE_CONTEXT",
    "DocumentFit",
    "FormProblem",
    "check_document",
    "check_examples",
    "check_form",
    "field_options",
]

MAX_DURATION = {"days": 366, "months": 60}
MAX_PLATE_INPUT = 20  # characters a plate field may take before normalisation
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)\}")

PRINTABLE_CONTEXT = frozenset(
    {
        "permit.number",
        "permit.zone",
        "permit.zone_name",
        "permit.zone_name_en",
        "permit.plates_lines",
        "permit.plates_inline",
        "permit.valid_from_de",
        "permit.valid_until_de",
        "permit.duration_de",
        "permit.duration_en",
        "permit.verify_url",
        "form.title_de",
        "form.title_en",
        "authority.name",
    }
)
"""Everything a document mapping may name besides ``data.*`` (see documents.document_context)."""


@dataclass(frozen=True)
class FormProblem:
    pointer: str
    problem: str


# -- schema helpers --------------------------------------------------------------------------


def _types(node: Mapping[str, Any]) -> set[str]:
    declared = node.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {str(t) for t in declared}
    if "const" in node:
        return {_json_type(node["const"])}
    if "enum" in node:
        return {_json_type(v) for v in node["enum"]}
    return set()


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def field_options(node: Mapping[str, Any]) -> list[Any] | None:
    """Every value a field accepts, when it is a small closed set; None otherwise."""
    if "const" in node:
        return [node["const"]]
    if "enum" in node:
        return list(node["enum"])
    if _types(node) == {"boolean"}:
        return [True, False]
    if _types(node) == {"integer"} and "minimum" in node and "maximum" in node:
        low, high = int(node["minimum"]), int(node["maximum"])
        if high - low <= 1000:
            return list(range(low, high + 1))
    return None


def _option_key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Checker:
    def __init__(self, form: FormDefinition, zone_map: ZoneMap | None) -> None:
        self.form = form
        self.schema = form.schema
        self.zone_map = zone_map
        self.problems: list[FormProblem] = []

    def add(self, pointer: str, problem: str) -> None:
        self.problems.append(FormProblem(pointer, problem))

    def field(self, where: str, pointer: str, types: set[str], what: str) -> dict[str, Any] | None:
        """The field ``pointer`` names, if it has one of ``types``; else a problem at ``where``."""
        node = schema_node(self.schema, pointer)
        if node is None:
            self.add(where, f"{pointer!r} names no property of the form")
            return None
        if not (_types(node) & types):
            found = "/".join(sorted(_types(node))) or "no type"
            self.add(where, f"{pointer!r} must be {what}, but it is {found}")
            return None
        return node


# -- the permit and the token ----------------------------------------------------------------


def _check_permit(c: _Checker) -> None:
    spec = c.form.permit
    base = "/x-service/permit"
    # Plates: an array of strings (or one string), at most MAX_PLATES, each with a pattern.
    node = c.field(f"{base}/plates", spec.plates, {"array", "string"}, "a list of plates")
    if node is not None:
        item = node.get("items") if _types(node) == {"array"} else node
        if _types(node) == {"array"}:
            if int(node.get("maxItems", 10**6)) > MAX_PLATES:
                c.add(
                    f"{base}/plates",
                    f"{spec.plates!r} needs maxItems <= {MAX_PLATES} (the token holds {MAX_PLATES} plates)",
                )
            if int(node.get("minItems", 0)) < 1:
                c.add(f"{base}/plates", f"{spec.plates!r} needs minItems >= 1")
        if not isinstance(item, dict) or _types(item) != {"string"}:
            c.add(f"{base}/plates", f"{spec.plates!r} must hold strings")
        else:
            if "pattern" not in item:
                c.add(f"{base}/plates", f"{spec.plates!r} needs a pattern for plates")
            if int(item.get("maxLength", 10**6)) > MAX_PLATE_INPUT:
                c.add(f"{base}/plates", f"{spec.plates!r} needs maxLength <= {MAX_PLATE_INPUT}")
    c.field(f"{base}/start_date", spec.start_date, {"string"}, "a date")
    start = schema_node(c.schema, spec.start_date)
    if start is not None and start.get("format") != "date":
        c.add(f"{base}/start_date", f"{spec.start_date!r} must have format 'date'")
    # Duration: an integer with bounds the validity computation and the token can hold.
    where = f"{base}/duration/pointer"
    node = c.field(where, spec.duration.pointer, {"integer"}, "an integer")
    if node is not None:
        options = field_options(node)
        limit = MAX_DURATION[spec.duration.unit]
        if options is None:
            c.add(where, f"{spec.duration.pointer!r} needs an enum or minimum and maximum")
        elif not all(isinstance(v, int) and 1 <= v <= limit for v in options):
            c.add(where, f"every duration must lie between 1 and {limit} {spec.duration.unit}")
    _check_zone_spec(c)


def _check_zone_spec(c: _Checker) -> None:
    spec = c.form.permit.zone
    base = "/x-service/permit/zone"
    if spec.from_address:
        assert spec.street is not None and spec.house_number is not None
        c.field(f"{base}/from_address/street", spec.street, {"string"}, "a text")
        c.field(f"{base}/from_address/house_number", spec.house_number, {"string"}, "a text")
        if c.zone_map is None:
            c.add(
                f"{base}/from_address", "the zone comes from the address, but there is no zone map"
            )
    if spec.entered is not None:
        node = c.field(f"{base}/entered", spec.entered, {"string"}, "a text")
        if node is None:
            return
        options = field_options(node)
        if options is None:
            c.add(f"{base}/entered", f"{spec.entered!r} needs an enum of zones")
            return
        where = "/properties" + spec.entered.replace("/", "/properties/")[len("/properties") :]
        for index, code in enumerate(options):
            if not isinstance(code, str) or not ZONE_CODE_PATTERN.match(code):
                c.add(
                    f"{where}/enum/{index}",
                    f"zone {code!r} does not fit the token (1-2 of A-Z, 0-9)",
                )
            elif c.zone_map is None:
                c.add(f"{where}/enum/{index}", "zones need a zone map (schemas/_city/zones.json)")
            elif not c.zone_map.knows(code):
                c.add(f"{where}/enum/{index}", f"zone {code!r} is not in the zone map")


def _check_rules(c: _Checker) -> None:
    rules = c.form.rules
    base = "/x-service/rules"
    if rules.several_plates_pointer is not None:
        where = f"{base}/several_plates_only_for/pointer"
        node = c.field(where, rules.several_plates_pointer, {"string", "boolean"}, "a choice")
        if node is not None:
            options = field_options(node)
            if options is None:
                c.add(where, f"{rules.several_plates_pointer!r} needs an enum")
            else:
                for index, value in enumerate(rules.several_plates_values):
                    if value not in options:
                        c.add(
                            f"{base}/several_plates_only_for/values/{index}",
                            f"{value!r} is not an option of the field",
                        )
    for index, zone in enumerate(rules.allowed_zones or ()):
        if c.zone_map is None or not c.zone_map.knows(zone):
            c.add(f"{base}/allowed_zones/{index}", f"zone {zone!r} is not in the zone map")
    for index, age in enumerate(rules.ages):
        where = f"{base}/ages/{index}"
        node = c.field(f"{where}/pointer", age.pointer, {"string"}, "a date")
        if node is not None and node.get("format") != "date":
            c.add(f"{where}/pointer", f"{age.pointer!r} must have format 'date'")
        if age.min_years >= age.max_years:
            c.add(where, "min_years must be below max_years")


# -- fees --------------------------------------------------------------------------------------


def _check_fees(c: _Checker, today: date) -> None:
    schedule = c.form.fees
    base = "/x-service/fee/tables"
    previous: date | None = None
    for index, table in enumerate(schedule.tables):
        if previous is not None and table.effective_from <= previous:
            c.add(
                f"{base}/{index}/effective_from",
                "tables must take effect on different days, in order",
            )
        previous = table.effective_from
    if schedule.tables and schedule.tables[0].effective_from > today:
        c.add(
            f"{base}/0/effective_from",
            f"no fee table is in force today ({today.isoformat()}): the first takes effect on {schedule.tables[0].effective_from.isoformat()}",
        )
    # Tables in the file order (the pointer follows the file, the checks follow the kind).
    for index, entry in enumerate(c.schema["x-service"]["fee"]["tables"]):
        where = f"{base}/{index}"
        kind = entry["kind"]
        if kind == "by_option":
            by = str(entry["by"])
            _check_amounts(c, f"{where}/by", by, entry["amounts_cents"], f"{where}/amounts_cents")
        elif kind == "per_unit":
            node = c.field(f"{where}/by", str(entry["by"]), {"integer"}, "an integer")
            options = field_options(node) if node is not None else []
            if options is None or any(not isinstance(v, int) or v < 0 for v in options):
                c.add(
                    f"{where}/by",
                    f"{entry['by']!r} needs bounds: an enum, or minimum >= 0 and maximum",
                )
        elif kind == "length_classes":
            _check_classes(c, where, entry)
        elif kind == "vehicle_area":
            for role in ("length", "width"):
                node = c.field(f"{where}/{role}", str(entry[role]), {"integer"}, "an integer (mm)")
                if node is not None and ("minimum" not in node or "maximum" not in node):
                    c.add(f"{where}/{role}", f"{entry[role]!r} needs minimum and maximum (mm)")


def _check_amounts(
    c: _Checker, where_by: str, by: str, amounts: Mapping[str, Any], where: str
) -> None:
    """``amounts`` has exactly one amount per option of the field ``by`` names."""
    node = c.field(where_by, by, {"string", "integer", "boolean"}, "a choice")
    if node is None:
        return
    options = field_options(node)
    if options is None:
        c.add(where, f"{by!r} has no closed set of options (an enum) to price")
        return
    keys = {_option_key(v) for v in options}
    for missing in sorted(keys - set(amounts)):
        c.add(where, f"no amount for option {missing!r} of {by}")
    for extra in sorted(set(amounts) - keys):
        c.add(f"{where}/{extra}", f"{extra!r} is not an option of {by}")


def _check_classes(c: _Checker, where: str, entry: Mapping[str, Any]) -> None:
    node = c.field(f"{where}/length", str(entry["length"]), {"integer"}, "an integer (mm)")
    if node is not None and ("minimum" not in node or "maximum" not in node):
        c.add(f"{where}/length", f"{entry['length']!r} needs minimum and maximum (mm)")
    classes = entry["classes"]
    bounds = [klass.get("up_to_mm") for klass in classes]
    last = bounds[-1]
    if last is not None and node is not None and int(last) < int(node.get("maximum", 0)):
        c.add(
            f"{where}/classes/{len(classes) - 1}/up_to_mm",
            f"the last class ends at {bounds[-1]} mm, but lengths up to {node['maximum']} mm are accepted",
        )
    for index, bound in enumerate(bounds[:-1]):
        if bound is None:
            c.add(f"{where}/classes/{index}/up_to_mm", "only the last class may be open-ended")
        elif bounds[index + 1] is not None and int(bounds[index + 1]) <= int(bound):
            c.add(
                f"{where}/classes/{index + 1}/up_to_mm", "classes must follow each other by length"
            )
    by = entry.get("by")
    for index, klass in enumerate(classes):
        if "amounts_cents" in klass:
            if by is None:
                c.add(f"{where}/classes/{index}", "amounts per option need 'by'")
            else:
                _check_amounts(
                    c,
                    f"{where}/by",
                    str(by),
                    klass["amounts_cents"],
                    f"{where}/classes/{index}/amounts_cents",
                )
        elif by is not None:
            c.add(
                f"{where}/classes/{index}",
                f"with 'by' every class needs amounts_cents per option of {by}",
            )


# -- entry points -----------------------------------------------------------------------------


def check_form(form: FormDefinition, zone_map: ZoneMap | None, today: date) -> list[FormProblem]:
    """The load-time checks: pointers, token limits, fee coverage, zones, rules."""
    checker = _Checker(form, zone_map)
    _check_permit(checker)
    _check_rules(checker)
    _check_fees(checker, today)
    _check_change_fee(checker)
    _check_lifecycle(checker)
    return checker.problems


#: The smallest amount a card payment can carry (Stripe's minimum charge in EUR).
MIN_CHARGE_CENTS = 50


def _check_change_fee(c: _Checker) -> None:
    """A change fee is free (0) or a payable amount; a few cents cannot be charged online."""
    amount = c.form.change_fee_cents
    if 0 < amount < MIN_CHARGE_CENTS:
        c.add(
            "/x-service/change_fee/amount_cents",
            f"a change fee of {amount} cents cannot be paid online: 0 (free) or at least"
            f" {MIN_CHARGE_CENTS} cents",
        )


def _check_lifecycle(c: _Checker) -> None:
    """A renewal starts the day after the end, up to ``renewal_window_days`` + 1 ahead: the
    start-date rule must accept that, or every renewal would be refused at submission. The
    answers asked again must exist (a misspelt one would be copied silently)."""
    lifecycle = c.form.lifecycle
    base = "/x-service/lifecycle"
    count, unit = c.form.rules.start_max_ahead
    furthest = count if unit == "days" else count * 28  # the shortest months
    if lifecycle.renewal_window_days and lifecycle.renewal_window_days + 1 > furthest:
        c.add(
            f"{base}/renewal_window_days",
            f"a renewal starts up to {lifecycle.renewal_window_days + 1} days ahead, but"
            f" rules.start_date.max_ahead allows only {count} {unit}",
        )
    for index, pointer in enumerate(lifecycle.ask_again):
        if schema_node(c.form.schema, pointer) is None:
            c.add(f"{base}/ask_again/{index}", f"{pointer!r} names no field of the form")
        elif pointer in (c.form.permit.plates, c.form.permit.start_date):
            c.add(f"{base}/ask_again/{index}", f"{pointer!r} is the permit's own field")


def check_examples(
    form: FormDefinition,
    validator: Any,
    zone_map: ZoneMap | None,
    today: date,
    *,
    dated_rules: bool,
    error_pointer: Callable[[Any, str], str],
) -> list[FormProblem]:
    """Each example is a valid document, passes the rules and has a fee today.

    ``dated_rules`` applies the rules that depend on the day (start-date window, ages): the
    check-forms command does, the service's own load does not (an example that has aged must
    not take the service down; check-forms and the test suite catch it).
    """
    import copy

    problems: list[FormProblem] = []
    for index, example in enumerate(form.schema["examples"]):
        prefix = f"/examples/{index}"
        error = next(iter(validator.iter_errors(example)), None)
        if error is not None:
            problems.append(FormProblem(error_pointer(error, prefix), error.message))
            continue
        document = normalise_document(form, copy.deepcopy(example))
        rule_errors = apply_rules(form, document, today, (), zone_map)
        if not dated_rules:
            rule_errors = [
                e
                for e in rule_errors
                if not e.code.startswith(("start_date", "date_of_birth", "too_young"))
            ]
        for rule_error in rule_errors:
            text = message_for(rule_error.code, "en", rule_error.params)
            problems.append(FormProblem(prefix + rule_error.pointer, f"{rule_error.code}: {text}"))
        for table_index, table in enumerate(form.fees.tables):
            if table.effective_from <= today and table is not form.fees.table_on(today):
                continue  # superseded tables no longer matter
            if form.fees.compute_with(table, document) is None:
                problems.append(
                    FormProblem(
                        f"/x-service/fee/tables/{table_index}", f"no fee for example {index}"
                    )
                )
    return problems


class DocumentFit(Protocol):
    """What the document check needs of a renderer (PdfTemplateRenderer has it)."""

    def placeholder_names(self, template: str) -> frozenset[str]: ...

    def unsupported_characters(self, text: str) -> frozenset[str]: ...

    def text_width(self, text: str) -> float: ...

    def place(self, template: str, fields: Mapping[str, str]) -> Mapping[str, Any]: ...


def _charset(pattern: str) -> tuple[set[str] | None, int | None]:
    """Characters a ``pattern`` can match and its longest match (None: unbounded/any)."""
    # The regex parser of the standard library: the one source of truth for what a
    # pattern can match (its character sets and its longest match).
    import re._constants as constants  # type: ignore[import-not-found]
    import re._parser as parser  # type: ignore[import-not-found]

    try:
        parsed = parser.parse(pattern)
    except re.error:
        return None, None
    chars: set[str] = set()
    unbounded = False

    def walk(items: Iterable[Any]) -> None:
        nonlocal unbounded
        for op, arg in items:
            if op is constants.LITERAL:
                chars.add(chr(arg))
            elif op is constants.ANY:
                unbounded = True
            elif op is constants.IN:
                for sub_op, sub_arg in arg:
                    if sub_op is constants.LITERAL:
                        chars.add(chr(sub_arg))
                    elif sub_op is constants.RANGE:
                        chars.update(chr(c) for c in range(sub_arg[0], sub_arg[1] + 1))
                    elif sub_op is constants.CATEGORY and sub_arg is constants.CATEGORY_DIGIT:
                        chars.update("0123456789")
                    elif sub_op is constants.NEGATE or sub_op is constants.CATEGORY:
                        unbounded = True
            elif op in (constants.MAX_REPEAT, constants.MIN_REPEAT, constants.POSSESSIVE_REPEAT):
                walk(arg[2])
            elif op is constants.SUBPATTERN:
                walk(arg[3])
            elif op is constants.BRANCH:
                for branch in arg[1]:
                    walk(branch)
            elif op in (constants.ASSERT, constants.ASSERT_NOT):
                continue  # lookarounds match nothing themselves
            elif op is constants.CATEGORY and arg is constants.CATEGORY_DIGIT:
                chars.update("0123456789")
            elif op is constants.CATEGORY:
                unbounded = True

    walk(parsed)
    high = parsed.getwidth()[1]
    longest = None if high >= constants.MAXREPEAT else int(high)
    return (None if unbounded else chars), longest


@dataclass(frozen=True)
class _Domain:
    """The values a placeholder can print: a closed list, or characters times a length."""

    values: tuple[str, ...] = ()
    chars: str = ""
    length: int = 0
    lines: int = 1


def _widest(values: Iterable[str], fit: DocumentFit) -> str:
    return max(values, key=fit.text_width, default="")


def _data_domain(c: _Checker, path: str, where: str, fit: DocumentFit) -> _Domain | None:
    pointer = "/" + path.replace(".", "/")
    node = schema_node(c.schema, pointer)
    if node is None:
        c.add(where, f"{{data.{path}}} names no property of the form")
        return None
    lines = 1
    if _types(node) == {"array"}:
        lines = int(node.get("maxItems", 0))
        item = node.get("items")
        if not lines or not isinstance(item, dict):
            c.add(where, f"{{data.{path}}} is a list without maxItems")
            return None
        node = item
    options = field_options(node)
    if options is not None:
        return _Domain(values=tuple(str(v) for v in options), lines=lines)
    types = _types(node)
    if types == {"string"} and node.get("format") == "date":
        return _Domain(values=("9999-12-31",), lines=lines)
    if types == {"integer"}:
        c.add(where, f"{{data.{path}}} is printed, so it needs minimum and maximum")
        return None
    if types != {"string"}:
        c.add(where, f"{{data.{path}}} cannot be printed ({'/'.join(sorted(types)) or 'no type'})")
        return None
    chars, longest = _charset(str(node["pattern"])) if "pattern" in node else (None, None)
    limit = node.get("maxLength")
    if chars is None:
        c.add(where, f"{{data.{path}}} is printed, so it needs a pattern that names its characters")
        return None
    lengths = [n for n in (limit, longest) if n is not None]
    if not lengths:
        c.add(where, f"{{data.{path}}} is printed, so it needs a maxLength")
        return None
    missing = fit.unsupported_characters("".join(sorted(chars)))
    if missing:
        shown = ", ".join(f"U+{ord(ch):04X}" for ch in sorted(missing)[:8])
        c.add(where, f"{{data.{path}}} admits characters the PDF font cannot draw: {shown}")
        return None
    return _Domain(chars="".join(sorted(chars)), length=int(min(lengths)), lines=lines)


def _label_domain(c: _Checker, path: str, where: str) -> _Domain | None:
    """``{label.x.y}``: the German (``label_en``: English) title of the chosen option."""
    prefix, _, rest = path.partition(".")
    lang = "en" if prefix == "label_en" else "de"
    node = schema_node(c.schema, "/" + rest.replace(".", "/"))
    options = field_options(node) if node is not None else None
    titles = node.get("x-enum-titles") if node is not None else None
    if options is None or not isinstance(titles, dict):
        c.add(where, f"{{{path}}} needs a field with options and x-enum-titles")
        return None
    values = []
    for option in options:
        title = titles.get(_option_key(option))
        if not isinstance(title, dict) or lang not in title:
            c.add(where, f"{{{path}}}: option {option!r} has no {lang} title")
            return None
        values.append(str(title[lang]))
    return _Domain(values=tuple(values))


def _context_domain(
    path: str, form: FormDefinition, zone_map: ZoneMap | None, authority: str, fit: DocumentFit
) -> _Domain:
    """The values a ``permit.*``/``form.*``/``authority.*`` placeholder can print."""
    plates = schema_node(form.schema, form.permit.plates) or {}
    plate_lines = int(plates.get("maxItems", 1)) if plates.get("type") == "array" else 1
    codes = tuple(zone_map.zones) + tuple(zone_map.groups) if zone_map else ("WW",)
    names = [zone_map.title(code) for code in codes] if zone_map else [{"de": "", "en": ""}]
    plate_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÜ0123456789"
    durations = field_options(schema_node(form.schema, form.permit.duration.pointer) or {}) or [999]
    unit = form.permit.duration.unit
    word = {"days": ("Tage", "days"), "months": ("Monate", "months")}[unit]
    digit = _widest("0123456789", fit)
    crockford = _widest("0123456789ABCDEFGHJKMNPQRSTVWXYZ", fit)
    number = f"{digit * 4}-{crockford * 4}-{crockford * 4}"  # YYYY-XXXX-XXXX
    day = f"{digit * 2}.{digit * 2}.{digit * 4}"
    return {
        "permit.number": _Domain(values=(number,)),
        "permit.zone": _Domain(values=codes),
        "permit.zone_name": _Domain(values=tuple(n["de"] for n in names)),
        "permit.zone_name_en": _Domain(values=tuple(n["en"] for n in names)),
        "permit.plates_lines": _Domain(chars=plate_chars, length=10, lines=plate_lines),
        "permit.plates_inline": _Domain(values=(", ".join(["WWWWWWWWWW"] * plate_lines),)),
        "permit.valid_from_de": _Domain(values=(day,)),
        "permit.valid_until_de": _Domain(values=(day,)),
        "permit.duration_de": _Domain(values=tuple(f"{d} {word[0]}" for d in durations)),
        "permit.duration_en": _Domain(values=tuple(f"{d} {word[1]}" for d in durations)),
        "form.title_de": _Domain(values=(form.title["de"],)),
        "form.title_en": _Domain(values=(form.title["en"],)),
        "authority.name": _Domain(values=(authority,)),
    }.get(path, _Domain(values=("",)))


def _worst(domain: _Domain, fit: DocumentFit) -> str:
    """The widest text a domain allows: its widest value, or its widest character repeated."""
    one = (
        _widest(domain.values, fit) if domain.values else _widest(domain.chars, fit) * domain.length
    )
    return "\n".join([one] * domain.lines)


def check_document(
    form: FormDefinition, fit: DocumentFit, zone_map: ZoneMap | None, authority: str
) -> list[FormProblem]:
    """Template fields mapped exactly, printed values bounded, the longest ones fit."""
    c = _Checker(form, zone_map)
    base = "/x-service/document"
    template = form.document.template
    try:
        placeholders = fit.placeholder_names(template)
    except (OSError, ValueError) as error:
        return [FormProblem(f"{base}/template", str(error))]
    mapped = set(form.document.fields)
    for missing in sorted(placeholders - mapped):
        c.add(f"{base}/fields", f"template field {missing!r} of {template} has no mapping")
    for unknown in sorted(mapped - placeholders):
        c.add(f"{base}/fields/{unknown}", f"not a field of {template}")
    worst: dict[str, str] = {}
    for name, text in form.document.fields.items():
        where = f"{base}/fields/{join_pointer([name])[1:]}"
        parts: list[str] = []
        position = 0
        ok = True
        for match in _PLACEHOLDER.finditer(text):
            parts.append(text[position : match.start()])
            position = match.end()
            path = match.group(1)
            if path.startswith("data."):
                domain = _data_domain(c, path[5:], where, fit)
            elif path.startswith(("label.", "label_en.")):
                domain = _label_domain(c, path, where)
            elif path in PRINTABLE_CONTEXT:
                domain = _context_domain(path, form, zone_map, authority, fit)
            else:
                c.add(where, f"{{{path}}} is not something a permit can print")
                domain = None
            if domain is None:
                ok = False
                continue
            parts.append(_worst(domain, fit))
        parts.append(text[position:])
        if ok and name in placeholders and name != "qr":
            worst[name] = "".join(parts).strip()
    for name, value in worst.items():
        where = f"{base}/fields/{join_pointer([name])[1:]}"
        try:
            fit.place(template, {name: value})
        except ValueError as error:
            c.add(where, f"the longest accepted value does not fit at 7 pt or more: {error}")
    return c.problems
