"""The published forms: every ``schemas/*.json`` and the city's zone map, checked before use.

A broken form must fail loudly and early, naming the file and the JSON pointer of the
problem: ``make run``, ``make package`` and the test suite all load every form through
``load_all``, which runs the meta-schema and the form checks (:mod:`form_checks`).
Validators are compiled once per form version and kept for the process.

In the local stage the registry *reloads*: each request looks at the files' sizes and
modification times (a handful of ``stat`` calls), and a saved file is loaded on the next
request. A file that is broken after a save is reported (``problems``, logged) and its last
good version stays published, so a typo never takes the service down. Lambda never
reloads: its forms are the ones packaged, which check-forms passed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from chalicelib.domain.dates import berlin_today
from chalicelib.domain.forms import FormDefinition
from chalicelib.domain.pointers import join_pointer
from chalicelib.domain.zones import ZoneMap
from chalicelib.services.form_checks import FormProblem, check_examples, check_form

__all__ = [
    "FORM_ID_PATTERN",
    "ZONE_MAP_PATH",
    "FormDefinitionError",
    "FormRegistry",
]

log = logging.getLogger("permit_service.forms")

FORM_ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*\Z")
META_SCHEMA_PATH = Path("_meta") / "service-form.schema.json"
ZONE_META_SCHEMA_PATH = Path("_meta") / "zone-map.schema.json"
ZONE_MAP_PATH = Path("_city") / "zones.json"
BUNDLED_SCHEMAS = Path(__file__).resolve().parent.parent.parent / "schemas"

DocumentCheck = Callable[[FormDefinition, ZoneMap | None], list[FormProblem]]
"""Checks a form's document mapping against its template (see form_checks.check_document)."""


