"""The document check the registry runs on load where the PDF code may be imported.

Builds :func:`form_checks.check_document` on the real renderer, once per templates folder,
and remembers each answer by form and template content, so the many registries a test run
builds (one per Container) check each form version once.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from pathlib import Path

from chalicelib.domain.forms import FormDefinition
from chalicelib.domain.zones import ZoneMap
from chalicelib.services.form_checks import FormProblem, check_document
from chalicelib.services.form_registry import DocumentCheck

__all__ = ["document_check"]

_results: dict[tuple[str, str, str, str], list[FormProblem]] = {}
_lock = threading.Lock()


@functools.lru_cache(maxsize=8)
def _renderer(templates_dir: Path) -> object:
    from chalicelib.adapters.pdf.renderer import PdfTemplateRenderer

    return PdfTemplateRenderer(templates_dir)


def _template_digest(templates_dir: Path, name: str) -> str:
    try:
        return hashlib.sha256((templates_dir / Path(name).name).read_bytes()).hexdigest()
    except OSError:
        return "missing"


def document_check(templates_dir: Path, authority: str) -> DocumentCheck:
    def check(form: FormDefinition, zone_map: ZoneMap | None) -> list[FormProblem]:
        key = (
            form.schema_hash,
            _template_digest(templates_dir, form.document.template),
            authority,
            zone_map.digest if zone_map is not None else "",
        )
        with _lock:
            cached = _results.get(key)
        if cached is None:
            renderer = _renderer(templates_dir.resolve())
            cached = check_document(form, renderer, zone_map, authority)  # type: ignore[arg-type]
            with _lock:
                _results[key] = cached
        return list(cached)

    return check
