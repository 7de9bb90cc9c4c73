"""The published forms: every ``schemas/*.json``, checked by the meta-schema before use.

A broken form must fail loudly and early, naming the file and the JSON pointer of the
problem: ``make run``, ``make package`` and the test suite all load every form through
``load_all``. Validators are compiled once per form version and kept for the process.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chalicelib.domain.forms import FormDefinition
from chalicelib.domain.pointers import join_pointer

__all__ = ["FORM_ID_PATTERN", "FormDefinitionError", "FormRegistry"]

FORM_ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*\Z")
META_SCHEMA_PATH = Path("_meta") / "service-form.schema.json"
# The x-service keywords that point into the form's data; each must name a declared property.
_SERVICE_POINTERS = (
    ("permit", "zone"),
    ("permit", "plates"),
    ("permit", "start_date"),
    ("permit", "duration_months"),
    ("fee", "by"),
)


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


def _declares(schema: Any, pointer: str) -> bool:
    """Whether ``pointer`` (``/a/b``) names a property declared through ``properties``."""
    node = schema
    for token in pointer[1:].split("/"):
        properties = node.get("properties") if isinstance(node, dict) else None
        if not isinstance(properties, dict) or token not in properties:
            return False
        node = properties[token]
    return True


class FormDefinitionError(Exception):
    """A staff-written form file that cannot be published."""

    def __init__(self, file: Path, pointer: str, problem: str) -> None:
        super().__init__(f"{file.name}: at '{pointer or '/'}': {problem}")
        self.file = file
        self.pointer = pointer
        self.problem = problem


class FormRegistry:
    def __init__(self, schemas_dir: Path) -> None:
        self._dir = schemas_dir
        self._forms: dict[str, FormDefinition] | None = None
        self._validators: dict[tuple[str, int, str], Any] = {}

    def load_all(self) -> dict[str, FormDefinition]:
        if self._forms is None:
            self._forms = self._load()
        return self._forms

    def get(self, form_id: str) -> FormDefinition | None:
        if not FORM_ID_PATTERN.match(form_id):
            return None
        return self.load_all().get(form_id)

    def validator(self, form: FormDefinition) -> Any:
        """The compiled Draft 2020-12 validator (with format checks) for this form version."""
        key = (form.id, form.version, form.schema_hash)
        validator = self._validators.get(key)
        if validator is None:
            cls = _validator_class()
            validator = cls(form.schema, format_checker=cls.FORMAT_CHECKER)
            self._validators[key] = validator
        return validator

    def _load(self) -> dict[str, FormDefinition]:
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        meta = json.loads((self._dir / META_SCHEMA_PATH).read_text(encoding="utf-8"))
        meta_validator = _validator_class()(meta)
        forms: dict[str, FormDefinition] = {}
        for path in sorted(self._dir.glob("*.json")):
            try:
                schema = json.loads(path.read_bytes().decode("utf-8"))
            except UnicodeDecodeError as error:
                raise FormDefinitionError(path, "", f"not UTF-8 JSON: {error}") from error
            except json.JSONDecodeError as error:
                raise FormDefinitionError(path, "", f"not JSON: {error}") from error
            problems = sorted(meta_validator.iter_errors(schema), key=lambda e: list(e.path))
            if problems:
                first = problems[0]
                raise FormDefinitionError(path, _error_pointer(first), first.message)
            try:
                Draft202012Validator.check_schema(
                    schema, format_checker=Draft202012Validator.FORMAT_CHECKER
                )
            except SchemaError as error:  # the schema part itself is invalid
                raise FormDefinitionError(path, _error_pointer(error), error.message) from error
            form = FormDefinition.from_schema(schema)
            if path.stem != form.id:
                raise FormDefinitionError(
                    path, "/x-service/id", f"id must match file name {path.stem!r}"
                )
            self._check_pointers(path, schema)
            self._check_pages(path, schema)
            self._check_examples(path, form)
            forms[form.id] = form
        return forms

    @staticmethod
    def _check_pointers(path: Path, schema: dict[str, Any]) -> None:
        """A typo in a service pointer would silently skip plate checks, start dates or fees."""
        service = schema["x-service"]
        for section, name in _SERVICE_POINTERS:
            pointer = service[section].get(name)
            if pointer is not None and not _declares(schema, pointer):
                raise FormDefinitionError(
                    path,
                    f"/x-service/{section}/{name}",
                    f"{pointer!r} names no property of the form",
                )

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

    def _check_examples(self, path: Path, form: FormDefinition) -> None:
        validator = self.validator(form)
        for index, example in enumerate(form.schema["examples"]):
            error = next(iter(validator.iter_errors(example)), None)
            if error is not None:
                pointer = _error_pointer(error, f"/examples/{index}")
                raise FormDefinitionError(path, pointer, error.message)
            if form.fee_for(example) is None:
                raise FormDefinitionError(path, "/x-service/fee", f"no fee for example {index}")


def _labelled_nodes(properties: dict[str, Any], pointer: str) -> Iterator[tuple[str, Any]]:
    for name, child in properties.items():
        if not isinstance(child, dict):
            continue
        here = f"{pointer}/{name}"
        yield here, child
        yield from _labelled_nodes(child.get("properties") or {}, f"{here}/properties")