@functools.lru_cache(maxsize=512)
def _ecma_regex(pattern: str) -> re.Pattern[str]:
    """Compile a JSON Schema ``pattern`` with ECMA-262 meaning, as JSON Schema defines it.

    jsonschema hands patterns to Python's ``re`` unchanged, where ``$`` also matches before a
    trailing newline (so ``^[0-9]{5}$`` accepts "52349\\n") and ``\\d`` matches any Unicode
    digit ("٥٢٣٤٩"). Outside character classes ``$`` becomes ``\\Z``; ``\\d`` becomes ``[0-9]``.
    """
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escaped = pattern[i + 1]
            if escaped == "d":
                out.append("0-9" if in_class else "[0-9]")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            char = r"\Z"
        out.append(char)
        i += 1
    return re.compile("".join(out))


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "string"):
        return
    try:
        regex = _ecma_regex(pattern)
    except re.error:
        return  # an invalid regex is reported by check_schema, before any document is checked
    if not regex.search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _is_email(instance: object) -> bool:
    """``format: email`` by the email-validator library, syntax only (no DNS at request time).

    jsonschema's own check only looks for an "@", so "@", "a b@c d" and "x@y\\n<script>"
    passed. email-validator follows RFC 5321/5322 and 6531 (internationalised addresses),
    refuses special-use domains (``.invalid``, ``localhost``) and domains without a dot.
    Imported on first use: about as costly to import as jsonschema itself (it compiles its
    grammar's regular expressions), and only the submission path needs it.
    """
    if not isinstance(instance, str):
        return True  # "type" reports non-strings
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(instance, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@functools.lru_cache(maxsize=1)
def _format_checker() -> Any:
    """Draft 2020-12's format checks, with ``email``/``idn-email`` done properly."""
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker(formats=())
    checker.checkers = dict(Draft202012Validator.FORMAT_CHECKER.checkers)
    for name in ("email", "idn-email"):
        checker.checks(name)(_is_email)
    return checker


@functools.lru_cache(maxsize=1)
def _validator_class() -> Any:
    """Draft 2020-12 with ECMA-262 ``pattern`` semantics; jsonschema is imported on first use."""
    from jsonschema import Draft202012Validator
    from jsonschema.validators import extend

    return extend(Draft202012Validator, {"pattern": _ecma_pattern})


def _error_pointer(error: Any, prefix: str = "") -> str:
    """The pointer of a jsonschema error; a missing required member is named itself."""
    parts: list[str | int] = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        if missing:
            parts.append(missing[0])
    return prefix + join_pointer(parts)


class FormDefinitionError(Exception):
    """A staff-written form file that cannot be published."""

    def __init__(self, file: Path, pointer: str, problem: str) -> None:
        super().__init__(f"{file.name}: at '{pointer or '/'}': {problem}")
        self.file = file
        self.pointer = pointer
        self.problem = problem


class _FileProblems(Exception):
    """Every problem the form checks found in one file (check-forms shows them all)."""

    def __init__(self, problems: list[FormDefinitionError]) -> None:
        super().__init__(str(problems[0]))
        self.problems = problems


@dataclass(frozen=True)
class _Loaded:
    forms: dict[str, FormDefinition]
    zone_map: ZoneMap | None
    problems: tuple[FormDefinitionError, ...]


def _today() -> date:
    return berlin_today(datetime.now(UTC))


class FormRegistry:
    def __init__(
        self,
        schemas_dir: Path,
        *,
        reload: bool = False,
        document_check: DocumentCheck | None = None,
        today: Callable[[], date] = _today,
    ) -> None:
        self._dir = Path(schemas_dir)
        self._reload = reload
        self._document_check = document_check
        self._today = today
        self._loaded: _Loaded | None = None
        self._fingerprint: tuple[tuple[str, int, int], ...] = ()
        self._validators: dict[tuple[str, int, str], Any] = {}
        self._lock = threading.Lock()

    # -- what the service reads ----------------------------------------------------------

    def load_all(self) -> dict[str, FormDefinition]:
        return self._current().forms

    def get(self, form_id: str) -> FormDefinition | None:
        if not FORM_ID_PATTERN.match(form_id):
            return None
        return self.load_all().get(form_id)

    @property
    def zone_map(self) -> ZoneMap | None:
        return self._current().zone_map

    @property
    def problems(self) -> tuple[FormDefinitionError, ...]:
        """Files that failed their last (re)load; their last good version stays published."""
        return self._current().problems

    def validator(self, form: FormDefinition) -> Any:
        """The compiled Draft 2020-12 validator (with format checks) for this form version."""
        key = (form.id, form.version, form.schema_hash)
        validator = self._validators.get(key)
        if validator is None:
            validator = _validator_class()(form.schema, format_checker=_format_checker())
            self._validators[key] = validator
        return validator

    # -- loading -------------------------------------------------------------------------

    def _current(self) -> _Loaded:
        loaded = self._loaded
        if loaded is not None and not self._reload:
            return loaded
        fingerprint = self._fingerprint_now() if self._reload else ()
        if loaded is not None and fingerprint == self._fingerprint:
            return loaded
        with self._lock:
            if self._loaded is not None and fingerprint == self._fingerprint:
                return self._loaded
            previous = self._loaded
            fresh = self._load(previous)
            if self._reload:
                for problem in fresh.problems:
                    log.warning("form not (re)loaded, previous version kept: %s", problem)
            elif fresh.problems:
                raise fresh.problems[0]
            self._loaded, self._fingerprint = fresh, fingerprint
            return fresh

    def _fingerprint_now(self) -> tuple[tuple[str, int, int], ...]:
        entries = []
        for path in [*self._dir.glob("*.json"), *self._shared_files()]:
            try:
                stat = path.stat()
            except OSError:
                continue
            entries.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(sorted(entries))

    def _shared_files(self) -> list[Path]:
        return [self._resolve(p) for p in (META_SCHEMA_PATH, ZONE_META_SCHEMA_PATH, ZONE_MAP_PATH)]

    def _resolve(self, relative: Path) -> Path:
        """A file of this schemas folder, or the bundled one (meta-schemas) when it has none."""
        own = self._dir / relative
        return own if own.exists() else BUNDLED_SCHEMAS / relative

    def _load(self, previous: _Loaded | None, today: date | None = None) -> _Loaded:
        problems: list[FormDefinitionError] = []
        meta = json.loads(self._resolve(META_SCHEMA_PATH).read_text(encoding="utf-8"))
        cls = _validator_class()
        meta_validator = cls(meta, format_checker=cls.FORMAT_CHECKER)
        zone_map = self._load_zone_map(problems, previous)
        forms: dict[str, FormDefinition] = {}
        types: dict[int, str] = {}
        today = today or self._today()
        for path in sorted(self._dir.glob("*.json")):
            try:
                form = self._load_form(path, meta_validator, zone_map, today)
                other = types.get(form.permit.permit_type)
                if other is not None:
                    raise FormDefinitionError(
                        path,
                        "/x-service/permit/type",
                        f"permit type {form.permit.permit_type} is already {other}'s",
                    )
            except (FormDefinitionError, _FileProblems) as error:
                problems += error.problems if isinstance(error, _FileProblems) else [error]
                kept = previous.forms.get(path.stem) if previous is not None else None
                if kept is not None:
                    forms[kept.id] = kept
                    types.setdefault(kept.permit.permit_type, kept.id)
                continue
            types[form.permit.permit_type] = form.id
            forms[form.id] = form
        return _Loaded(forms, zone_map, tuple(problems))

    def _load_zone_map(
        self, problems: list[FormDefinitionError], previous: _Loaded | None
    ) -> ZoneMap | None:
        path = self._resolve(ZONE_MAP_PATH)
        if not path.exists():
            return None
        try:
            return _read_zone_map(path, self._resolve(ZONE_META_SCHEMA_PATH))
        except FormDefinitionError as error:
            problems.append(error)
            return previous.zone_map if previous is not None else None

    @staticmethod
    def _check_pages(path: Path, schema: dict[str, Any]) -> None:
        """What the meta-schema cannot say: x-page names a declared page, every option is labelled."""
        pages = schema.get("x-pages") or {}
        used: set[str] = set()
        for name, child in schema["properties"].items():
            page = child.get("x-page") if isinstance(child, dict) else None
            if page is None:
                continue
            if child.get("type") == "object":
                raise FormDefinitionError(
                    path, f"/properties/{name}/x-page", "a group is a page of its own"
                )
            if page not in pages:
                raise FormDefinitionError(
                    path, f"/properties/{name}/x-page", f"page {page!r} is not in x-pages"
                )
            if page in schema["properties"] and page != name:
                raise FormDefinitionError(
                    path, f"/properties/{name}/x-page", f"page {page!r} is also a property"
                )
            used.add(page)
        for page in pages:
            if page not in used:
                raise FormDefinitionError(path, f"/x-pages/{page}", "no property names this page")
        for pointer, node in _labelled_nodes(schema["properties"], "/properties"):
            titles = node.get("x-enum-titles") or {}
            for value in node.get("enum", ()):
                if str(value) not in titles:
                    raise FormDefinitionError(
                        path, f"{pointer}/x-enum-titles", f"no label for option {value!r}"
                    )

    def _load_form(
        self, path: Path, meta_validator: Any, zone_map: ZoneMap | None, today: date
    ) -> FormDefinition:
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        schema = _read_json(path)
        # Checking against the meta-schemas is the slow part (a few hundred ms per form);
        # its answer depends only on the two files, so it is remembered per content.
        passed_key = (_digest(schema), _digest(meta_validator.schema))
        if passed_key not in _META_PASSED:
            found = sorted(meta_validator.iter_errors(schema), key=lambda e: list(e.path))
            if found:
                first = found[0]
                raise FormDefinitionError(path, _error_pointer(first), first.message)
            try:
                Draft202012Validator.check_schema(
                    schema, format_checker=Draft202012Validator.FORMAT_CHECKER
                )
            except SchemaError as error:  # the schema part itself is invalid
                raise FormDefinitionError(path, _error_pointer(error), error.message) from error
            _META_PASSED.add(passed_key)
        form = FormDefinition.from_schema(schema)
        if path.stem != form.id:
            raise FormDefinitionError(
                path, "/x-service/id", f"id must match file name {path.stem!r}"
            )
        problems = check_form(form, zone_map, today)
        problems += check_examples(
            form,
            self.validator(form),
            zone_map,
            today,
            dated_rules=False,
            error_pointer=_error_pointer,
        )
        if not problems:  # the token's and the fee's limits first: their messages say more
            self._check_pages(path, schema)
        if not problems and self._document_check is not None:
            problems += self._document_check(form, zone_map)
        if problems:
            raise _FileProblems([FormDefinitionError(path, p.pointer, p.problem) for p in problems])
        return form

    def full_check(self, today: date | None = None) -> list[FormDefinitionError]:
        """Everything check-forms reports: load problems, then the examples on ``today``."""
        day = today or self._today()
        loaded = self._load(None, day)
        problems = list(loaded.problems)
        for form in loaded.forms.values():
            for found in check_examples(
                form,
                self.validator(form),
                loaded.zone_map,
                day,
                dated_rules=True,
                error_pointer=_error_pointer,
            ):
                problems.append(
                    FormDefinitionError(self._dir / f"{form.id}.json", found.pointer, found.problem)
                )
        return problems


_META_PASSED: set[tuple[str, str]] = set()


def _digest(document: Any) -> str:
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as error:
        raise FormDefinitionError(path, "", f"not UTF-8 JSON: {error}") from error
    except json.JSONDecodeError as error:
        raise FormDefinitionError(path, "", f"not JSON: {error}") from error
    except OSError as error:
        raise FormDefinitionError(path, "", f"cannot read: {error}") from error


def _read_zone_map(path: Path, meta_path: Path) -> ZoneMap:
    """The zone map, checked: its meta-schema, known zones, groups and no overlapping rows."""
    data = _read_json(path)
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    found = sorted(_validator_class()(meta).iter_errors(data), key=lambda e: list(e.path))
    if found:
        raise FormDefinitionError(path, _error_pointer(found[0]), found[0].message)
    zones = data["zones"]
    for code, group in data.get("groups", {}).items():
        if code in zones:
            raise FormDefinitionError(path, f"/groups/{code}", f"{code!r} is a zone and a group")
        for index, member in enumerate(group["zones"]):
            if member not in zones:
                raise FormDefinitionError(
                    path, f"/groups/{code}/zones/{index}", f"zone {member!r} is not defined"
                )
    for index, row in enumerate(data["streets"]):
        if row["zone"] not in zones:
            raise FormDefinitionError(
                path, f"/streets/{index}/zone", f"zone {row['zone']!r} is not defined"
            )
        if "to" in row and row["to"] < row.get("from", 1):
            raise FormDefinitionError(path, f"/streets/{index}/to", "'to' lies before 'from'")
    zone_map = ZoneMap.from_json(data)
    for first, second in zone_map.overlapping_rows():
        raise FormDefinitionError(
            path,
            f"/streets/{second.index}",
            f"overlaps /streets/{first.index}: {second.street} has house numbers in two zones",
        )
    return zone_map


def _labelled_nodes(properties: dict[str, Any], pointer: str) -> Iterator[tuple[str, Any]]:
    for name, child in properties.items():
        if not isinstance(child, dict):
            continue
        here = f"{pointer}/{name}"
        yield here, child
        yield from _labelled_nodes(child.get("properties") or {}, f"{here}/properties")
