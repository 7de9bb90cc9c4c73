"""Structured logs: one JSON object per line on stdout, with the request's id, never personal data.

Why the standard library and not aws-lambda-powertools' Logger: measured with
``python -X importtime`` and a timed import after Chalice, Powertools' ``Logger`` adds about
82-84 ms to a cold start on top of ``logging`` and ``json`` (which Chalice already loads);
this module and the request middleware add about 6 ms. The Logger's extra features
(sampling, Lambda context decorators) are not needed.

What every line carries: ``timestamp`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
the request's context (``request_id``: API Gateway's request id, or one generated where
there is none, as under ``chalice local``; ``lambda_request_id``; ``application_id`` once
known), and the ``extra=`` fields of the call (scalars only).

How personal data stays out, in three layers:

1. By construction: no log call passes a request body, a header other than a webhook id,
   a query string or form data. Routes are logged by their template
   (``/api/applications/{application_id}``), never by the raw path or query.
2. Tracebacks (every 5xx logs one) are written as frames (file, line, function, source
   line) without locals, and with the message of each exception withheld unless its class
   is known to carry only codes and endpoints (botocore, urllib3, OSError, the store's and
   dependencies' own errors): a ``ValueError`` or a schema error may quote what a citizen
   typed.
3. A last scrub of each line replaces what looks like an e-mail address, a bearer or
   access token, a webhook secret or signature, a verification token (a long run of
   digits) or a PEM block with ``[redacted]``.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import traceback
from datetime import UTC, datetime
from typing import Final, TextIO

__all__ = [
    "JsonFormatter",
    "bind",
    "configure_logging",
    "end_context",
    "field",
    "format_traceback",
    "scrub",
    "start_context",
]

#: Our loggers, logging from INFO up; Chalice's app logger ("permit-service", which logs
#: the tracebacks of errors that escape a route) reaches the same JSON handler on the root.
LOGGER_NAMES: Final = ("permit_service", "chalicelib")

_fields: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "permit_service_log_fields", default=None
)

_REDACTED: Final = "[redacted]"
_SCRUB: Final = re.compile(
    r"-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----"  # PEM keys and certificates
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]+"  # Authorization: Bearer <token>
    r"|(?i:access_token)=[^&\s\"']+"  # ?access_token=<token>
    r"|whsec_[A-Za-z0-9+/=]+"  # webhook secrets
    r"|v1,[A-Za-z0-9+/=]{16,}"  # webhook signatures
    r"|[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"  # e-mail addresses
    r"|\d{40,}",  # verification tokens (decimal) and other long secrets
    re.DOTALL,
)

#: Exceptions whose messages are ours or a library's and never quote request data.
_SAFE_MESSAGE_MODULES: Final = (
    "botocore.",
    "urllib3.",
    "chalicelib.services.dependency_errors",
    "chalicelib.services.store_errors",
    "chalicelib.config",
)
_STANDARD_ATTRIBUTES: Final = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys() | {"message", "asctime"}
)


def scrub(text: str) -> str:
    """Replace anything that looks like a secret or an e-mail address with ``[redacted]``."""
    return _SCRUB.sub(_REDACTED, text)


def start_context(**fields: str | None) -> contextvars.Token[dict[str, str] | None]:
    """Begin a request's (or a job's) log context; every line until :func:`end_context` has it."""
    return _fields.set({name: value for name, value in fields.items() if value})


def end_context(token: contextvars.Token[dict[str, str] | None]) -> None:
    _fields.reset(token)


def bind(**fields: str | None) -> None:
    """Add fields to the current request's (or job's) context, e.g. the application id.

    Outside a context (a service called directly, a test) it does nothing: a field set there
    would stick to every later line of the process.
    """
    current = _fields.get()
    if current is not None:
        current.update({name: value for name, value in fields.items() if value})


def field(name: str) -> str | None:
    """One field of the current context, e.g. ``request_id`` for a metric line."""
    current = _fields.get()
    return current.get(name) if current else None


def _message_is_safe(error: BaseException) -> bool:
    module = type(error).__module__ + "."
    return isinstance(error, OSError) or module.startswith(_SAFE_MESSAGE_MODULES)


def _exception_name(error: BaseException) -> str:
    cls = type(error)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


def format_traceback(error: BaseException) -> str:
    """The exception chain like Python prints it, without locals and unsafe messages."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, "direct cause"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, "context"
        else:
            current = None
    parts: list[str] = []
    for index, (exc, _) in enumerate(reversed(chain)):
        if index:
            newer_link = chain[len(chain) - index][1]
            parts.append(
                "\nThe above exception was the direct cause of the following exception:\n\n"
                if newer_link == "direct cause"
                else "\nDuring handling of the above exception, another exception occurred:\n\n"
            )
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
        message = str(exc) if _message_is_safe(exc) else "<message withheld>"
        parts.append(
            f"{_exception_name(exc)}: {message}\n" if message else f"{_exception_name(exc)}\n"
        )
    return "".join(parts)


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module docstring for the fields)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_fields.get() or {})
        for name, value in record.__dict__.items():
            extra = name not in _STANDARD_ATTRIBUTES and not name.startswith("_")
            if extra and (value is None or isinstance(value, (str, int, float, bool))):
                entry[name] = value
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            entry["exception_type"] = _exception_name(error)
            entry["traceback"] = format_traceback(error)
        return scrub(json.dumps(entry, ensure_ascii=False, default=str))


class _StdoutHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stdout`` is at the time (Lambda's, or a test's capture)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, value: TextIO) -> None:
        """Ignored: the handler always follows ``sys.stdout``."""


def _plain_console_handler(handler: logging.Handler) -> bool:
    """The Lambda runtime's root handler, or a plain stream handler on stdout/stderr.

    Either would print each record a second time, as plain text with the unfiltered
    traceback. Other handlers (a test's log capture, a file someone configured) stay.
    """
    cls = type(handler)
    if cls.__name__.startswith("LambdaLoggerHandler") or cls.__module__.split(".")[0] in (
        "awslambdaric",
        "bootstrap",
    ):
        return True
    stream = getattr(handler, "stream", None)
    return cls is logging.StreamHandler and stream in (sys.stdout, sys.stderr)


def configure_logging(level: int = logging.INFO) -> None:
    """Make the root logger write JSON lines; our loggers log from ``level`` up. Idempotent.

    The JSON handler goes on the root logger (so every library's warnings are JSON too, and
    test log capture keeps working), replacing the plain console handler the Lambda runtime
    installs there. The handler itself never writes below INFO, whatever level someone sets
    on the root logger: botocore's DEBUG lines carry request bodies.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if _plain_console_handler(handler):
            root.removeHandler(handler)
    if not any(isinstance(handler, _StdoutHandler) for handler in root.handlers):
        handler = _StdoutHandler()
        handler.setFormatter(JsonFormatter())
        handler.setLevel(logging.INFO)
        root.addHandler(handler)
    for name in LOGGER_NAMES:
        logging.getLogger(name).setLevel(level)
