"""Seneca's signing keys as the staff keys page sees them: list, generate, check the key secret, rotate.

Private keys are never returned. Each function opens its own session or transaction from the runtime; failures
come back as :class:`KeysError` with the sentence to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from mosaics_match.services import issuing
from mosaics_match.services.auth import Viewer
from mosaics_match.store import repo
from mosaics_match.store.keystore import KeySecretError
from mosaics_match.store.models import Issuer, SigningKey

if TYPE_CHECKING:
    from mosaics_match.runtime import Runtime
    from mosaics_match.settings import Settings

__all__ = ["KeysError", "KeyInfo", "KeysOverview", "overview", "generate", "check_secret", "rotate",
           "rotation_effect"]


class KeysError(RuntimeError):
    """A key could not be created, opened or rotated; the message says why."""


@dataclass(frozen=True)
class KeyInfo:
    """One public signing key (never the private part).

    Attributes
    ----------
    active : bool
        Seneca's key that signs now (else kept for verification only).
    """

    fingerprint: str
    algorithm: str
    issuer: str
    verification_method: str
    created_at: datetime
    retired_at: datetime | None
    active: bool


@dataclass(frozen=True)
class KeysOverview:
    """Every issuer's keys, and Seneca's own identifier and active key (``None`` until one exists)."""

    local_issuer: str | None
    active: KeyInfo | None
    keys: list[KeyInfo]


def _info(issuer: Issuer, key: SigningKey) -> KeyInfo:
    return KeyInfo(fingerprint=key.fingerprint, algorithm=key.algorithm, issuer=issuer.identifier,
                   verification_method=key.verification_method, created_at=key.created_at,
                   retired_at=key.retired_at, active=issuer.is_local and key.retired_at is None)


def overview(rt: Runtime) -> KeysOverview:
    """All keys of all issuers, and Seneca's active key.

    Parameters
    ----------
    rt : Runtime
        The portal runtime.

    Returns
    -------
    KeysOverview
    """
    with rt.Session() as session:
        local = repo.get_local_issuer(session)
        keys = [_info(issuer, key) for issuer in repo.all_issuers(session)
                for key in repo.issuer_keys(session, issuer=issuer)]
        active = repo.active_key(session, issuer=local) if local is not None else None
        return KeysOverview(local_issuer=local.identifier if local is not None else None,
                            active=_info(local, active) if local is not None and active is not None else None,
                            keys=keys)


def generate(rt: Runtime, *, viewer: Viewer) -> KeyInfo:
    """Create Seneca's signing key (and its issuer, on a first start), audited as ``key_generate``.

    Parameters
    ----------
    rt : Runtime
        The portal runtime (its key secret encrypts the private key).
    viewer : Viewer
        The staff member (audit actor).

    Returns
    -------
    KeyInfo
        The new key.

    Raises
    ------
    KeysError
        No key secret, or the key could not be made.
    """
    try:
        with rt.Session.begin() as session:
            if repo.get_local_issuer(session) is None:
                issuer = issuing.ensure_local_issuer(session, settings=rt.settings)
                key = repo.active_key(session, issuer=issuer)
            else:
                key = issuing.rotate_key(session, settings=rt.settings, actor=viewer.email)
            assert key is not None
            repo.record_audit(session, actor=viewer.email, actor_role=viewer.role, action="key_generate",
                              subject=key.verification_method, outcome="success",
                              details={"fingerprint": key.fingerprint})
            return _info(key.issuer, key)
    except (issuing.IssuingError, KeySecretError) as exc:
        raise KeysError(str(exc)) from exc


def check_secret(rt: Runtime) -> None:
    """Open the active key with the configured secret, without signing anything.

    Parameters
    ----------
    rt : Runtime
        The portal runtime.

    Raises
    ------
    KeysError
        The secret does not open the key (or there is none).
    """
    try:
        with rt.Session() as session:
            issuing.open_signer(session, settings=rt.settings)
    except issuing.IssuingError as exc:
        raise KeysError(str(exc)) from exc


def rotate(rt: Runtime, *, viewer: Viewer) -> KeyInfo:
    """Retire the active key and sign from now on with a new one (the old one stays published), audited.

    Parameters
    ----------
    rt : Runtime
        The portal runtime.
    viewer : Viewer
        The staff member (audit actor).

    Returns
    -------
    KeyInfo
        The new key.

    Raises
    ------
    KeysError
        No key secret, or the rotation failed (nothing changed).
    """
    try:
        with rt.Session.begin() as session:
            key = issuing.rotate_key(session, settings=rt.settings, actor=viewer.email)
            return _info(key.issuer, key)
    except (issuing.IssuingError, KeySecretError) as exc:
        raise KeysError(str(exc)) from exc


def rotation_effect(settings: Settings, issuer_id: str) -> tuple[str, str]:
    """What a rotation changes for verifiers outside this portal.

    Parameters
    ----------
    settings : Settings
        The portal settings (``issuer_did`` says whether a did:web identifier is configured).
    issuer_id : str
        Seneca's current issuer identifier.

    Returns
    -------
    tuple of str
        (headline, explanation).
    """
    web = settings.issuer_did if settings.issuer_did.startswith("did:web:") else ""
    if web and issuer_id == web:
        return ("For verifiers outside this portal nothing changes.",
                f"Seneca stays `{issuer_id}`. The new key is added to its DID document and the old one stays "
                "listed there, so credentials signed before and after the rotation verify against the same "
                "trusted identifier. A verifier that cached the document may need a few minutes to see the "
                "new key.")
    if web:
        return ("For verifiers outside this portal, Seneca's identity changes once.",
                f"Credentials issued from now on name `{web}` (MOSAICS_ISSUER_DID) instead of `{issuer_id}`; "
                "verifiers that trust Seneca by its DID must add the did:web identifier once. Later "
                "rotations keep it. This portal keeps the old DID trusted as \"Retired Seneca key\".")
    return ("For verifiers outside this portal, Seneca's identity changes.",
            f"With a did:key issuer the key *is* the identifier: credentials issued from now on name a new "
            f"DID instead of `{issuer_id}`. Wallets, hiring systems and other verifiers that trust Seneca by "
            "its DID will not recognise the new credentials as Seneca's until they add the new DID to their "
            "trust lists; this portal keeps the old DID trusted as \"Retired Seneca key\". To rotate "
            "without changing the identifier, configure a did:web issuer (MOSAICS_ISSUER_DID, see the "
            "README) first.")
