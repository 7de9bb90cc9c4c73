"""A Signer backed by an AWS KMS asymmetric key (``ECC_NIST_P256``, ``SIGN_VERIFY``).

The private key never leaves KMS. We send only the SHA-256 digest (``MessageType=DIGEST``):
KMS caps raw messages at 4 KB, and a digest keeps the request small and the token body out
of CloudTrail. KMS answers with a DER signature, which is converted to the token's raw
``r || s``. The boto3 client is injected, so importing this module costs nothing and tests
can pass a moto-backed or stubbed client.

A KMS that is unreachable, timing out or throttling surfaces as
:class:`~chalicelib.services.dependency_errors.SignerUnavailableError` (answered 503 with
Retry-After); a refusal (access denied, a disabled or missing key) stays botocore's own
error, a misconfiguration answered 500. The client's budget is set in ``adapters/aws.py``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from chalicelib.adapters.aws import unavailability
from chalicelib.domain.token import der_to_raw_signature, load_public_key_pem
from chalicelib.services.dependency_errors import SignerUnavailableError

__all__ = ["KmsSigner"]

_SIGNING_ALGORITHM = "ECDSA_SHA_256"


class KmsSigner:
    """Signs token bytes with KMS; ``key_id`` is the token's one-byte key id, not the KMS id.

    ``key_arn_or_id`` is anything KMS accepts as ``KeyId`` (ARN, key id, alias). The public
    key is fetched once, on first use, and cached: it is needed for the published key set and
    for the issuance self-check, and it never changes for a given KMS key.
    """

    def __init__(self, kms_client: Any, key_arn_or_id: str, key_id: int) -> None:
        if not isinstance(key_id, int) or not 0 <= key_id <= 0xFF:
            raise ValueError("key_id must fit one byte")
        self._client = kms_client
        self._kms_key = key_arn_or_id
        self._key_id = key_id
        self._public_pem: bytes | None = None

    @property
    def key_id(self) -> int:
        return self._key_id

    def sign(self, message: bytes) -> bytes:
        """ECDSA P-256 / SHA-256 over ``message`` by KMS, as raw 64-byte ``r || s``."""
        response = _call(
            self._client.sign,
            KeyId=self._kms_key,
            Message=hashlib.sha256(message).digest(),
            MessageType="DIGEST",
            SigningAlgorithm=_SIGNING_ALGORITHM,
        )
        if response.get("SigningAlgorithm", _SIGNING_ALGORITHM) != _SIGNING_ALGORITHM:
            raise ValueError("KMS signed with an unexpected algorithm")
        return der_to_raw_signature(bytes(response["Signature"]))

    def public_key_pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM of the KMS key; refuses any key that is not P-256."""
        if self._public_pem is None:
            from cryptography.hazmat.primitives import serialization

            response = _call(self._client.get_public_key, KeyId=self._kms_key)
            key = serialization.load_der_public_key(bytes(response["PublicKey"]))
            pem = key.public_bytes(
                encoding=serialization.Encoding.PEM,
                format=serialization.PublicFormat.SubjectPublicKeyInfo,
            )
            load_public_key_pem(pem)  # raises TypeError unless EC P-256
            self._public_pem = pem
        return self._public_pem


def _call(operation: Callable[..., dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    """One KMS call; an unavailable KMS becomes SignerUnavailableError, anything else stays."""
    try:
        return operation(**kwargs)
    except Exception as error:
        reason = unavailability(error)
        if reason is None:
            raise
        raise SignerUnavailableError(reason) from error
