"""Mail through Amazon SES v2 (``sesv2.send_email``, simple content, UTF-8)."""

from __future__ import annotations

from typing import Any

from chalicelib.services.notifications import MailDeliveryError
from chalicelib.services.ports import MailMessage

__all__ = ["SesMailer"]


class SesMailer:
    def __init__(self, client: Any, sender: str, configuration_set: str | None = None) -> None:
        self._client = client
        self._sender = sender
        self._configuration_set = configuration_set

    def send(self, message: MailMessage) -> None:
        request: dict[str, Any] = {
            "FromEmailAddress": self._sender,
            "Destination": {"ToAddresses": [message.to]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"}},
                    "Headers": [{"Name": "X-Permit-Outbox-Id", "Value": message.message_id}],
                }
            },
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        try:
            self._client.send_email(**request)
        except self._client.exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "Unknown")
            raise MailDeliveryError(f"SES refused the message: {code}") from error
