"""The adapters' boundary: which botocore failure becomes which of our exceptions.

Real boto3 clients with botocore's own ``Stubber`` (no network, no patching of our code):
the stub answers each call with the error DynamoDB or KMS would send after the client's
retries were spent. What matters is the class: ``StoreUnavailableError`` (503, retry later)
only for outages; conflicts are ``StaleApplicationError``; bugs and misconfigurations are
``StoreRejectedError`` (500, alarmed), never disguised as an outage.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.adapters.aws import client_config, unavailability
from chalicelib.adapters.dynamodb.store import DynamoDBStore
from chalicelib.domain.lifecycle import Status
from chalicelib.domain.records import Application, AuditEntry
from chalicelib.services.dependency_errors import (
    DependencyUnavailableError,
    SignerUnavailableError,
)
from chalicelib.services.store_errors import (
    StaleApplicationError,
    StoreRejectedError,
    StoreUnavailableError,
)

T0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def _client(service: str) -> Any:
    import boto3

    return boto3.client(
        service,
        region_name="eu-central-1",
        aws_access_key_id="stub",
        aws_secret_access_key="stub",
        config=client_config(),
    )


@pytest.fixture
def stubbed_dynamodb() -> Iterator[tuple[Any, Any]]:
    from botocore.stub import Stubber

    client = _client("dynamodb")
    with Stubber(client) as stubber:
        yield client, stubber


def _app() -> Application:
    return Application(
        id="a" * 32,
        form_id="resident-parking-permit",
        form_version=1,
        schema_hash="5" * 64,
        data={"vehicle": {"plates": ["DNAB123"]}},
        status=Status.SUBMITTED,
        version=1,
        fee_cents=3000,
        currency="EUR",
        access_token_hash="e" * 64,
        created_at=T0,
        updated_at=T0,
    )


def _save(store: DynamoDBStore) -> None:
    app = _app()
    after = app.advance(Status.CANCELLED, T0)
    audit = AuditEntry(app.id, T0, "cancelled_unpaid", Status.SUBMITTED, Status.CANCELLED, "job")
    store.save(app, after, [audit])


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ProvisionedThroughputExceededException", 400, StoreUnavailableError),
        ("ThrottlingException", 400, StoreUnavailableError),
        ("RequestLimitExceeded", 400, StoreUnavailableError),
        ("InternalServerError", 500, StoreUnavailableError),
        ("ServiceUnavailable", 503, StoreUnavailableError),
        ("AccessDeniedException", 400, StoreRejectedError),
        ("ResourceNotFoundException", 400, StoreRejectedError),
        ("ValidationException", 400, StoreRejectedError),
    ],
)
def test_a_read_error_is_translated_by_its_meaning(
    stubbed_dynamodb: tuple[Any, Any], code: str, status: int, expected: type[Exception]
) -> None:
    client, stubber = stubbed_dynamodb
    stubber.add_client_error("get_item", service_error_code=code, http_status_code=status)
    with pytest.raises(expected) as caught:
        DynamoDBStore(client, "permits").get_application("a" * 32)
    assert str(caught.value) == code  # the code, never the item or the endpoint
    assert isinstance(caught.value, DependencyUnavailableError) == (
        expected is StoreUnavailableError
    )


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        # the application put passed its condition, the audit put did not: someone else
        # wrote this version's audit entry, i.e. a concurrent change, not an outage
        (["None", "ConditionalCheckFailed"], StaleApplicationError),
        (["None", "TransactionConflict"], StaleApplicationError),
        (["TransactionConflict", "None"], StaleApplicationError),
        (["None", "ThrottlingError"], StoreUnavailableError),
        (["ProvisionedThroughputExceeded", "None"], StoreUnavailableError),
        (["ValidationError", "None"], StoreRejectedError),
    ],
)
def test_transaction_cancellation_reasons_are_read_one_by_one(
    stubbed_dynamodb: tuple[Any, Any], reasons: list[str], expected: type[Exception]
) -> None:
    client, stubber = stubbed_dynamodb
    stubber.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        http_status_code=400,
        modeled_fields={"CancellationReasons": [{"Code": code} for code in reasons]},
    )
    with pytest.raises(expected):
        _save(DynamoDBStore(client, "permits"))


def test_a_conflict_is_a_conflict_for_the_http_layer_too(
    stubbed_dynamodb: tuple[Any, Any],
) -> None:
    """StaleApplicationError is a ConflictError (409 if it ever reached a client), not a 503."""
    from chalicelib.domain.errors import ConflictError

    client, stubber = stubbed_dynamodb
    stubber.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        modeled_fields={"CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}]},
    )
    with pytest.raises(ConflictError) as caught:
        _save(DynamoDBStore(client, "permits"))
    assert not isinstance(caught.value, DependencyUnavailableError)


@pytest.mark.parametrize(
    ("code", "status", "unavailable"),
    [
        ("ThrottlingException", 400, True),
        ("LimitExceededException", 400, True),
        ("KMSInternalException", 500, True),
        ("DependencyTimeoutException", 503, True),
        ("KeyUnavailableException", 500, True),
        ("AccessDeniedException", 400, False),
        ("DisabledException", 400, False),
        ("NotFoundException", 400, False),
    ],
)
def test_kms_errors_are_translated_at_the_signer(code: str, status: int, unavailable: bool) -> None:
    from botocore.exceptions import ClientError
    from botocore.stub import Stubber

    from chalicelib.adapters.signing.kms import KmsSigner

    client = _client("kms")
    with Stubber(client) as stubber:
        stubber.add_client_error("sign", service_error_code=code, http_status_code=status)
        signer = KmsSigner(client, "alias/permit-signing", 1)
        expected: type[Exception] = SignerUnavailableError if unavailable else ClientError
        with pytest.raises(expected) as caught:
            signer.sign(b"token body")
    assert isinstance(caught.value, SignerUnavailableError) == unavailable


def test_connection_and_timeout_errors_are_unavailability() -> None:
    from botocore.exceptions import (
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        ParamValidationError,
        ReadTimeoutError,
    )

    endpoint = "http://127.0.0.1:9"
    assert unavailability(EndpointConnectionError(endpoint_url=endpoint)) == (
        "EndpointConnectionError"
    )
    assert unavailability(ConnectTimeoutError(endpoint_url=endpoint)) == "ConnectTimeoutError"
    assert unavailability(ReadTimeoutError(endpoint_url=endpoint)) == "ReadTimeoutError"
    assert unavailability(ConnectionClosedError(endpoint_url=endpoint)) == ("ConnectionClosedError")
    assert unavailability(NoCredentialsError()) is None  # a misconfiguration
    assert unavailability(ParamValidationError(report="bad")) is None  # a bug
    assert unavailability(ValueError("not botocore")) is None
