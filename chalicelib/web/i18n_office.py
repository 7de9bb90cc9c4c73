"""The staff back office's words (queue, search, detail, actions, exports), German first.

Kept beside the shared catalogue (``i18n.py`` merges it) so the back office's many texts
stay in one place of their own.
"""

from __future__ import annotations

__all__ = ["OFFICE_TEXTS"]

OFFICE_TEXTS: dict[str, tuple[str, str]] = {
    "office_queue_title": ("Arbeitsliste", "Work queue"),
    "office_queue_intro": (
        "Zuerst markierte Anträge, dann Anträge, die auf die Zahlung warten, dann neue Anträge,"
        " zuletzt kürzlich ausgestellte Ausweise.",
        "Flagged applications first, then those awaiting payment, then new applications, then"
        " recently issued permits.",
    ),
    "office_window": (
        "Zeitraum: {days} Tage bis einschließlich {last_day}.",
        "Period: {days} days up to and including {last_day}.",
    ),
    "office_filters": ("Filter", "Filters"),
    "office_filter_status": ("Liste", "Queue"),
    "office_filter_day": ("Tag (JJJJ-MM-TT)", "Day (YYYY-MM-DD)"),
    "office_filter_day_hint": (
        "Leer lassen für die letzten 14 Tage.",
        "Leave empty for the last 14 days.",
    ),
    "office_filter_form": ("Formular", "Form"),
    "office_filter_apply": ("Filter anwenden", "Apply filters"),
    "office_all": ("Alle", "All"),
    "office_next_page": ("Nächste Seite", "Next page"),
    "office_first_page": ("Zur ersten Seite", "Back to the first page"),
    "office_empty": ("Keine Anträge gefunden.", "No applications found."),
    "office_queue_FLAGGED": ("Markiert", "Flagged"),
    "office_queue_AWAITING_PAYMENT": ("Wartet auf Zahlung", "Awaiting payment"),
    "office_queue_SUBMITTED": ("Eingereicht", "Submitted"),
    "office_queue_ISSUED": ("Kürzlich ausgestellt", "Recently issued"),
    "office_col_queue": ("Liste", "Queue"),
    "office_col_status": ("Status", "Status"),
    "office_col_form": ("Formular", "Form"),
    "office_col_created": ("Eingegangen", "Received"),
    "office_col_number": ("Ausweisnummer", "Permit number"),
    "office_col_reference": ("Kassenzeichen", "Payment reference"),
    "office_col_flags": ("Markierungen", "Flags"),
    "office_col_application": ("Antrag", "Application"),
    "office_open": ("Öffnen", "Open"),
    "office_links": ("Weitere Bereiche", "Other areas"),
    "office_search_title": ("Suche", "Search"),
    "office_search_label": ("Suchbegriff", "Search term"),
    "office_search_hint": (
        "Ausweisnummer, Kennzeichen, Antragsnummer, Kassenzeichen oder E-Mail-Adresse.",
        "Permit number, licence plate, application id, payment reference or e-mail address.",
    ),
    "office_search_button": ("Suchen", "Search"),
    "office_search_results": ("Ergebnisse für „{q}“", "Results for “{q}”"),
    "office_search_kind": ("Gesucht als: {kind}", "Searched as: {kind}"),
    "office_kind_permit_number": ("Ausweisnummer", "permit number"),
    "office_kind_plate": ("Kennzeichen", "licence plate"),
    "office_kind_application_id": ("Antragsnummer", "application id"),
    "office_kind_payment_reference": ("Kassenzeichen", "payment reference"),
    "office_kind_email": ("E-Mail-Adresse", "e-mail address"),
    "office_kind_unknown": (
        "nicht erkannt – bitte Schreibweise prüfen",
        "not recognised – please check the spelling",
    ),
    "office_did_you_mean": ("Meinten Sie:", "Did you mean:"),
    "office_exports_title": ("Export für die Kasse", "Export for finance"),
    "office_exports_intro": (
        "Alle Zahlungen, Erstattungen und ausgestellten Ausweise eines Zeitraums (höchstens"
        " 31 Tage), mit Summen je Tag und Formular.",
        "All payments, refunds and issued permits of a period (at most 31 days), with totals"
        " per day and form.",
    ),
    "office_export_from": ("Von (JJJJ-MM-TT)", "From (YYYY-MM-DD)"),
    "office_export_to": ("Bis einschließlich (JJJJ-MM-TT)", "To, inclusive (YYYY-MM-DD)"),
    "office_export_format": ("Format", "Format"),
    "office_export_csv": ("CSV für Tabellenkalkulation", "CSV for spreadsheets"),
    "office_export_json": ("JSON", "JSON"),
    "office_export_download": ("Herunterladen", "Download"),
    "office_detail_title": ("Antrag", "Application"),
    "office_detail_logged": (
        "Ihr Zugriff auf diese Angaben wurde protokolliert.",
        "Your access to these details has been logged.",
    ),
    "office_overview": ("Überblick", "Overview"),
    "office_fee": ("Gebühr", "Fee"),
    "office_payment_id": ("Zahlungs-ID", "Payment id"),
    "office_provider": ("Zahlungsanbieter", "Payment provider"),
    "office_refunded": ("Erstattet", "Refunded"),
    "office_permit": ("Ausweis", "Permit"),
    "office_permit_status": ("Status des Ausweises", "Permit status"),
    "office_zone": ("Zone", "Zone"),
    "office_plates": ("Kennzeichen", "Licence plates"),
    "office_validity": ("Gültig", "Valid"),
    "office_answers": (
        "Angaben der Antragstellerin oder des Antragstellers",
        "The applicant's answers",
    ),
    "office_audit": ("Verlauf", "History"),
    "office_col_when": ("Zeitpunkt", "When"),
    "office_col_event": ("Ereignis", "Event"),
    "office_col_change": ("Statuswechsel", "Status change"),
    "office_col_actor": ("Durch", "By"),
    "office_col_detail": ("Einzelheiten", "Details"),
    "office_actions": ("Aktionen", "Actions"),
    "office_none": ("–", "–"),
    "office_reason": ("Begründung", "Reason"),
    "office_reason_hint": (
        "Pflichtangabe, 3 bis 500 Zeichen. Sie steht im Verlauf des Antrags.",
        "Required, 3 to 500 characters. It is kept in the application's history.",
    ),
    "office_revoke_title": ("Ausweis widerrufen", "Revoke the permit"),
    "office_revoke_intro": (
        "Der Ausweis wird sofort ungültig; die Kontrolle sieht ihn als widerrufen.",
        "The permit becomes invalid at once; enforcement sees it as revoked.",
    ),
    "office_revoke_button": ("Widerrufen", "Revoke"),
    "office_cancel_title": ("Antrag stornieren", "Cancel the application"),
    "office_cancel_intro": (
        "Nur für noch nicht bezahlte Anträge. Eine später eingehende Zahlung wird zur Erstattung"
        " markiert.",
        "For unpaid applications only. A payment that arrives later is flagged for a refund.",
    ),
    "office_cancel_button": ("Stornieren", "Cancel application"),
    "office_resolve_title": ("Markierung erledigen", "Resolve a flag"),
    "office_resolve_intro": (
        "Die Markierung „{flag}“ wird entfernt; der Status des Antrags bleibt.",
        "The flag “{flag}” is removed; the application's status stays.",
    ),
    "office_resolve_button": ("Als erledigt markieren", "Mark as resolved"),
    "office_done_revoked": ("Der Ausweis wurde widerrufen.", "The permit has been revoked."),
    "office_done_cancelled": ("Der Antrag wurde storniert.", "The application has been cancelled."),
    "office_done_resolved": ("Die Markierung wurde entfernt.", "The flag has been removed."),
    "office_conflict": (
        "Diese Aktion ist im aktuellen Zustand des Antrags nicht möglich, oder der Antrag wurde"
        " inzwischen geändert. Bitte laden Sie ihn neu.",
        "This action is not possible in the application's current state, or it was changed"
        " meanwhile. Please reload it.",
    ),
    "office_back_to_application": ("Zurück zum Antrag", "Back to the application"),
    "office_back_to_queue": ("Zur Arbeitsliste", "To the work queue"),
    "office_flag_amount_mismatch": ("Betrag stimmt nicht", "Amount does not match"),
    "office_flag_second_payment": ("Doppelt bezahlt", "Paid twice"),
    "office_flag_payment_after_cancellation": (
        "Zahlung nach Stornierung",
        "Payment after cancellation",
    ),
    "office_flag_payment_after_revocation": ("Zahlung nach Widerruf", "Payment after revocation"),
    "office_flag_payment_after_refund": ("Zahlung nach Erstattung", "Payment after refund"),
    "office_flag_refund_before_payment": ("Erstattung vor Zahlung", "Refund before payment"),
    "office_flag_partial_refund": ("Teilerstattung", "Partial refund"),
    "office_flag_issuance_failed": ("Ausstellung fehlgeschlagen", "Issuance failed"),
    "office_flag_change_fee_refunded": ("Änderungsgebühr erstattet", "Change fee refunded"),
}
