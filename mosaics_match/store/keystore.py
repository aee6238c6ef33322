"""Signing keys encrypted at rest.

A private key never leaves this module unencrypted except as an in-memory ``Ed25519PrivateKey`` handed to the
signer. The blob is ``b"MK1" | salt(16) | nonce(12) | AES-256-GCM(ciphertext+tag)``; the AES key is derived
from the configured secret with scrypt and a per-key salt, and the verification method id is bound as
associated data so a blob cannot be moved to another key row.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

_MAGIC = b"MK1"


class KeySecretError(RuntimeError):
    """The key secret is missing or does not open the stored key."""


def _derive(secret: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**14, r=8, p=1).derive(secret.encode("utf-8"))


def encrypt_private_key(private_key: Ed25519PrivateKey, *, secret: str | None, binding: str) -> bytes:
    """Encrypt ``private_key`` with ``secret``; ``binding`` (the verification method id) is authenticated."""
    if not secret:
        raise KeySecretError(
            "No key secret is configured (MOSAICS_KEY_SECRET), so signing keys cannot be stored safely."
        )
    from cryptography.hazmat.primitives import serialization

    raw = private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_derive(secret, salt)).encrypt(nonce, raw, binding.encode("utf-8"))
    return _MAGIC + salt + nonce + sealed


def decrypt_private_key(blob: bytes, *, secret: str | None, binding: str) -> Ed25519PrivateKey:
    """Open a blob made by :func:`encrypt_private_key`.

    Raises
    ------
    KeySecretError
        When no secret is configured, or it is not the secret the key was sealed with.
    """
    if not secret:
        raise KeySecretError(
            "Signing is disabled: no key secret is configured (set MOSAICS_KEY_SECRET)."
        )
    if len(blob) < 3 + 16 + 12 + 16 or not blob.startswith(_MAGIC):
        raise KeySecretError("The stored signing key is not in a format this portal understands.")
    salt, nonce, sealed = blob[3:19], blob[19:31], blob[31:]
    try:
        raw = AESGCM(_derive(secret, salt)).decrypt(nonce, sealed, binding.encode("utf-8"))
    except InvalidTag as exc:
        raise KeySecretError(
            "The configured key secret does not open the stored signing key; signing is disabled."
        ) from exc
    return Ed25519PrivateKey.from_private_bytes(raw)
