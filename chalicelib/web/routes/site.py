"""The site around the forms: the list of services, legal pages, assets, the local mailbox."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.domain.errors import NotFoundError
from chalicelib.web.context import guarded
from chalicelib.web.pagekit import PageKit, page_errors

__all__ = ["bp"]

bp = Blueprint(__name__)

_CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".woff2": "font/woff2",
    ".md": "text/markdown; charset=utf-8",
}


@bp.route("/", methods=["GET"])
@page_errors
def services() -> Response:
    from chalicelib.domain.dates import berlin_today
    from chalicelib.web.questions.model import form_model
    from chalicelib.web.questions.views import fee_summary, needs

    kit = PageKit()
    today = berlin_today(kit.c.clock.now())
    listed = []
    for form in kit.c.registry.load_all().values():
        model = form_model(form)
        listed.append(
            {
                "href": f"/forms/{form.id}",
                "title": kit.text(form.title),
                "description": kit.text(form.description),
                "fee": fee_summary(form, kit.lang, today),
                "needs": needs(form, model, kit.lang, today),
            }
        )
    return kit.render("pages/services.html", services=listed, noindex=False)


def _legal(kit: PageKit, name: str) -> Response:
    page: dict[str, Any] = kit.site["legal"][name]
    sections = []
    for section in page["sections"]:
        sections.append(
            {
                "heading": kit.text(section.get("heading")),
                "paragraphs": [kit.text(p) for p in section.get("paragraphs", [])],
                "contact": section.get("contact", []),
                "email": section.get("email"),
            }
        )
    return kit.render(
        "pages/legal.html", title=kit.t(f"{name}_title"), sections=sections, noindex=False
    )


@bp.route("/impressum", methods=["GET"])
@page_errors
def imprint() -> Response:
    return _legal(PageKit(), "imprint")


@bp.route("/datenschutz", methods=["GET"])
@page_errors
def privacy() -> Response:
    return _legal(PageKit(), "privacy")


@bp.route("/barrierefreiheit", methods=["GET"])
@page_errors
def accessibility() -> Response:
    return _legal(PageKit(), "accessibility")


@bp.route("/assets/{name}", methods=["GET"])
@guarded
def asset(name: str) -> Response:
    """A built asset by its content-hashed name: the same name is the same bytes forever."""
    from chalicelib.web.rendering import ASSETS_DIR, IMMUTABLE, asset_manifest

    if name not in set(asset_manifest().values()) and name != "KERN-LICENSE.md":
        raise NotFoundError("no such asset")  # a problem+json 404, never cached
    suffix = name[name.rfind(".") :]
    data = (ASSETS_DIR / name).read_bytes()
    body: bytes | str = data if suffix == ".woff2" else data.decode("utf-8")
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": _CONTENT_TYPES.get(suffix, "application/octet-stream"),
            "Cache-Control": IMMUTABLE if name != "KERN-LICENSE.md" else "public, max-age=86400",
            "X-Content-Type-Options": "nosniff",
        },
    )


@bp.route("/local/mail", methods=["GET"])
@page_errors
def local_mailbox() -> Response:
    """Every mail the local run sent (``.local/mail/``); refused outside local and test."""
    from email import policy
    from email.parser import BytesParser

    kit = PageKit()
    settings = kit.c.settings
    if not settings.is_test_stage:
        raise NotFoundError("not in this stage")
    messages = []
    folder = settings.local_mail_dir
    files = sorted(folder.glob("*.eml"), reverse=True)[:50] if folder.is_dir() else []
    for path in files:
        parsed = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        body = parsed.get_body(preferencelist=("plain",))
        messages.append(
            {
                "subject": str(parsed["Subject"] or ""),
                "to": str(parsed["To"] or ""),
                "date": str(parsed["Date"] or ""),
                "body": body.get_content() if body is not None else "",
            }
        )
    return kit.render("pages/mailbox.html", messages=messages)
