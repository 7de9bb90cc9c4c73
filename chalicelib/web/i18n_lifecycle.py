"""The words of the permit's later life (renewal, expiry, data export, erasure), de/en.

Kept apart from the shared catalogue like the change pages' texts; :mod:`chalicelib.web.i18n`
merges them into the one catalogue ``translate`` reads.
"""

from __future__ import annotations

__all__ = ["LIFECYCLE_TEXTS"]

LIFECYCLE_TEXTS: dict[str, tuple[str, str]] = {
    "renewal_title": ("Verlängern", "Renew"),
    "renewal_open": (
        "Ihr Ausweis gilt bis {end}. Verlängern Sie ihn jetzt: der neue Ausweis gilt ab {start},"
        " ohne Lücke. Ihre bisherigen Angaben sind schon eingetragen; Sie bestätigen oder"
        " ändern sie und geben Adresse und Erklärungen neu an.",
        "Your permit is valid until {end}. Renew it now: the new permit starts on {start}, with"
        " no gap. Your previous answers are filled in; you confirm or change them and give your"
        " address and the declarations again.",
    ),
    "renewal_later": (
        "Ihr Ausweis gilt bis {end}. Ab {opens} können Sie ihn hier verlängern; wir erinnern"
        " Sie per E-Mail.",
        "Your permit is valid until {end}. From {opens} you can renew it here; we will remind"
        " you by e-mail.",
    ),
    "renewal_started": (
        "Eine Verlängerung ist begonnen. Den persönlichen Link dazu haben wir Ihnen per E-Mail"
        " geschickt.",
        "A renewal has been started. We have sent you its private link by e-mail.",
    ),
    "renewal_button": ("Verlängern", "Renew"),
    "renewal_back": ("Zurück zu Ihrem Antrag", "Back to your application"),
    "renewal_refused_title": ("Verlängerung nicht möglich", "Renewal not possible"),
    "renewal_refused_text": (
        "Dieser Ausweis kann jetzt nicht verlängert werden: die Frist ist vorbei oder eine"
        " Verlängerung ist schon begonnen.",
        "This permit cannot be renewed now: the period has passed or a renewal has already"
        " been started.",
    ),
    "renewal_of_note": (
        "Verlängerung: der neue Ausweis beginnt am Tag nach dem Ende des bisherigen.",
        "Renewal: the new permit starts the day after the old one ends.",
    ),
    "expired_panel": (
        "Dieser Ausweis ist am {end} abgelaufen. Für einen neuen stellen Sie bitte einen neuen"
        " Antrag.",
        "This permit ended on {end}. For a new one, please apply again.",
    ),
    "apply_again": ("Neuen Antrag stellen", "Apply again"),
    "data_title": ("Ihre Daten", "Your data"),
    "data_help": (
        "Laden Sie alles herunter, was wir zu diesem Antrag gespeichert haben (JSON-Datei)."
        " Persönliche Angaben löschen wir {months} Monate nach dem Ende des Ausweises.",
        "Download everything we store about this application (a JSON file). We delete the"
        " personal details {months} months after the permit ends.",
    ),
    "data_download": ("Daten herunterladen", "Download your data"),
    "anonymised_panel": (
        "Die persönlichen Angaben zu diesem Antrag sind gelöscht.",
        "The personal details of this application have been deleted.",
    ),
    "erasure_title": ("Personenbezogene Daten löschen", "Erase personal data"),
    "erasure_intro": (
        "Name, Adresse, E-Mail und alle übrigen Angaben werden sofort entfernt. Ausweisnummer,"
        " Kennzeichen, Gültigkeit, Zahlung und Protokoll bleiben.",
        "Name, address, e-mail and every other answer are removed at once. Permit number,"
        " plates, validity, payment and the audit trail stay.",
    ),
    "erasure_reason": ("Grund (z. B. Antrag nach Art. 17 DSGVO)", "Reason (e.g. Art. 17 GDPR)"),
    "erasure_reason_hint": ("3 bis 500 Zeichen", "3 to 500 characters"),
    "erasure_submit": ("Jetzt löschen", "Erase now"),
    "erasure_done": ("Die Daten sind gelöscht.", "The data has been erased."),
    "erasure_hold": (
        "Löschen ist jetzt nicht möglich: {reason}.",
        "Erasure is not possible now: {reason}.",
    ),
    "hold_payment_flag": (
        "eine Zahlungsfrage ist noch offen",
        "a payment question is still open",
    ),
    "hold_payment_open": ("eine Zahlung kann noch eingehen", "a payment may still arrive"),
    "hold_change_open": ("eine Änderung wartet auf ihre Zahlung", "a change awaits its payment"),
    "hold_permit_valid": ("der Ausweis ist noch gültig", "the permit is still valid"),
}
