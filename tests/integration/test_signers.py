"""The two Signer adapters against real key material: a PEM file and KMS (moto in-process).

moto 5.2.1 limitation, pinned down by ``test_moto_ignores_message_type_digest``: its KMS
``Sign`` ignores ``MessageType="DIGEST"`` and hashes the 32-byte digest once more, so a
signature from moto is over SHA-256(SHA-256(body)), which real KMS never produces. The
end-to-end KMS test therefore runs with ``kms_digest_semantics``, a small patch that makes
moto's ECC key sign a DIGEST request the way AWS documents it (the digest is signed as given,
no second hash). Everything else (key creation, request shape, DER signature, public key,
PEM conversion, our verifier) is moto's and ours, unpatched.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from chalicelib.adapters.signing.kms import KmsSigner
from chalicelib.adapters.signing.local_key import LocalKeySigner, ensure_local_key
from chalicelib.domain.errors import InvalidTokenError
from chalicelib.domain.token import (
    SIGNATURE_LENGTH,
    PermitClaims,
    TokenVerifier,
    encode_claims,
    sign_token,
)
from chalicelib.services.keyring import KeyRing

CLAIMS = PermitClaims(
    serial=7_000_001,
    zone="N3",
    permit_type=1,
    valid_from=date(2026, 5, 1),
    valid_to=date(2027, 4, 30),
    plates=("DÜWAB12", "DÜWAB12E"),
)


# --- LocalKeySigner -----------------------------------------------------------------------


def test_local_key_is_generated_private(tmp_path: Path) -> None:
    path = tmp_path / ".local" / "keys" / "signing-key.pem"
    ensure_local_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert b"BEGIN PRIVATE KEY" in path.read_bytes()
    assert sorted(p.name for p in path.parent.iterdir()) == ["signing-key.pem"]  # no temp left


def test_local_key_is_private_under_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        ensure_local_key(tmp_path / "k.pem")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "k.pem").stat().st_mode) == 0o600


def test_existing_local_key_is_reused(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    ensure_local_key(path)
    first = path.read_bytes()
    ensure_local_key(path)
    assert path.read_bytes() == first
    assert LocalKeySigner(path, 1).public_key_pem() == LocalKeySigner(path, 1).public_key_pem()


def test_concurrent_generation_yields_one_key(tmp_path: Path) -> None:
    path = tmp_path / "race" / "k.pem"
    barrier = threading.Barrier(8)

    def create() -> None:
        barrier.wait()
        ensure_local_key(path)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(p.name for p in path.parent.iterdir()) == ["k.pem"]
    LocalKeySigner(path, 1)  # loads: complete, not a half-written file


def test_local_signer_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    ensure_local_key(path)
    signer = LocalKeySigner(path, key_id=4)
    token = sign_token(CLAIMS, signer)
    assert token[1] == 4
    assert KeyRing.for_signer(signer).verifier.verify(token) == CLAIMS
    raw = signer.sign(b"anything")
    assert len(raw) == SIGNATURE_LENGTH


def test_local_signer_refuses_other_keys(tmp_path: Path) -> None:
    p384 = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "p384.pem").write_bytes(p384)
    with pytest.raises(ValueError, match="P-256"):
        LocalKeySigner(tmp_path / "p384.pem", 1)
    ensure_local_key(tmp_path / "k.pem")
    with pytest.raises(ValueError, match="key_id must fit one byte"):
        LocalKeySigner(tmp_path / "k.pem", 256)


# --- KmsSigner on moto --------------------------------------------------------------------


@pytest.fixture
def kms(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An in-process moto KMS; endpoint overrides cleared so nothing bypasses the mock."""
    import boto3
    from moto import mock_aws

    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KMS", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    with mock_aws():
        yield boto3.client("kms", region_name="eu-central-1")


@pytest.fixture
def kms_key(kms: Any) -> str:
    created = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    return str(created["KeyMetadata"]["Arn"])


