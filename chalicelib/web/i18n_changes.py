"""The words of the change pages (plate change, move, staff supersede), German and English.

Kept apart from the shared catalogue so that the pages of one feature keep their texts
together; :mod:`chalicelib.web.i18n` merges them into the one catalogue ``translate`` reads.
"""

from __future__ import annotations

__all__ = ["CHANGE_TEXTS"]

CHANGE_TEXTS: dict[str, tuple[str, str]] = {
    "changes_title": ("Änderungen melden", "Report a change"),
    "changes_help": (
        "Neues Auto oder Umzug innerhalb der Stadt? Melden Sie es hier; Sie drucken den neuen"
        " Ausweis sofort aus.",
        "A new car or a move within the city? Report it here and print the new permit at once.",
    ),
    "change_plates": ("Kennzeichen ändern", "Change the plate"),
    "change_move": ("Umzug melden", "Report a move"),
    "change_plates_intro": (
        "Geben Sie das Kennzeichen Ihres neuen Fahrzeugs ein. Sie bekommen einen neuen Ausweis"
        " mit neuem QR-Code; der bisherige wird ungültig.",
        "Enter the plate of your new vehicle. You get a new permit with a new QR code; the old"
        " one stops being valid.",
    ),
    "change_move_intro": (
        "Geben Sie Ihre neue Adresse in der Stadt an. Wir prüfen, in welcher Zone sie liegt.",
        "Enter your new address in the city. We check which zone it lies in.",
    ),
    "change_fee_note": (
        "Ein neuer Ausweis kostet {fee}. Ihr bisheriger Ausweis gilt, bis Sie bezahlt haben.",
        "A new permit costs {fee}. Your current permit stays valid until you have paid.",
    ),
    "change_free_note": ("Die Änderung ist kostenlos.", "The change is free of charge."),
    "change_confirm_title": ("Änderung bestätigen", "Confirm the change"),
    "change_new_plates": ("Neue Kennzeichen", "New plates"),
    "change_new_address": ("Neue Adresse", "New address"),
    "change_old_invalid": (
        "Ihr bisheriger Ausweis wird sofort ungültig. Drucken Sie den neuen aus und legen Sie"
        " nur ihn ins Auto.",
        "Your current permit stops being valid at once. Print the new one and display only it.",
    ),
    "change_confirm_free": ("Ändern und neuen Ausweis ausstellen", "Change and issue new permit"),
    "change_confirm_pay": ("Ändern und bezahlen", "Change and pay"),
    "change_confirm_move": ("Umzug melden", "Report the move"),
    "change_correct": ("Angaben korrigieren", "Correct the details"),
    "move_same_zone": (
        "Die neue Adresse liegt in derselben Zone ({zone}). Ihr Ausweis bleibt gültig; wir"
        " speichern nur die neue Adresse.",
        "The new address lies in the same zone ({zone}). Your permit stays valid; we only"
        " store the new address.",
    ),
    "move_new_zone": (
        "Die neue Adresse liegt in Zone {zone} – {name}. Sie bekommen einen neuen Ausweis für"
        " diese Zone; der bisherige wird ungültig.",
        "The new address lies in zone {zone} – {name}. You get a new permit for this zone;"
        " the old one stops being valid.",
    ),
    "move_out": (
        "Die neue Adresse liegt in keiner Bewohnerparkzone. Mit dem Umzug endet Ihr Ausweis;"
        " die Gebühr wird nicht erstattet.",
        "The new address lies in no resident parking zone. With the move your permit ends;"
        " the fee is not refunded.",
    ),
    "move_confirm_end": (
        "Ich habe verstanden: mein Ausweis endet mit dem Umzug.",
        "I understand: my permit ends with the move.",
    ),
    "changed_panel": (
        "Ihr neuer Ausweis ist ausgestellt. Der bisherige ist ab sofort ungültig.",
        "Your new permit has been issued. The old one is no longer valid.",
    ),
    "moved_panel": ("Ihre neue Adresse ist gespeichert.", "Your new address has been saved."),
    "ended_panel": (
        "Ihr Ausweis ist beendet, weil die neue Adresse in keiner Zone liegt.",
        "Your permit has ended because the new address lies in no zone.",
    ),
    "pending_change_panel": (
        "Ihre Änderung wartet auf die Zahlung ({fee}). Bis dahin gilt Ihr bisheriger Ausweis.",
        "Your change is waiting for payment ({fee}). Until then your current permit is valid.",
    ),
    "pay_change": ("Änderung bezahlen", "Pay for the change"),
    # Staff: replace a permit (supersede).
    "supersede_title": ("Ausweis ersetzen", "Replace the permit"),
    "supersede_intro": (
        "Es wird ein neuer Ausweis mit neuer Nummer und neuem QR-Code ausgestellt; der"
        " bisherige gilt sofort als ersetzt. Die Person bekommt den neuen Link per E-Mail.",
        "A new permit with a new number and QR code is issued; the current one counts as"
        " superseded at once. The holder gets the new link by e-mail.",
    ),
    "supersede_current": ("Bisheriger Ausweis", "Current permit"),
    "supersede_plates": ("Neue Kennzeichen", "New plates"),
    "supersede_plates_hint": (
        "Mehrere durch Komma trennen, z. B. DN-AB 123, DN-XY 9",
        "Separate several with commas, e.g. DN-AB 123, DN-XY 9",
    ),
    "supersede_reason": ("Grund", "Reason"),
    "supersede_reason_hint": (
        "Wird im Verlauf mit Ihrem Namen gespeichert (3 bis 500 Zeichen).",
        "Stored in the audit trail with your name (3 to 500 characters).",
    ),
    "supersede_submit": ("Neuen Ausweis ausstellen", "Issue the new permit"),
    "office_flag_change_fee_refunded": (
        "Änderungsgebühr erstattet (der neue Ausweis bleibt gültig)",
        "Change fee refunded (the new permit stays valid)",
    ),
    "office_done_superseded": (
        "Neuer Ausweis ausgestellt; der bisherige gilt als ersetzt. Die Person bekommt den"
        " Link per E-Mail.",
        "New permit issued; the old one counts as superseded. The holder gets the link by e-mail.",
    ),
    "reason_required": (
        "Bitte einen Grund mit 3 bis 500 Zeichen angeben.",
        "Please give a reason of 3 to 500 characters.",
    ),
}
