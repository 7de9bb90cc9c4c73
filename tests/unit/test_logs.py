"""The JSON log format: one object per line, the request's context, safe tracebacks, scrubbing."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from chalicelib import logs

HOLDER = "Gülşen Öztürk"  # what a citizen typed; the frames below only name the variable


def _record(message: str = "hello", exc: BaseException | None = None, **extra: object) -> str:
    record = logging.LogRecord("permit_service.test", logging.INFO, __file__, 1, message, (), None)
    if exc is not None:
        record.exc_info = (type(exc), exc, exc.__traceback__)
    record.__dict__.update(extra)
    return logs.JsonFormatter().format(record)


def _raised(error: BaseException) -> BaseException:
    try:
        raise error
    except BaseException as caught:
        return caught


def test_a_line_is_one_json_object_with_the_request_context() -> None:
    token = logs.start_context(request_id="req-1", application_id="a" * 32, empty=None)
    try:
        logs.bind(lambda_request_id="lambda-1")
        line = _record("request", status=201, route="/api/verify", data={"dropped": "dict"})
    finally:
        logs.end_context(token)
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["message"] == "request"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "permit_service.test"
    assert entry["timestamp"].endswith("+00:00")
    assert entry["request_id"] == "req-1"
    assert entry["lambda_request_id"] == "lambda-1"
    assert entry["application_id"] == "a" * 32
    assert entry["status"] == 201
    assert "data" not in entry  # only scalar extras: nobody logs a document by accident
    assert "empty" not in entry
    assert logs.field("request_id") is None  # the context ended with the request


def test_a_traceback_has_frames_but_not_the_message_of_an_unknown_exception() -> None:
    def render_holder_line(name: str) -> None:
        raise ValueError(f"cannot fit {name} into the box")

    def issue() -> None:
        try:
            render_holder_line(HOLDER)
        except ValueError as error:
            raise RuntimeError(f"render failed for {HOLDER}") from error

    entry = json.loads(_record("unhandled", exc=_raised_from(issue)))
    trace = entry["traceback"]
    assert entry["exception_type"] == "RuntimeError"
    assert "render_holder_line" in trace and "issue" in trace  # frames are there
    assert "The above exception was the direct cause" in trace
    assert "ValueError: <message withheld>" in trace
    assert "RuntimeError: <message withheld>" in trace
    assert "Öztürk" not in json.dumps(entry, ensure_ascii=False)


def _raised_from(function: object) -> BaseException:
    try:
        function()  # type: ignore[operator]
    except BaseException as caught:
        return caught
    raise AssertionError("did not raise")


def test_messages_of_dependency_errors_are_kept() -> None:
    from botocore.exceptions import EndpointConnectionError

    from chalicelib.services.store_errors import StoreUnavailableError

    def read() -> None:
        try:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")
        except EndpointConnectionError as error:
            raise StoreUnavailableError("EndpointConnectionError") from error

    trace = json.loads(_record("unavailable", exc=_raised_from(read)))["traceback"]
    assert "StoreUnavailableError: EndpointConnectionError" in trace
    assert 'Could not connect to the endpoint URL: "http://127.0.0.1:9"' in trace
    assert "ConnectionRefusedError" not in trace or "Errno" in trace


def test_locals_never_appear() -> None:
    def handler() -> None:
        secret_local = "whatever-the-citizen-typed"  # noqa: F841
        raise KeyError("applicant")

    trace = json.loads(_record("x", exc=_raised_from(handler)))["traceback"]
    assert "whatever-the-citizen-typed" not in trace
    assert 'raise KeyError("applicant")' in trace  # the source line of the frame only


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("mail guelsen.oeztuerk@example.org now", "mail  now"),
        ("Authorization: Bearer abcDEF123-_~.+/=", "Authorization: "),
        ("GET /x?access_token=Zm9vYmFy&lang=de", "GET /x?&lang=de"),
        ("secret whsec_bG9jYWwtc2FuZGJveC1zZWNyZXQ= set", "secret  set"),
        ("sig v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= bad", "sig  bad"),
        ("token " + "7" * 212, "token "),
        ("-----BEGIN PRIVATE KEY-----\\nMIGH\\n-----END PRIVATE KEY-----", ""),
    ],
)
def test_scrub_removes_secrets_and_addresses(text: str, kept: str) -> None:
    scrubbed = logs.scrub(text)
    assert scrubbed.replace("[redacted]", "") == kept


def test_ids_and_numbers_are_not_scrubbed() -> None:
    text = "application " + "0123456789abcdef" * 2 + " permit 2026-7K3M-Q9XW status 503 evt_test_17"
    assert logs.scrub(text) == text


def test_configure_logging_sends_our_loggers_and_chalices_to_stdout_as_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.configure_logging()
    logs.configure_logging()  # idempotent: one handler, one line per record
    for name in ("permit_service.anything", "chalicelib.adapters.x", "permit-service"):
        logging.getLogger(name).error("Caught exception for path %s", "/api/verify")
    logging.getLogger("permit_service.x").info("info from our code")
    logging.getLogger("botocore.x").info("not shown: a library below WARNING")
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["logger"] for line in lines] == [
        "permit_service.anything",
        "chalicelib.adapters.x",
        "permit-service",
        "permit_service.x",
    ]


def test_the_runtimes_plain_console_handler_is_replaced(capsys: pytest.CaptureFixture[str]) -> None:
    """Lambda's runtime puts a plain-text handler on the root logger: it would print every
    record again, traceback and all; a test's capture handler stays."""

    class LambdaLoggerHandler(logging.Handler):  # named like the runtime's
        def emit(self, record: logging.LogRecord) -> None:
            print("PLAIN", record.getMessage())

    root = logging.getLogger()
    plain, console = LambdaLoggerHandler(), logging.StreamHandler(sys.stderr)
    keep = logging.StreamHandler(io.StringIO())  # not the console: someone's file or capture
    root.addHandler(plain)
    root.addHandler(console)
    root.addHandler(keep)
    try:
        logs.configure_logging()
        assert plain not in root.handlers and console not in root.handlers
        assert keep in root.handlers
        logging.getLogger("permit_service.y").warning("once")
        out = capsys.readouterr().out
        assert "PLAIN" not in out and json.loads(out)["message"] == "once"
    finally:
        for handler in (plain, console, keep):
            root.removeHandler(handler)


def test_bind_outside_a_context_changes_nothing() -> None:
    logs.bind(application_id="a" * 32)
    assert logs.field("application_id") is None


def test_the_handler_never_writes_debug_lines(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure_logging()
    root = logging.getLogger()
    previous = root.level
    root.setLevel(logging.DEBUG)
    try:
        logging.getLogger("botocore.endpoint").debug("Making request with body {...}")
    finally:
        root.setLevel(previous)
    assert capsys.readouterr().out == ""
