"""The verification key ring: every public key whose permits must still verify, by key id.

Rotation works by key id: a new signer gets a new id, and the old public key stays here as
a *retired* key for as long as permits it signed are valid (a permit printed today must keep
verifying until its validity ends). The same set is published as a JWK set at
``/.well-known/permit-keys.json`` so that any verifier, including a phone offline, can check
tokens without asking us.

A key id is a promise: one id, one key, forever. Two different keys under one id would make
already printed permits fail (or, worse, make the wrong key trusted), so construction refuses
it instead of letting one silently win.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from chalicelib.domain.token import TokenVerifier, load_public_key_pem

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

    from chalicelib.services.ports import Signer

__all__ = ["KeyRing", "jwk_for"]


def _b64url(number: int) -> str:
    """RFC 7518 6.2.1.2: a P-256 coordinate is exactly 32 bytes, base64url without padding."""
    return base64.urlsafe_b64encode(number.to_bytes(32, "big")).rstrip(b"=").decode("ascii")


def jwk_for(kid: str, key: EllipticCurvePublicKey) -> dict[str, str]:
    """One P-256 verification key as a JWK (RFC 7517/7518)."""
    numbers = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url(numbers.x),
        "y": _b64url(numbers.y),
        "kid": kid,
        "alg": "ES256",
        "use": "sig",
    }


class KeyRing:
    """Public keys by token key id, with the JWK set that publishes them.

    Build it with :meth:`for_signer` (the current signer plus retired keys) or directly from
    ``(key_id, pem)`` pairs where no signer is at hand. Duplicate pairs with identical key
    material are tolerated (the current key is often also listed in configuration); the same
    id with different material raises ``ValueError``.
    """

    def __init__(self, keys: Iterable[tuple[int, bytes]]) -> None:
        loaded: dict[int, EllipticCurvePublicKey] = {}
        for key_id, pem in keys:
            if not isinstance(key_id, int) or isinstance(key_id, bool) or not 0 <= key_id <= 0xFF:
                raise ValueError(f"key id {key_id!r} does not fit one byte")
            key = load_public_key_pem(bytes(pem))
            previous = loaded.get(key_id)
            if previous is not None and previous.public_numbers() != key.public_numbers():
                raise ValueError(f"key id {key_id} is used for two different keys")
            loaded[key_id] = key
        if not loaded:
            raise ValueError("a key ring needs at least one key")
        self._keys: Mapping[int, EllipticCurvePublicKey] = MappingProxyType(
            dict(sorted(loaded.items()))
        )
        self._verifier = TokenVerifier(self._keys)
        self._jwks_entries = tuple(self._jwk(key_id, key) for key_id, key in self._keys.items())

    @classmethod
    def for_signer(cls, signer: Signer, retired: Iterable[tuple[int, bytes]] = ()) -> KeyRing:
        """The current signer's key plus retired ``(key_id, pem)`` keys that still verify."""
        return cls([(signer.key_id, signer.public_key_pem()), *retired])

    @staticmethod
    def _jwk(key_id: int, key: EllipticCurvePublicKey) -> dict[str, str]:
        return jwk_for(str(key_id), key)

    @property
    def verifier(self) -> TokenVerifier:
        """A verifier over exactly these keys, built once."""
        return self._verifier

    def jwks(self) -> dict[str, Any]:
        """The JWK set (RFC 7517), sorted by key id; a fresh dict each call, safe to mutate."""
        return {"keys": [dict(entry) for entry in self._jwks_entries]}
