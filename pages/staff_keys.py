"""Staff: Seneca's signing keys — generate, rotate, see fingerprints. Private keys are never shown."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mosaics_match.services import keys, startup
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

overview = keys.overview(rt)
local, active = overview.local_issuer, overview.active
rows = [{
    "Status": "active" if key.active else "retired (verification only)",
    "Fingerprint": key.fingerprint, "Algorithm": key.algorithm, "Issuer": key.issuer,
    "Key ID (verification method)": key.verification_method,
    "Created": key.created_at.strftime("%Y-%m-%d %H:%M"),
    "Retired": key.retired_at.strftime("%Y-%m-%d %H:%M") if key.retired_at else "",
} for key in overview.keys]

if local is None or active is None:
    st.warning("Seneca has no active signing key yet.")
    if st.button("Generate a signing key", type="primary", disabled=not secret_ok):
        try:
            key = keys.generate(rt, viewer=viewer)
        except keys.KeysError as exc:
            st.error(f"No key was created: {exc}")
        else:
            st.session_state[FLASH_KEY] = f"New signing key created (fingerprint {key.fingerprint})."
            st.rerun()
else:
    st.markdown(f"**Active key** · fingerprint `{active.fingerprint}`")
    st.caption(f"Issuer `{local}` · key ID `{active.verification_method}` · "
               f"created {active.created_at:%Y-%m-%d}")
    row = st.container(horizontal=True)
    c1 = c2 = row
    if c1.button("Check the key secret", disabled=not secret_ok,
                 help="Opens the active key with the configured secret, without signing anything."):
        try:
            keys.check_secret(rt)
        except keys.KeysError as exc:
            st.error(str(exc))
        else:
            st.success("The configured key secret opens the active key: signing works.")
    if c2.button("Rotate the key…", disabled=not secret_ok):
        st.session_state[PENDING_KEY] = True

    def _dismissed() -> None:
        st.session_state.pop(PENDING_KEY, None)

    def rotation_effect(issuer_id: str) -> tuple[str, str]:
        """What a rotation changes for verifiers outside this portal: (headline, explanation)."""
        return keys.rotation_effect(rt.settings, issuer_id)

    st.caption(f"Before rotating: {rotation_effect(local)[0]}")

    @st.dialog("Rotate the signing key?", on_dismiss=_dismissed)
    def confirm_rotate() -> None:
        st.markdown(
            "A new key will sign every credential issued from now on. The current key is retired: it stays "
            "published so the credentials it signed keep verifying, and it still maintains their status lists."
        )
        headline, explanation = rotation_effect(local)
        st.warning(f"**{headline}** {explanation}", icon=":material/public:")
        b1 = b2 = st.container(horizontal=True)
        if b1.button("Yes, rotate", type="primary", key="rotate_yes"):
            try:
                key = keys.rotate(rt, viewer=viewer)
            except keys.KeysError as exc:
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