@pytest.fixture
def kms_digest_semantics(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto's ECC keys sign ``MessageType=DIGEST`` requests as AWS KMS does.

    moto's response handler reads MessageType and drops it; this wraps the handler to pass
    it on (thread-local) to the key, which then signs the given digest without hashing again.
    """
    from moto.kms import responses
    from moto.kms import utils as moto_utils

    state = threading.local()
    original_handler = responses.KmsResponse.sign
    original_sign = moto_utils.ECDSAPrivateKey.sign

    def handler(self: Any) -> Any:
        state.digest = self._get_param("MessageType") == "DIGEST"
        try:
            return original_handler(self)
        finally:
            state.digest = False

    def sign(self: Any, message: bytes, signing_algorithm: str) -> bytes:
        if not getattr(state, "digest", False):
            return bytes(original_sign(self, message, signing_algorithm))
        assert signing_algorithm == "ECDSA_SHA_256" and len(message) == 32
        prehashed = ec.ECDSA(utils.Prehashed(hashes.SHA256()))
        return bytes(self.private_key.sign(message, prehashed))

    monkeypatch.setattr(responses.KmsResponse, "sign", handler)
    monkeypatch.setattr(moto_utils.ECDSAPrivateKey, "sign", sign)


def calls(client: Any, operation: str) -> list[dict[str, Any]]:
    """Record the parameters of every ``operation`` call the client makes."""
    seen: list[dict[str, Any]] = []
    client.meta.events.register(
        f"provide-client-params.kms.{operation}",
        lambda params, **_: seen.append(dict(params)),
    )
    return seen


def test_kms_signer_round_trip(kms: Any, kms_key: str, kms_digest_semantics: None) -> None:
    signer = KmsSigner(kms, kms_key, key_id=9)
    token = sign_token(CLAIMS, signer)

    der = kms.get_public_key(KeyId=kms_key)["PublicKey"]
    public = serialization.load_der_public_key(der)
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert TokenVerifier({9: public}).verify(token) == CLAIMS
    assert KeyRing.for_signer(signer).verifier.verify(token) == CLAIMS


def test_kms_signatures_are_always_64_bytes(
    kms: Any, kms_key: str, kms_digest_semantics: None
) -> None:
    signer = KmsSigner(kms, kms_key, key_id=9)
    verifier = KeyRing.for_signer(signer).verifier
    body = encode_claims(CLAIMS, 9)
    for _ in range(200):
        raw = signer.sign(body)
        assert len(raw) == SIGNATURE_LENGTH
        assert verifier.verify(body + raw) == CLAIMS


def test_kms_signer_sends_only_the_digest(kms: Any, kms_key: str) -> None:
    sent = calls(kms, "Sign")
    body = encode_claims(CLAIMS, 9)
    KmsSigner(kms, kms_key, key_id=9).sign(body)
    assert sent == [
        {
            "KeyId": kms_key,
            "Message": hashlib.sha256(body).digest(),
            "MessageType": "DIGEST",
            "SigningAlgorithm": "ECDSA_SHA_256",
        }
    ]


def test_kms_public_key_is_pem_and_fetched_once(kms: Any, kms_key: str) -> None:
    fetched = calls(kms, "GetPublicKey")
    signer = KmsSigner(kms, kms_key, key_id=9)
    pem = signer.public_key_pem()
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert signer.public_key_pem() is pem
    assert len(fetched) == 1
    der = kms.get_public_key(KeyId=kms_key)["PublicKey"]
    assert serialization.load_pem_public_key(pem).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == bytes(der)


def test_kms_signer_refuses_a_non_p256_key(kms: Any) -> None:
    p384 = kms.create_key(KeySpec="ECC_NIST_P384", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    with pytest.raises(TypeError):
        KmsSigner(kms, p384["KeyId"], key_id=1).public_key_pem()


def test_moto_ignores_message_type_digest(kms: Any, kms_key: str) -> None:
    """Canary for the moto limitation the module docstring describes.

    If this fails after a moto upgrade, moto honours DIGEST: drop ``kms_digest_semantics``.
    Meanwhile it also shows the issuance self-check at work: a signer whose signatures do
    not verify is refused by ``sign_token`` before a bad permit can be printed.
    """
    body = encode_claims(CLAIMS, 9)
    digest = hashlib.sha256(body).digest()
    der = kms.sign(
        KeyId=kms_key, Message=digest, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256"
    )["Signature"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=kms_key)["PublicKey"])
    assert isinstance(public, ec.EllipticCurvePublicKey)
    with pytest.raises(InvalidSignature):  # real KMS semantics: signature over the body
        public.verify(der, body, ec.ECDSA(hashes.SHA256()))
    public.verify(der, digest, ec.ECDSA(hashes.SHA256()))  # moto: over SHA-256(digest)

    signer = KmsSigner(kms, kms_key, key_id=9)
    with pytest.raises(InvalidTokenError):
        KeyRing.for_signer(signer).verifier.verify(body + signer.sign(body))
    with pytest.raises(ValueError, match="own public key rejects"):
        sign_token(CLAIMS, signer)
