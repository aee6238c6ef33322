"""Signing keys are encrypted at rest and only open with the right secret, for the right key row."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mosaics_match.store.keystore import KeySecretError, decrypt_private_key, encrypt_private_key


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def test_round_trip_and_no_plaintext_in_blob():
    key = Ed25519PrivateKey.generate()
    blob = encrypt_private_key(key, secret="s3cret-value", binding="did:key:z6Mk#a")
    assert _raw(key) not in blob
    assert _raw(decrypt_private_key(blob, secret="s3cret-value", binding="did:key:z6Mk#a")) == _raw(key)


@pytest.mark.parametrize(
    ("secret", "binding", "message"),
    [("wrong", "did:key:z6Mk#a", "does not open"), ("s3cret-value", "did:key:other#b", "does not open"),
     (None, "did:key:z6Mk#a", "no key secret")],
)
def test_wrong_secret_or_binding_is_refused(secret, binding, message):
    blob = encrypt_private_key(Ed25519PrivateKey.generate(), secret="s3cret-value", binding="did:key:z6Mk#a")
    with pytest.raises(KeySecretError, match=message):
        decrypt_private_key(blob, secret=secret, binding=binding)


def test_refuses_to_store_without_secret():
    with pytest.raises(KeySecretError, match="MOSAICS_KEY_SECRET"):
        encrypt_private_key(Ed25519PrivateKey.generate(), secret="", binding="x")


def test_corrupt_blob_is_a_clear_error():
    with pytest.raises(KeySecretError, match="format"):
        decrypt_private_key(b"garbage", secret="s", binding="x")
