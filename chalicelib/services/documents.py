"""Use case: the citizen downloads (or reprints) the permit PDF.

One read (the application item carries the permit summary); the values for the template come
from the form's document mapping, whose placeholders name paths into a small context:
``data.*`` (the stored form data), ``permit.*``, ``form.*`` and ``authority.*``. The renderer is
deterministic, so a reprint is byte-identical to the first print.
"""

from __future__ import annotations

import re
from typing import Any

from chalicelib.domain.dates import format_de
from chalicelib.domain.errors import ConflictError, PaymentRequiredError
from chalicelib.domain.forms import FormDefinition
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.pointers import MISSING, resolve_pointer
from chalicelib.domain.records import Application, PermitSummary
from chalicelib.domain.zones import ZoneMap
from chalicelib.services.applications import ApplicationAccess
from chalicelib.services.ports import DocumentRenderer

__all__ = ["DocumentService", "document_context", "fill_fields"]

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)\}")


def document_context(
    form: FormDefinition,
    app_data: dict[str, Any],
    permit: PermitSummary,
    verify_url: str,
    authority: str,
    zone_map: ZoneMap | None = None,
) -> dict[str, Any]:
    """What a document mapping may name: ``data.*``, ``label.*`` (the chosen option's title,
    ``label_en.*`` in English), ``permit.*``, ``form.*`` and ``authority.*``.

    The names are listed in ``form_checks.PRINTABLE_CONTEXT``, which check-forms uses to
    size every printed value; keep the two in step.
    """
    zone_title = zone_map.title(permit.zone) if zone_map else {"de": permit.zone, "en": permit.zone}
    count = form.duration_of(app_data)
    unit = form.permit.duration.unit
    words = {
        "days": (("Tag", "Tage"), ("day", "days")),
        "months": (("Monat", "Monate"), ("month", "months")),
    }[unit]
    duration = {
        lang: "" if count is None else f"{count} {pair[0] if count == 1 else pair[1]}"
        for lang, pair in zip(("de", "en"), words, strict=True)
    }
    return {
        "data": app_data,
        "label": _labels(form.schema, app_data, "de"),
        "label_en": _labels(form.schema, app_data, "en"),
        "authority": {"name": authority},
        "form": {"title_de": form.title["de"], "title_en": form.title["en"]},
        "permit": {
            "number": permit.number,
            "zone": permit.zone,
            "zone_name": zone_title["de"],
            "zone_name_en": zone_title["en"],
            "plates_lines": "\n".join(permit.plates),
            "plates_inline": ", ".join(permit.plates),
            "valid_from_de": format_de(permit.valid_from),
            "valid_until_de": format_de(permit.valid_to),
            "duration_de": duration["de"],
            "duration_en": duration["en"],
            "verify_url": verify_url,
        },
    }


def _labels(schema: Any, data: Any, lang: str) -> dict[str, Any]:
    """The option labels (``x-enum-titles``) of the chosen values, in the shape of the data."""
    out: dict[str, Any] = {}
    if not isinstance(data, dict) or not isinstance(schema, dict):
        return out
    properties = schema.get("properties") or {}
    for key, value in data.items():
        node = properties.get(key)
        if not isinstance(node, dict):
            continue
        if isinstance(value, dict):
            out[key] = _labels(node, value, lang)
            continue
        titles = node.get("x-enum-titles") or {}
        title = titles.get(str(value).lower() if isinstance(value, bool) else str(value))
        if isinstance(title, dict) and lang in title:
            out[key] = title[lang]
    return out


def _lookup(context: dict[str, Any], path: str) -> str:
    """The text at a dotted path (``data.applicant.family_name``); empty when absent."""
    value = resolve_pointer(context, "/" + path.replace(".", "/"))
    if value is MISSING:
        return ""
    if isinstance(value, list):
        return "\n".join(_tidy(str(v)) for v in value)
    return "" if value is None or isinstance(value, dict) else _tidy(str(value))


def _tidy(text: str) -> str:
    """Each line without leading, trailing or repeated spaces (as a person would print it)."""
    return "\n".join(" ".join(line.split()) for line in text.split("\n"))


def fill_fields(form: FormDefinition, context: dict[str, Any]) -> dict[str, str]:
    """Placeholder name -> text, by substituting ``{path}`` in each mapping template."""
    return {
        name: _PLACEHOLDER.sub(lambda m: _lookup(context, m.group(1)), template).strip()
        for name, template in form.document.fields.items()
    }


class DocumentService:
    def __init__(
        self,
        access: ApplicationAccess,
        registry: Any,
        renderer: DocumentRenderer,
        public_base_url: str,
        authority: str,
    ) -> None:
        self._access = access
        self._registry = registry
        self._renderer = renderer
        self._base = public_base_url
        self._authority = authority

    def permit_pdf(self, application_id: str, token: str | None) -> tuple[str, bytes]:
        return self.permit_pdf_for(self._access.get(application_id, token))

    def permit_pdf_for(self, app: Application) -> tuple[str, bytes]:
        """For a caller that has already checked access (a signed link, the web session)."""
        if app.permit is None:
            raise PaymentRequiredError("the permit is issued once the payment is confirmed")
        if app.status is not Status.ISSUED:
            raise ConflictError(f"the permit is {app.status.value.lower()} and cannot be printed")
        form: FormDefinition = self._registry.get(app.form_id)
        return self._file_name(app), self.render(form, app.data, app.permit)

    def render(self, form: FormDefinition, data: dict[str, Any], permit: PermitSummary) -> bytes:
        verify_url = f"{self._base}/v#{permit.token}"
        zone_map = self._registry.zone_map
        context = document_context(form, data, permit, verify_url, self._authority, zone_map)
        fields = fill_fields(form, context)
        qr_content = fields.pop("qr", context["permit"]["verify_url"])
        return self._renderer.render(form.document.template, fields, qr_content)

    @staticmethod
    def _file_name(app: Application) -> str:
        assert app.permit is not None
        return f"parkausweis-{app.permit.number}.pdf"
