"""The published forms: every ``schemas/*.json``, checked by the meta-schema before use.

A broken form must fail loudly and early, naming the file and the JSON pointer of the
problem: ``make run``, ``make package`` and the test suite all load every form through
``load_all``. Validators are compiled once per form version and kept for the process.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from chalicelib.domain.forms import FormDefinition
from chalicelib.domain.pointers import join_pointer

__all__ = ["FORM_ID_PATTERN", "FormDefinitionError", "FormRegistry"]

FORM_ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
META_SCHEMA_PATH = Path("_meta") / "service-form.schema.json"


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
            from jsonschema import Draft202012Validator

            validator = Draft202012Validator(
                form.schema, format_checker=Draft202012Validator.FORMAT_CHECKER
            )
            self._validators[key] = validator
        return validator

    def _load(self) -> dict[str, FormDefinition]:
        from jsonschema import Draft202012Validator

        meta = json.loads((self._dir / META_SCHEMA_PATH).read_text(encoding="utf-8"))
        meta_validator = Draft202012Validator(meta)
        forms: dict[str, FormDefinition] = {}
        for path in sorted(self._dir.glob("*.json")):
            try:
                schema = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as error:
                raise FormDefinitionError(path, "", f"not JSON: {error}") from error
            problems = sorted(meta_validator.iter_errors(schema), key=lambda e: list(e.path))
            if problems:
                first = problems[0]
                raise FormDefinitionError(path, join_pointer(first.absolute_path), first.message)
            try:
                Draft202012Validator.check_schema(schema)
            except Exception as error:  # SchemaError: the schema part itself is invalid
                raise FormDefinitionError(path, "", str(error).splitlines()[0]) from error
            form = FormDefinition.from_schema(schema)
            if path.stem != form.id:
                raise FormDefinitionError(path, "/x-service/id", f"id must match file name {path.stem!r}")
            self._check_examples(path, form)
            forms[form.id] = form
        return forms

    def _check_examples(self, path: Path, form: FormDefinition) -> None:
        validator = self.validator(form)
        for index, example in enumerate(form.schema["examples"]):
            error = next(iter(validator.iter_errors(example)), None)
            if error is not None:
                pointer = f"/examples/{index}" + join_pointer(error.absolute_path)
                raise FormDefinitionError(path, pointer, error.message)
            if form.fee_for(example) is None:
                raise FormDefinitionError(path, "/x-service/fee", f"no fee for example {index}")
