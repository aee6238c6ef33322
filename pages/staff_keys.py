"""Staff: Seneca's signing keys — generate, rotate, see fingerprints. Private keys are never shown."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mosaics_match.services import issuing, startup
from mosaics_match.store import repo
from mosaics_match.store.keystore import KeySecretError
from pages import common

viewer = common.guard(__file__)
rt = common.runtime()

FLASH_KEY = "staff_keys_flash"
PENDING_KEY = "staff_keys_confirm_rotate"

st.title("Signing keys")
st.caption(
    "Seneca signs credentials and status lists with an Ed25519 key. Private keys are stored encrypted with the "
    "configured key secret and are never shown. Rotating creates a new key for new credentials; old keys stay "
    "published so everything they signed still verifies."
)
flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    st.success(flash)

if rt.settings.base_url_configured:
    mismatch = startup.served_mismatch(rt.settings.base_url, common.browser_origin())
    if mismatch:
        st.warning(f"{mismatch} Set MOSAICS_BASE_URL to the address people use, or reach the portal there.",
                   icon=":material/link_off:")
else:
    st.info(f"MOSAICS_BASE_URL is not set, so links name the address each visitor uses (yours: "
            f"{rt.settings.base_url}). A deployment should set it, so that credentials issued here name one "
            "lasting address.", icon=":material/link:")

secret_ok = bool(rt.settings.key_secret)
if not secret_ok:
    st.error(
        "Signing is switched off: no key secret is configured (MOSAICS_KEY_SECRET). Without it the portal cannot "
        "open or create signing keys, so nothing can be issued, revoked or rotated. Ask the administrator to set it."
    )

with rt.Session() as session:
    local = repo.get_local_issuer(session)
    rows = []
    for issuer in repo.all_issuers(session):
        for key in repo.issuer_keys(session, issuer=issuer):
            rows.append({
                "Status": "active" if (issuer.is_local and key.retired_at is None) else "retired (verification only)",
                "Fingerprint": key.fingerprint, "Algorithm": key.algorithm, "Issuer": issuer.identifier,
                "Key ID (verification method)": key.verification_method,
                "Created": key.created_at.strftime("%Y-%m-%d %H:%M"),
                "Retired": key.retired_at.strftime("%Y-%m-%d %H:%M") if key.retired_at else "",
            })
    active = repo.active_key(session, issuer=local) if local is not None else None

if local is None or active is None:
    st.warning("Seneca has no active signing key yet.")
    if st.button("Generate a signing key", type="primary", disabled=not secret_ok):
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
        except (issuing.IssuingError, KeySecretError) as exc:
            st.error(f"No key was created: {exc}")
        else:
            st.session_state[FLASH_KEY] = f"New signing key created (fingerprint {key.fingerprint})."
            st.rerun()
else:
    st.markdown(f"**Active key** · fingerprint `{active.fingerprint}`")
    st.caption(f"Issuer `{local.identifier}` · key ID `{active.verification_method}` · "
               f"created {active.created_at:%Y-%m-%d}")
    row = st.container(horizontal=True)
    c1 = c2 = row
    if c1.button("Check the key secret", disabled=not secret_ok,
                 help="Opens the active key with the configured secret, without signing anything."):
        try:
            with rt.Session() as session:
                issuing.open_signer(session, settings=rt.settings)
        except issuing.IssuingError as exc:
            st.error(str(exc))
        else:
            st.success("The configured key secret opens the active key: signing works.")
    if c2.button("Rotate the key…", disabled=not secret_ok):
        st.session_state[PENDING_KEY] = True

    def _dismissed() -> None:
        st.session_state.pop(PENDING_KEY, None)

    def rotation_effect(issuer_id: str) -> tuple[str, str]:
        """What a rotation changes for verifiers outside this portal: (headline, explanation)."""
        web = rt.settings.issuer_did if rt.settings.issuer_did.startswith("did:web:") else ""
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

    st.caption(f"Before rotating: {rotation_effect(local.identifier)[0]}")

    @st.dialog("Rotate the signing key?", on_dismiss=_dismissed)
    def confirm_rotate() -> None:
        st.markdown(
            "A new key will sign every credential issued from now on. The current key is retired: it stays "
            "published so the credentials it signed keep verifying, and it still maintains their status lists."
        )
        headline, explanation = rotation_effect(local.identifier)
        st.warning(f"**{headline}** {explanation}", icon=":material/public:")
        b1 = b2 = st.container(horizontal=True)
        if b1.button("Yes, rotate", type="primary", key="rotate_yes"):
            try:
                with rt.Session.begin() as session:
                    key = issuing.rotate_key(session, settings=rt.settings, actor=viewer.email)
            except (issuing.IssuingError, KeySecretError) as exc:
                st.error(f"The key was not rotated: {exc}")
                return
            st.session_state.pop(PENDING_KEY, None)
            st.session_state[FLASH_KEY] = f"Key rotated. New fingerprint {key.fingerprint}."
            st.rerun()
        if b2.button("Cancel", key="rotate_no"):
            st.session_state.pop(PENDING_KEY, None)
            st.rerun()

    if st.session_state.get(PENDING_KEY):
        confirm_rotate()

st.subheader("All keys")
if rows:
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
else:
    st.info("No keys yet.")
