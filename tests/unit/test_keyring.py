"""The key ring and its published JWK set.

The JWK set is what third parties verify with, so the test rebuilds the key from nothing but
the published JSON and checks a real token signature with it.
"""

from __future__ import annotations

import base64
import json
from datetime import date

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from chalicelib.domain.errors import InvalidTokenError
from chalicelib.domain.token import (
    SIGNATURE_LENGTH,
    PermitClaims,
    der_to_raw_signature,
    sign_token,
)
from chalicelib.services.keyring import KeyRing


class MemorySigner:
    def __init__(self, key_id: int) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._key_id = key_id

    @property
    def key_id(self) -> int:
        return self._key_id

    def sign(self, message: bytes) -> bytes:
        return der_to_raw_signature(self._key.sign(message, ec.ECDSA(hashes.SHA256())))

    def public_key_pem(self) -> bytes:
        return pem(self._key.public_key())


def pem(key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


CLAIMS = PermitClaims(
    serial=42,
    zone="A",
    permit_type=1,
    valid_from=date(2026, 1, 1),
    valid_to=date(2026, 12, 31),
    plates=("ACXY1",),
)


def b64url_int(text: str) -> int:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    assert len(raw) == 32
    return int.from_bytes(raw, "big")


def test_published_jwk_verifies_a_token_signature() -> None:
    current = MemorySigner(3)
    ring = KeyRing.for_signer(current)
    token = sign_token(CLAIMS, current)

    published = json.loads(json.dumps(ring.jwks()))  # exactly what goes over the wire
    (jwk,) = published["keys"]
    assert jwk["kid"] == "3"
    public = ec.EllipticCurvePublicNumbers(
        b64url_int(jwk["x"]), b64url_int(jwk["y"]), ec.SECP256R1()
    ).public_key()

    body, sig = token[:-SIGNATURE_LENGTH], token[-SIGNATURE_LENGTH:]
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    public.verify(der, body, ec.ECDSA(hashes.SHA256()))


def test_jwks_shape_and_order() -> None:
    current = MemorySigner(10)
    retired = [(2, MemorySigner(2).public_key_pem()), (9, MemorySigner(9).public_key_pem())]
    jwks = KeyRing.for_signer(current, retired).jwks()
    assert [k["kid"] for k in jwks["keys"]] == ["2", "9", "10"]  # by key id, numerically
    for jwk in jwks["keys"]:
        assert set(jwk) == {"kty", "crv", "x", "y", "kid", "alg", "use"}
        assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("EC", "P-256", "ES256", "sig")
        assert len(jwk["x"]) == len(jwk["y"]) == 43  # 32 bytes, unpadded base64url
        assert "=" not in jwk["x"] + jwk["y"]


def test_coordinates_keep_leading_zero_bytes() -> None:
    """A coordinate below 2**248 must still be 32 bytes (RFC 7518 6.2.1.2)."""
    for _ in range(2000):
        signer = MemorySigner(1)
        key = serialization.load_pem_public_key(signer.public_key_pem())
        assert isinstance(key, ec.EllipticCurvePublicKey)
        if key.public_numbers().x < 2**248:
            jwk = KeyRing.for_signer(signer).jwks()["keys"][0]
            assert len(jwk["x"]) == 43
            assert b64url_int(jwk["x"]) == key.public_numbers().x
            return
    pytest.skip("no key with a short x coordinate in 2000 tries (p ~ 0.0004)")


def test_retired_key_verifies_only_while_in_the_ring() -> None:
    old, current = MemorySigner(2), MemorySigner(3)
    old_token = sign_token(CLAIMS, old)
    with_retired = KeyRing.for_signer(current, [(2, old.public_key_pem())])
    assert with_retired.verifier.verify(old_token) == CLAIMS
    assert [key["kid"] for key in with_retired.jwks()["keys"]] == ["2", "3"]
    with pytest.raises(InvalidTokenError):
        KeyRing.for_signer(current).verifier.verify(old_token)


def test_same_key_id_with_different_material_is_refused() -> None:
    current = MemorySigner(1)
    with pytest.raises(ValueError, match="key id 1"):
        KeyRing.for_signer(current, [(1, MemorySigner(1).public_key_pem())])
    with pytest.raises(ValueError, match="key id 5 is used for two different keys"):
        KeyRing([(5, MemorySigner(5).public_key_pem()), (5, MemorySigner(5).public_key_pem())])


def test_same_key_id_with_same_material_is_one_key() -> None:
    """Even in another encoding: material is compared, not PEM text."""
    current = MemorySigner(1)
    crlf = current.public_key_pem().replace(b"\n", b"\r\n")
    assert crlf != current.public_key_pem()
    ring = KeyRing.for_signer(current, [(1, crlf), (1, current.public_key_pem())])
    assert len(ring.jwks()["keys"]) == 1


def test_refuses_non_p256_and_bad_ids() -> None:
    rsa_pem = pem(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key())
    p384_pem = pem(ec.generate_private_key(ec.SECP384R1()).public_key())
    for bad in (rsa_pem, p384_pem):
        with pytest.raises(TypeError):
            KeyRing([(1, bad)])
    good = MemorySigner(1).public_key_pem()
    for bad_id in (-1, 256, True):
        with pytest.raises(ValueError, match=f"key id {bad_id!r} does not fit one byte"):
            KeyRing([(bad_id, good)])
    with pytest.raises(ValueError, match="a key ring needs at least one key"):
        KeyRing([])
    with pytest.raises(ValueError, match="deserialize"):
        KeyRing([(1, b"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")])


def test_the_published_key_set_is_a_fresh_copy() -> None:
    ring = KeyRing.for_signer(MemorySigner(1))
    first = ring.jwks()
    first["keys"].clear()
    assert len(ring.jwks()["keys"]) == 1
