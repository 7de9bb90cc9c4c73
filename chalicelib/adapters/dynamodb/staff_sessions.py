"""Staff sessions and unfinished sign-ins in the service's one table (their own keys).

- ``STAFFSESSION#<sha256 of the session id>`` / ``S``: actor, role, created and last-seen
  times, ``expires_at`` (the table's TTL attribute) = the earlier of the idle and the
  absolute deadline. Read by key only.
- ``STAFFSIGNIN#<sha256 of state>`` / ``S``: nonce, PKCE verifier and where to go after
  sign-in, for ten minutes. Taken with one ``DeleteItem`` returning the old item, so a
  ``state`` works once even when the callback is replayed.

Both key on a hash: whoever reads the table (a backup, an operator) cannot take over a
session. DynamoDB deletes expired items only days later, so reads check ``expires_at``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.adapters.aws import unavailability
from chalicelib.domain.staff_roles import Role
from chalicelib.domain.staff_sessions import SignInAttempt, StaffSession
from chalicelib.services.store_errors import (
    StoreError,
    StoreRejectedError,
    StoreUnavailableError,
)

__all__ = ["DynamoDBStaffSessions"]

Item = dict[str, Any]


def _session_key(key_hash: str) -> Item:
    return {"PK": {"S": f"STAFFSESSION#{key_hash}"}, "SK": {"S": "S"}}


def _signin_key(state_hash: str) -> Item:
    return {"PK": {"S": f"STAFFSIGNIN#{state_hash}"}, "SK": {"S": "S"}}


def _error(error: BotoCoreError | ClientError) -> StoreError:
    reason = unavailability(error)
    if reason is not None:
        return StoreUnavailableError(reason)
    code = error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""
    return StoreRejectedError(code or type(error).__name__)


class DynamoDBStaffSessions:
    """``client`` is a boto3 DynamoDB client, or a function that makes one on first use."""

    def __init__(self, client: Any | Callable[[], Any], table_name: str) -> None:
        self._client_or_factory = client
        self._table = table_name

    @property
    def _client(self) -> Any:
        if callable(self._client_or_factory) and not hasattr(self._client_or_factory, "meta"):
            self._client_or_factory = self._client_or_factory()
        return self._client_or_factory

    def _call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._client, operation)(TableName=self._table, **kwargs)
        except (BotoCoreError, ClientError) as error:
            if isinstance(error, ClientError) and (
                error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"
            ):
                return None
            raise _error(error) from error

    # -- sessions ---------------------------------------------------------------------

    def put_session(self, session: StaffSession) -> None:
        item = {
            **_session_key(session.key_hash),
            "type": {"S": "staff_session"},
            "actor": {"S": session.actor},
            "role": {"S": session.role.value},
            "created_at": {"N": str(session.created_at)},
            "last_seen": {"N": str(session.last_seen)},
            "expires_at": {"N": str(session.expires_at)},
        }
        self._call("put_item", Item=item)

    def get_session(self, key_hash: str) -> StaffSession | None:
        response = self._call("get_item", Key=_session_key(key_hash), ConsistentRead=True)
        item = response.get("Item") if response else None
        if not item:
            return None
        return StaffSession(
            key_hash=key_hash,
            actor=item["actor"]["S"],
            role=Role(item["role"]["S"]),
            created_at=int(item["created_at"]["N"]),
            last_seen=int(item["last_seen"]["N"]),
        )

    def touch_session(self, session: StaffSession) -> None:
        self._call(
            "update_item",
            Key=_session_key(session.key_hash),
            UpdateExpression="SET last_seen = :seen, expires_at = :expires",
            ConditionExpression="attribute_exists(PK)",  # signed out meanwhile: stays out
            ExpressionAttributeValues={
                ":seen": {"N": str(session.last_seen)},
                ":expires": {"N": str(session.expires_at)},
            },
        )

    def delete_session(self, key_hash: str) -> None:
        self._call("delete_item", Key=_session_key(key_hash))

    # -- sign-in attempts -------------------------------------------------------------

    def put_signin(self, attempt: SignInAttempt) -> None:
        item = {
            **_signin_key(attempt.state_hash),
            "type": {"S": "staff_signin"},
            "nonce": {"S": attempt.nonce},
            "code_verifier": {"S": attempt.code_verifier},
            "next_path": {"S": attempt.next_path},
            "expires_at": {"N": str(attempt.expires_at)},
        }
        self._call("put_item", Item=item)

    def take_signin(self, state_hash: str) -> SignInAttempt | None:
        response = self._call("delete_item", Key=_signin_key(state_hash), ReturnValues="ALL_OLD")
        item = response.get("Attributes") if response else None
        if not item:
            return None
        return SignInAttempt(
            state_hash=state_hash,
            nonce=item["nonce"]["S"],
            code_verifier=item["code_verifier"]["S"],
            next_path=item["next_path"]["S"],
            expires_at=int(item["expires_at"]["N"]),
        )
