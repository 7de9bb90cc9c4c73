"""The citizen's mails: which one a state change causes, and what each says (de/en).

Writing side: :func:`submitted_mail`, :func:`issued_mail` and :func:`resume_mail` build the
outbox message that goes into the state change's own transaction. Sending side:
:class:`Notifier` claims a message, composes it, sends it through the mail port and marks
it sent, each step conditional, so a handler that is retried sends each mail once.

The mails hold what the citizen needs and nothing more: the service's name, a reference,
the link. No name, no address, no plate.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from chalicelib.domain.dates import berlin_today, format_de
from chalicelib.domain.payment_reference import payment_reference
from chalicelib.domain.records import OutboxMessage
from chalicelib.services.links import PDF_LINK_FROM_MAIL, CitizenLinks
from chalicelib.services.ports import Clock, Mailer, MailMessage, OutboxStore

if TYPE_CHECKING:
    from chalicelib.services.form_registry import FormRegistry

__all__ = [
    "MailDeliveryError",
    "Notifier",
    "issued_mail",
    "reissued_mail",
    "reminder_mail",
    "resume_mail",
    "submitted_mail",
]

log = logging.getLogger("permit_service.mail")
OUTBOX_RETENTION = timedelta(days=14)  # unsent messages older than this are dropped by TTL
SENT_RETENTION = timedelta(days=7)  # a sent marker outlives every retry of its stream record
LEASE_SECONDS = 120
RENEWAL_LINK_GRACE = timedelta(days=30)  # the reminder's link works this long past the end


class MailDeliveryError(Exception):
    """The mail server refused the message or could not be reached; the send is retried."""


def _message(kind: str, to: str, lang: str, params: dict[str, str], now: datetime) -> OutboxMessage:
    return OutboxMessage(
        id=secrets.token_hex(16),
        kind=kind,
        to=to,
        lang=lang if lang in ("de", "en") else "de",
        params=params,
        created_at=now,
        expires_at=int((now + OUTBOX_RETENTION).timestamp()),
    )


def submitted_mail(
    to: str, lang: str, form_id: str, application_id: str, token_seed: str, now: datetime
) -> OutboxMessage:
    params = {"form_id": form_id, "application_id": application_id, "token_seed": token_seed}
    return _message("submitted", to, lang, params, now)


def issued_mail(
    to: str, lang: str, form_id: str, application_id: str, now: datetime
) -> OutboxMessage:
    return _message("issued", to, lang, {"form_id": form_id, "application_id": application_id}, now)


def reissued_mail(
    to: str, lang: str, form_id: str, application_id: str, now: datetime
) -> OutboxMessage:
    """After a change (new plate, new zone): the new permit replaces the old one."""
    params = {"form_id": form_id, "application_id": application_id}
    return _message("reissued", to, lang, params, now)


def reminder_mail(
    to: str,
    lang: str,
    form_id: str,
    application_id: str,
    *,
    days: int,
    valid_to: date,
    renew_from: date,
    now: datetime,
) -> OutboxMessage:
    """Before the end (``days`` before the last valid day): the permit ends, renew here.

    The link is signed when the mail is composed (the job that writes this holds no secret):
    it opens the application's page on this browser, where "Verlängern" is offered.
    """
    params = {
        "form_id": form_id,
        "application_id": application_id,
        "days": str(days),
        "valid_to": valid_to.isoformat(),
        "renew_from": renew_from.isoformat(),
    }
    return _message("reminder", to, lang, params, now)


def resume_mail(
    to: str, lang: str, form_id: str, draft_id: str, nonce: str, until: str, now: datetime
) -> OutboxMessage:
    params = {"form_id": form_id, "draft_id": draft_id, "nonce": nonce, "until": until}
    return _message("resume", to, lang, params, now)


_SUBJECTS = {
    "submitted": ("Ihr Antrag: {title}", "Your application: {title}"),
    "issued": ("Ihr Ausweis ist ausgestellt: {title}", "Your permit has been issued: {title}"),
    "resume": ("Ihr gespeicherter Antrag: {title}", "Your saved application: {title}"),
    "reminder": (
        "Ihr Ausweis läuft am {end} ab: {title}",
        "Your permit ends on {end}: {title}",
    ),
    "reissued": (
        "Ihr neuer Ausweis ist ausgestellt: {title}",
        "Your new permit has been issued: {title}",
    ),
}
_BODIES = {
    "submitted": (
        "Guten Tag,\n\nwir haben Ihren Antrag „{title}“ erhalten (Antragsnummer {reference}).\n\n"
        "Kassenzeichen (für Rückfragen zur Zahlung): {payment_reference}\n\n"
        "Mit Ihrem persönlichen Link sehen Sie jederzeit den Stand, bezahlen die Gebühr und"
        " drucken den Ausweis (auch später erneut):\n\n{link}\n\n"
        "Bitte geben Sie diesen Link nicht weiter.\n\nFreundliche Grüße\n{authority}\n",
        "Hello,\n\nwe have received your application “{title}” (reference {reference}).\n\n"
        "Payment reference (Kassenzeichen, for questions about the payment):"
        " {payment_reference}\n\n"
        "Your private link shows its status at any time, lets you pay the fee and print the"
        " permit (again later too):\n\n{link}\n\nPlease do not share this link.\n\n"
        "Kind regards\n{authority}\n",
    ),
    "issued": (
        "Guten Tag,\n\nIhr Ausweis „{title}“ ist ausgestellt (Antragsnummer {reference}).\n\n"
        "Kassenzeichen Ihrer Zahlung: {payment_reference}\n\n"
        "Ausweis herunterladen (PDF, dieser Link ist bis {until} gültig):\n\n{link}\n\n"
        "Danach öffnen Sie den Ausweis jederzeit über den persönlichen Link aus Ihrer"
        " ersten E-Mail.\n\nFreundliche Grüße\n{authority}\n",
        "Hello,\n\nyour permit “{title}” has been issued (reference {reference}).\n\n"
        "Payment reference (Kassenzeichen): {payment_reference}\n\n"
        "Download the permit (PDF; this link works until {until}):\n\n{link}\n\n"
        "After that, open the permit at any time with the private link from your first"
        " e-mail.\n\nKind regards\n{authority}\n",
    ),
    "reissued": (
        "Guten Tag,\n\nIhr Ausweis „{title}“ wurde geändert und neu ausgestellt"
        " (Antragsnummer {reference}). Der bisherige Ausdruck ist ab sofort ungültig;"
        " bitte legen Sie nur noch den neuen aus.\n\n"
        "Neuen Ausweis herunterladen (PDF, dieser Link ist bis {until} gültig):\n\n{link}\n\n"
        "Danach öffnen Sie den Ausweis jederzeit über den persönlichen Link aus Ihrer"
        " ersten E-Mail.\n\nFreundliche Grüße\n{authority}\n",
        "Hello,\n\nyour permit “{title}” was changed and issued anew (reference"
        " {reference}). The old printout is no longer valid; please display only the new"
        " one.\n\nDownload the new permit (PDF; this link works until {until}):\n\n{link}\n\n"
        "After that, open the permit at any time with the private link from your first"
        " e-mail.\n\nKind regards\n{authority}\n",
    ),
    "reminder": (
        "Guten Tag,\n\nIhr Ausweis „{title}“ (Antragsnummer {reference}) ist noch bis"
        " einschließlich {end} gültig.\n\n{renew}\n\n{link}\n\n"
        "Die Angaben Ihres letzten Antrags sind schon eingetragen; Sie bestätigen oder ändern"
        " sie, geben Adresse und Erklärungen neu an und bezahlen wie gewohnt. Der neue Ausweis"
        " gilt ab dem Tag nach dem Ende des alten.\n\nFreundliche Grüße\n{authority}\n",
        "Hello,\n\nyour permit “{title}” (reference {reference}) is valid up to and including"
        " {end}.\n\n{renew}\n\n{link}\n\n"
        "The answers of your last application are filled in already; you confirm or change"
        " them, give your address and the declarations again and pay as usual. The new permit"
        " starts the day after the old one ends.\n\nKind regards\n{authority}\n",
    ),
    "resume": (
        "Guten Tag,\n\nSie haben Ihren Antrag „{title}“ gespeichert. Mit diesem Link machen"
        " Sie auf jedem Gerät weiter (gültig bis {until}):\n\n{link}\n\n"
        "Wenn Sie das nicht waren, können Sie diese E-Mail ignorieren.\n\n"
        "Freundliche Grüße\n{authority}\n",
        "Hello,\n\nyou saved your application “{title}”. This link lets you continue on any"
        " device (until {until}):\n\n{link}\n\nIf this was not you, you can ignore this"
        " e-mail.\n\nKind regards\n{authority}\n",
    ),
}


class Notifier:
    """Sends outbox messages: claim, compose, send, mark sent."""

    def __init__(
        self,
        store: OutboxStore,
        mailer: Mailer,
        registry: FormRegistry,
        links: CitizenLinks,
        clock: Clock,
        authority: str,
    ) -> None:
        self._store = store
        self._mailer = mailer
        self._registry = registry
        self._links = links
        self._clock = clock
        self._authority = authority

    def deliver(self, message_id: str) -> bool:
        """Send one message if nobody has; True if this call sent it.

        Raises MailDeliveryError (after putting the message back) so the caller retries.
        """
        now = self._clock.now()
        claimed = self._store.claim_outbox(message_id, int(now.timestamp()), LEASE_SECONDS)
        if claimed is None:
            return False  # sent already, or being sent by another delivery of the record
        try:
            self._mailer.send(self.compose(claimed, now))
        except MailDeliveryError:
            self._store.finish_outbox(message_id, sent=False, expires_at=claimed.expires_at)
            raise
        self._store.finish_outbox(
            message_id, sent=True, expires_at=int((now + SENT_RETENTION).timestamp())
        )
        log.info("mail %s (%s) sent", message_id, claimed.kind)
        return True

    def compose(self, message: OutboxMessage, now: datetime) -> MailMessage:
        english = message.lang == "en"
        params = message.params
        form = self._registry.get(params.get("form_id", ""))
        title = (form.title["en" if english else "de"]) if form is not None else ""
        values = {"title": title, "authority": self._authority, "reference": ""}
        if message.kind == "submitted":
            app_id = params["application_id"]
            token = self._links.access_token(params["form_id"], params["token_seed"], app_id)
            values.update(
                reference=app_id[:8].upper(),
                link=self._links.private_link(app_id, token),
                payment_reference=payment_reference(app_id),
            )
        elif message.kind in ("issued", "reissued"):
            app_id = params["application_id"]
            expires = now + timedelta(seconds=PDF_LINK_FROM_MAIL)
            values.update(
                reference=app_id[:8].upper(),
                link=self._links.pdf_link(app_id, int(expires.timestamp())),
                until=_date(expires, english),
                payment_reference=payment_reference(app_id),
            )
        elif message.kind == "reminder":
            app_id = params["application_id"]
            end = date.fromisoformat(params["valid_to"])
            renew_from = date.fromisoformat(params["renew_from"])
            open_now = renew_from <= berlin_today(now)
            # the link outlives the permit by a little: a renewal right after the end works
            expires = datetime.combine(end + RENEWAL_LINK_GRACE, time(), tzinfo=UTC)
            if english:
                renew = "Renew it now:" if open_now else f"Renew it from {renew_from.isoformat()}:"
            else:
                renew = (
                    "Verlängern Sie ihn jetzt:"
                    if open_now
                    else f"Ab {format_de(renew_from)} können Sie ihn verlängern:"
                )
            values.update(
                reference=app_id[:8].upper(),
                end=end.isoformat() if english else format_de(end),
                renew=renew,
                link=self._links.renewal_link(app_id, int(expires.timestamp())),
            )
        elif message.kind == "resume":
            link = self._links.resume_link(params["form_id"], params["draft_id"], params["nonce"])
            values.update(link=link, until=params.get("until", ""))
        else:
            raise ValueError(f"unknown mail kind {message.kind!r}")
        subject = _SUBJECTS[message.kind][1 if english else 0].format(**values)
        text = _BODIES[message.kind][1 if english else 0].format(**values)
        return MailMessage(to=message.to, subject=subject, text=text, message_id=message.id)


def _date(moment: datetime, english: bool) -> str:
    from chalicelib.domain.dates import berlin_today

    day = berlin_today(moment)
    return day.isoformat() if english else day.strftime("%d.%m.%Y")
