"""boto3 clients that fail fast, and the one rule for telling "unavailable" from "refused".

Every AWS client the service builds (DynamoDB, KMS, and later SES or SSM) comes from
:func:`aws_client`, so each gets the same explicit budget instead of botocore's defaults
(60 s connect and read timeouts, and for DynamoDB 4 attempts with backoff: a request then
hung for 25 s against a closed port and for over a minute against a socket that accepts
and never answers).

The budget, per AWS call:

- ``connect_timeout`` 1 s: a TCP handshake to a regional endpoint takes milliseconds.
- ``read_timeout`` 1 s: the wait for any byte of the answer. DynamoDB and KMS answer in
  milliseconds to tens of milliseconds (p99 well under 100 ms), so 1 s is more than 10x
  headroom, not a normal wait.
- ``total_max_attempts`` 2 in botocore's ``standard`` retry mode: one retry for a transient
  failure (connection refused or reset, timeout, throttling, HTTP 5xx), after a random
  backoff of at most 1 s. (In the ``retries`` dict, ``max_attempts`` counts *retries*;
  ``total_max_attempts`` counts the first attempt too, which is the number we mean.)

How long one call that cannot succeed takes, by failure mode:

- a refused port (nothing listens): two refusals and one backoff, about 1 s at most;
- a dropped handshake (a firewall, a dead host): 1 + 1 + 1 = 3 s;
- an endpoint that accepts and never answers: 1 + 1 + 1 = 3 s;
- the bound no failure can exceed, :data:`WORST_CASE_SECONDS`: each attempt connecting
  for just under 1 s and then waiting 1 s in vain, 2 x 2 + 1 = 5 s.

A request stops at its first unavailable dependency (the error propagates to the 503
answer), so a request that finds DynamoDB or KMS down answers within about 3 s in the
failure modes above (5 s at the very worst), well inside the prod stage's 20 s Lambda
timeout and API Gateway's 29 s cut-off, with room to write the answer and its logs.
A retried write is safe: botocore sends the same ``ClientRequestToken`` with a retried
``TransactWriteItems``, and every write is conditional anyway.

boto3 is imported inside the functions: building a client is the first thing that needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from botocore.config import Config

__all__ = [
    "CONNECT_TIMEOUT_SECONDS",
    "READ_TIMEOUT_SECONDS",
    "TOTAL_ATTEMPTS",
    "WORST_CASE_SECONDS",
    "aws_client",
    "client_config",
    "unavailability",
]

CONNECT_TIMEOUT_SECONDS: Final = 1.0
READ_TIMEOUT_SECONDS: Final = 1.0
TOTAL_ATTEMPTS: Final = 2
_MAX_BACKOFF_SECONDS: Final = 1.0  # standard mode: random() * 2**(attempt-1), first retry <= 1 s
WORST_CASE_SECONDS: Final = (
    TOTAL_ATTEMPTS * (CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS)
    + (TOTAL_ATTEMPTS - 1) * _MAX_BACKOFF_SECONDS
)

#: Error codes that mean "too busy or broken right now", whatever the HTTP status says:
#: botocore's own throttling codes plus the KMS codes for a key service that is struggling.
_UNAVAILABLE_CODES: Final = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "TransactionInProgressException",
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "KMSInternalException",
        "DependencyTimeoutException",
        "KeyUnavailableException",
    }
)


#: Only ``make run`` and the end-to-end tests set this: moto's single-process server on a
#: busy two-core machine can take longer than DynamoDB ever does (a browser, two services
#: and their stream drains share the cores). Deployed functions never see it.
LOCAL_READ_TIMEOUT_ENV = "PERMIT_LOCAL_AWS_READ_TIMEOUT_SECONDS"


def client_config() -> Config:
    """The one botocore Config every client of the service uses (see the module docstring)."""
    import os

    from botocore.config import Config

    local = os.environ.get(LOCAL_READ_TIMEOUT_ENV, "")
    return Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=float(local) if local else READ_TIMEOUT_SECONDS,
        retries={"total_max_attempts": TOTAL_ATTEMPTS, "mode": "standard"},
    )


def aws_client(service_name: str) -> Any:
    """A boto3 client with the fail-fast budget; the endpoint comes from boto3's own settings.

    (``AWS_ENDPOINT_URL_DYNAMODB`` and friends, so the same code talks to AWS or to moto.)
    """
    import boto3

    return boto3.client(service_name, config=client_config())


def unavailability(error: BaseException) -> str | None:
    """Why ``error`` means the dependency is unavailable for now, or None if it means otherwise.

    Unavailable: the endpoint was unreachable, the connection broke, a timeout expired, or
    the service throttled or failed (HTTP 5xx) on the last attempt: retrying the whole
    request later may succeed. Anything else (access denied, a missing table or key, a
    request the service calls invalid) is a bug or a misconfiguration that no retry fixes.
    The reason is the exception class or error code: no endpoint, key or item in it.
    """
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(error, (ConnectionError, HTTPClientError)):
        return type(error).__name__
    if isinstance(error, ClientError):
        response: dict[str, Any] = getattr(error, "response", {}) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _UNAVAILABLE_CODES or (isinstance(status, int) and status >= 500):
            return code or f"HTTP {status}"
    return None
