"""The pages' own words in German and English, and which language a request gets.

German first. A visitor switches with ``?lang=en`` (or ``?lang=de``) on any page; the choice
is kept in a ``lang`` cookie. Without either, ``Accept-Language`` decides (q-values honoured
by :func:`chalicelib.domain.messages.pick_language`). Form texts come from the schemas; this
catalogue holds only what every page shares.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.messages import pick_language
from chalicelib.web.i18n_changes import CHANGE_TEXTS
from chalicelib.web.i18n_lifecycle import LIFECYCLE_TEXTS
from chalicelib.web.i18n_office import OFFICE_TEXTS

__all__ = ["LANGUAGES", "choose_language", "translate"]

LANGUAGES = ("de", "en")

_TEXTS: dict[str, tuple[str, str]] = {
    "skip": ("Zum Inhalt springen", "Skip to main content"),
    "service_name": ("Online-Dienste", "Online services"),
    "switch_to": ("English", "Deutsch"),
    "switch_label": ("Sprache: English", "Language: Deutsch"),
    "back": ("Zurück", "Back"),
    "continue": ("Weiter", "Continue"),
    "start_now": ("Jetzt starten", "Start now"),
    "save_later": ("Speichern und später fortsetzen", "Save and come back later"),
    "error_prefix": ("Fehler: ", "Error: "),
    "error_summary": ("Es gibt ein Problem", "There is a problem"),
    "error_label": ("Fehler:", "Error:"),
    "optional": ("(optional)", "(optional)"),
    "day": ("Tag", "Day"),
    "month": ("Monat", "Month"),
    "year": ("Jahr", "Year"),
    "date_hint": ("Zum Beispiel 17 3 1984", "For example 17 3 1984"),
    "select_choose": ("Bitte auswählen", "Please choose"),
    "add_another": ("Weiteren Eintrag hinzufügen", "Add another"),
    "remove": ("Entfernen", "Remove"),
    "entry": ("Eintrag", "Entry"),
    "step": ("Schritt {n} von {total}", "Step {n} of {total}"),
    "check_title": ("Prüfen Sie Ihre Angaben", "Check your answers"),
    "check_intro": (
        "Bitte prüfen Sie Ihre Angaben, bevor Sie den Antrag absenden.",
        "Please check your answers before you send the application.",
    ),
    "change": ("Ändern", "Change"),
    "yes_confirmed": ("Ja, bestätigt", "Yes, confirmed"),
    "not_answered": ("Keine Angabe", "Not answered"),
    "fee": ("Gebühr", "Fee"),
    "fee_free": ("Kostenlos", "Free of charge"),
    "fee_by": ("Die Gebühr richtet sich nach: {label}.", "The fee depends on: {label}."),
    "fee_flat": ("Feste Gebühr für diesen Dienst.", "A fixed fee for this service."),
    "fee_table": ("Gebührentabelle", "Fee table"),
    "your_choice": ("Ihre Wahl", "Your choice"),
    "submit_pay": ("Absenden und bezahlen", "Send and pay"),
    "submit_free": ("Antrag absenden", "Send application"),
    "submit_note": (
        "Mit dem Absenden bestätigen Sie, dass Ihre Angaben richtig sind. Danach geht es direkt"
        " zur Zahlung.",
        "By sending the application you confirm that your answers are correct. You then go"
        " straight to the payment.",
    ),
    "what_you_need": ("Das brauchen Sie", "What you need"),
    "need_email": ("eine E-Mail-Adresse", "an e-mail address"),
    "need_payment": (
        "eine Zahlungsmöglichkeit für die Gebühr",
        "a way to pay the fee",
    ),
    "need_fields": ("Angaben zu: {groups}", "Details about: {groups}"),
    "need_printer": ("einen Drucker für den Ausweis", "a printer for the permit"),
    "duration": ("Dauer: etwa 5 Minuten", "Time: about 5 minutes"),
    "services_title": ("Online-Dienste der Stadt", "The city's online services"),
    "services_intro": (
        "Beantragen, bezahlen und ausdrucken: ganz ohne Behördengang.",
        "Apply, pay and print at home: no visit to the office needed.",
    ),
    "from_fee": ("ab {amount}", "from {amount}"),
    "status_title": ("Ihr Antrag", "Your application"),
    "status_label": ("Status", "Status"),
    "status_SUBMITTED": ("Eingereicht – noch nicht bezahlt", "Submitted – not paid yet"),
    "status_AWAITING_PAYMENT": (
        "Zahlung noch nicht bestätigt",
        "Payment not confirmed yet",
    ),
    "status_ISSUED": ("Ausgestellt", "Issued"),
    "status_CANCELLED": ("Storniert", "Cancelled"),
    "status_REVOKED": ("Widerrufen", "Revoked"),
    "status_EXPIRED": ("Abgelaufen", "Expired"),
    "status_SUPERSEDED": ("Ersetzt", "Superseded"),
    "awaiting_help": (
        "Wenn Sie gerade bezahlt haben, bestätigt der Zahlungsanbieter das in wenigen Sekunden."
        " Haben Sie die Zahlung abgebrochen, können Sie sie hier fortsetzen: Sie zahlen"
        " höchstens einmal.",
        "If you have just paid, the payment provider confirms it within seconds. If you"
        " cancelled the payment, you can continue it here: you never pay twice.",
    ),
    "submitted_help": (
        "Ihr Antrag ist eingegangen. Der Ausweis wird nach der Zahlung sofort ausgestellt.",
        "We have your application. The permit is issued as soon as it is paid.",
    ),
    "pay_now": ("Jetzt bezahlen", "Pay now"),
    "refresh": ("Status aktualisieren", "Refresh status"),
    "issued_panel": ("Ihr Ausweis ist ausgestellt", "Your permit has been issued"),
    "permit_number": ("Ausweisnummer", "Permit number"),
    "zone": ("Zone", "Zone"),
    "plates": ("Kennzeichen", "Licence plates"),
    "valid": ("Gültig", "Valid"),
    "valid_range": ("{start} bis {end}", "{start} to {end}"),
    "download_pdf": ("PDF herunterladen", "Download PDF"),
    "print_hint": (
        "Drucken Sie den Ausweis aus und legen Sie ihn gut sichtbar hinter die Windschutzscheibe.",
        "Print the permit and place it visibly behind the windscreen.",
    ),
    "private_link": ("Ihr persönlicher Link", "Your private link"),
    "private_link_help": (
        "Mit diesem Link kommen Sie jederzeit und auf jedem Gerät zu Ihrem Antrag zurück und"
        " können den Ausweis erneut drucken. Speichern Sie ihn als Lesezeichen und geben Sie"
        " ihn nicht weiter. Wir haben ihn Ihnen auch per E-Mail geschickt.",
        "This link brings you back to your application on any device at any time, to print"
        " the permit again. Bookmark it and do not share it. We have also sent it to you by"
        " e-mail.",
    ),
    "private_link_in_mail": (
        "Ihren persönlichen Link zu diesem Antrag finden Sie in Ihrer Bestätigungs-E-Mail.",
        "Your private link to this application is in your confirmation e-mail.",
    ),
    "reference": ("Antragsnummer", "Application reference"),
    "confirmation_sent": (
        "Wir haben Ihnen eine Bestätigung per E-Mail geschickt.",
        "We have sent you a confirmation e-mail.",
    ),
    "no_access_title": ("Link öffnen", "Open your link"),
    "no_access_text": (
        "Diese Seite zeigt einen Antrag nur mit dem persönlichen Link aus Ihrer"
        " Bestätigungs-E-Mail. Bitte öffnen Sie diesen Link.",
        "This page shows an application only through the private link in your confirmation"
        " e-mail. Please open that link.",
    ),
    "not_found_title": ("Seite nicht gefunden", "Page not found"),
    "not_found_text": (
        "Bitte prüfen Sie die Adresse. Wenn Sie einen Link aus einer E-Mail geöffnet haben,"
        " ist er vielleicht abgelaufen.",
        "Please check the address. If you opened a link from an e-mail, it may have expired.",
    ),
    "expired_link_title": ("Link abgelaufen", "Link expired"),
    "expired_link_text": (
        "Dieser Download-Link ist abgelaufen. Öffnen Sie Ihren persönlichen Link aus der"
        " Bestätigungs-E-Mail, um den Ausweis erneut herunterzuladen.",
        "This download link has expired. Open the private link from your confirmation e-mail"
        " to download the permit again.",
    ),
    "error_title": ("Es ist ein Fehler aufgetreten", "Something went wrong"),
    "error_text": (
        "Bitte versuchen Sie es in einigen Minuten erneut. Ihre Angaben sind gespeichert.",
        "Please try again in a few minutes. Your answers are saved.",
    ),
    "staff_signin_title": ("Anmeldung erforderlich", "Sign-in required"),
    "staff_signin_text": (
        "Dieser Bereich ist den Mitarbeiterinnen und Mitarbeitern der Stadt vorbehalten."
        " Bitte melden Sie sich an.",
        "This area is for the city's staff. Please sign in.",
    ),
    "staff_forbidden_title": ("Keine Berechtigung", "Not allowed"),
    "staff_forbidden_text": (
        "Ihre Rolle erlaubt diese Aktion nicht. Wenden Sie sich an Ihre Administration.",
        "Your role does not allow this action. Please ask your administrator.",
    ),
    "staff_signin_again": ("Erneut anmelden", "Sign in again"),
    "staff_signin_unavailable_title": ("Anmeldung nicht verfügbar", "Sign-in not available"),
    "staff_signin_unavailable_text": (
        "Für diesen Dienst ist keine Anmeldung für Mitarbeiterinnen und Mitarbeiter"
        " eingerichtet. Bitte wenden Sie sich an Ihre Administration.",
        "Staff sign-in is not set up for this service. Please ask your administrator.",
    ),
    "staff_signin_failed_title": ("Anmeldung fehlgeschlagen", "Sign-in failed"),
    "staff_signin_failed_text": (
        "Die Anmeldung konnte nicht abgeschlossen werden, oder sie hat zu lange gedauert."
        " Bitte melden Sie sich erneut an.",
        "The sign-in could not be completed, or it took too long. Please sign in again.",
    ),
    "staff_no_role_title": ("Keine Rolle zugewiesen", "No role assigned"),
    "staff_no_role_text": (
        "Sie sind angemeldet, haben aber keine Rolle in diesem Dienst. Bitte bitten Sie Ihre"
        " Administration, Sie einer der Gruppen für Lesen, Bearbeiten oder Verwalten"
        " zuzuordnen.",
        "You are signed in but have no role in this service. Please ask your administrator"
        " to add you to one of the groups for viewing, processing or administering.",
    ),
    "staff_signed_out_title": ("Abgemeldet", "Signed out"),
    "staff_signed_out_text": (
        "Sie sind vom Mitarbeiterbereich abgemeldet. Schließen Sie den Browser, wenn Sie an"
        " einem gemeinsam genutzten Gerät arbeiten.",
        "You have signed out of the staff area. Close the browser if you share this device.",
    ),
    "staff_nav_label": ("Mitarbeiterbereich", "Staff area"),
    "staff_signed_in_as": ("Angemeldet mit der Rolle", "Signed in with the role"),
    "staff_role_viewer": ("Lesen", "Viewer"),
    "staff_role_clerk": ("Sachbearbeitung", "Clerk"),
    "staff_role_admin": ("Verwaltung", "Administrator"),
    "staff_sign_out": ("Abmelden", "Sign out"),
    "csrf_title": ("Sitzung abgelaufen", "Session expired"),
    "csrf_text": (
        "Aus Sicherheitsgründen konnten wir das Formular nicht annehmen. Bitte laden Sie die"
        " Seite neu und senden Sie es noch einmal.",
        "For your security we could not accept the form. Please reload the page and send it again.",
    ),
    "save_title": ("Speichern und später fortsetzen", "Save and come back later"),
    "save_intro": (
        "Wir schicken Ihnen einen Link, mit dem Sie auf jedem Gerät weitermachen können. Ihre"
        " Angaben bleiben 30 Tage gespeichert.",
        "We will send you a link to continue on any device. Your answers are kept for 30 days.",
    ),
    "save_email": ("E-Mail-Adresse", "E-mail address"),
    "save_send": ("Link senden", "Send link"),
    "save_email_required": (
        "Bitte geben Sie Ihre E-Mail-Adresse ein.",
        "Please enter your e-mail address.",
    ),
    "saved_title": ("Ihre Angaben sind gespeichert", "Your answers are saved"),
    "saved_text": (
        "Wir haben einen Link an {email} geschickt. Er ist bis {until} gültig.",
        "We have sent a link to {email}. It works until {until}.",
    ),
    "resume_title": ("Antrag fortsetzen", "Continue your application"),
    "resume_text": (
        "Mit diesem Link setzen Sie Ihren gespeicherten Antrag in diesem Browser fort.",
        "This link continues your saved application in this browser.",
    ),
    "resume_button": ("Antrag fortsetzen", "Continue application"),
    "draft_missing_title": ("Kein gespeicherter Antrag", "No saved application"),
    "draft_missing_text": (
        "Der Link ist abgelaufen oder der Antrag wurde schon abgeschickt.",
        "The link has expired or the application was already sent.",
    ),
    "start_again": ("Neu beginnen", "Start again"),
    "footer_imprint": ("Impressum", "Legal notice"),
    "footer_privacy": ("Datenschutz", "Privacy"),
    "footer_accessibility": ("Barrierefreiheit", "Accessibility"),
    "footer_services": ("Alle Dienste", "All services"),
    "imprint_title": ("Impressum", "Legal notice (Impressum)"),
    "privacy_title": ("Datenschutzerklärung", "Privacy notice"),
    "accessibility_title": ("Erklärung zur Barrierefreiheit", "Accessibility statement"),
    "feedback_title": ("Feedback und Kontakt", "Feedback and contact"),
    "enforcement_title": ("Schlichtungsverfahren", "Enforcement procedure"),
    "mailbox_title": ("Lokales Postfach (nur Entwicklung)", "Local mailbox (development only)"),
    "mailbox_empty": ("Noch keine Nachrichten.", "No messages yet."),
    "js_status": ("Diese Seite aktualisiert sich selbst.", "This page refreshes itself."),
    "to": ("An", "To"),
    "only_if": (
        "Nur nötig, wenn Sie bei „{question}“ „{answer}“ gewählt haben.",
        "Only needed if you chose “{answer}” for “{question}”.",
    ),
    "only_if_not": (
        "Nur nötig, wenn Sie bei „{question}“ nicht „{answer}“ gewählt haben.",
        "Only needed if you did not choose “{answer}” for “{question}”.",
    ),
    "subject": ("Betreff", "Subject"),
}

_TEXTS.update(OFFICE_TEXTS)  # the staff back office's words (``i18n_office.py``)
_TEXTS.update(CHANGE_TEXTS)
_TEXTS.update(LIFECYCLE_TEXTS)


def translate(key: str, lang: str, **params: object) -> str:
    german, english = _TEXTS.get(key, (key, key))
    text = english if lang == "en" else german
    return text.format(**params) if params else text


def choose_language(
    query: Mapping[str, str] | None, cookie: str | None, accept_language: str | None
) -> tuple[str, bool]:
    """The page language and whether the ``lang`` cookie must be (re)set to it."""
    asked = (query or {}).get("lang")
    if asked in LANGUAGES:
        return str(asked), asked != cookie
    if cookie in LANGUAGES:
        return str(cookie), False
    return pick_language(accept_language), False
