"""My credentials (earners): claim a credential, see and share what I hold, decide who may find me.

Everything here is scoped to the earner id of the server-side viewer (a signed session token checked on every
run); nothing typed or stored in the browser can widen it to another earner's credentials.
"""

from __future__ import annotations

import streamlit as st

from mosaics_match import claims, repo, sharing
from mosaics_match.models import Earner
from pages import common

viewer = common.guard(__file__)
rt = common.runtime()

st.title("My credentials")

if viewer.earner_id is None:
    st.error("Your account is not linked to an earner record yet, so there are no credentials to show. "
             "Ask Seneca staff to link it.")
    st.stop()
earner_id: int = viewer.earner_id

# --- claim ----------------------------------------------------------------------------------------------------
with st.container(border=True):
    st.subheader("Claim a credential")
    st.write("When Seneca issues you a micro-credential you receive a one-time claim code. Enter it here to add "
             "the credential to your list.")
    with st.form("claim_form", clear_on_submit=True):
        code = st.text_input("Claim code", placeholder="ABCD-EFGH-JKMN", max_chars=claims.MAX_CODE_LENGTH,
                             key="claim_code")
        claim_clicked = st.form_submit_button("Claim", type="primary")
    if claim_clicked:
        if not (code or "").strip():
            st.error("Enter the claim code from your email.")
        else:
            with rt.Session.begin() as session:
                result = claims.claim_credential(session, earner_id=earner_id, actor=viewer.email, code=code)
            if result.ok:
                st.success(result.message)
            elif result.outcome == "already":
                st.info(result.message)
            else:
                st.error(result.message)
    with rt.Session() as session:
        waiting = claims.unclaimed_count(session, earner_id=earner_id)
    if waiting:
        st.caption(f"{waiting} credential{'s' if waiting != 1 else ''} issued to you "
                   f"{'are' if waiting != 1 else 'is'} waiting for a claim code.")

# --- consent --------------------------------------------------------------------------------------------------
with st.container(border=True):
    st.subheader("Who can find me")
    with rt.Session() as session:
        earner = session.get(Earner, earner_id)
        current = (earner.discoverable, earner.share_email) if earner is not None else (False, False)
    discoverable = st.toggle(
        "Industry partners may find me when they search for skills", value=current[0], key="consent_discoverable",
        help="Partners see your name, location and your valid Mosaics credentials. Turn this off at any time; "
             "you disappear from every search at once.")
    share_email = st.toggle(
        "Show my email address to those partners", value=current[1], key="consent_share_email",
        disabled=not discoverable, help="Otherwise partners contact you through Seneca.")
    if (discoverable, share_email) != current:
        with rt.Session.begin() as session:
            earner = session.get(Earner, earner_id)
            if earner is not None:
                repo.set_consent(session, earner=earner, discoverable=discoverable, share_email=share_email,
                                 actor=viewer.email, actor_role=viewer.role)
        st.success("Saved. " + ("Partners can now find you." if discoverable else
                                "Partners can no longer find you in searches."))

# --- the list -------------------------------------------------------------------------------------------------
with rt.Session() as session:
    rows = sharing.owned_credentials(session, earner_id=earner_id)
    items = []
    for row in rows:
        status = sharing.credential_status(row)
        link = sharing.verification_link(rt.settings.base_url, row.credential_id)
        try:
            files = sharing.downloads(row)
            problem = None
        except Exception as exc:  # a damaged stored document must not break the whole page
            files, problem = [], str(exc)
        items.append({
            "id": row.credential_id, "name": row.achievement.name, "school": row.achievement.school,
            "partner": row.achievement.partner, "status": status, "issued": row.issued_at,
            "valid_until": row.valid_until, "format": row.proof_format, "link": link, "files": files,
            "problem": problem, "competencies": [c.name for c in row.achievement.competencies],
        })

st.subheader(f"My credentials ({len(items)})")
if not items:
    st.info("You have no claimed credentials yet. Claim one above with the code Seneca sent you.")

BADGE_COLOURS = {"valid": "green", "revoked": "red", "suspended": "orange", "expired": "gray", "pending": "blue"}
for n, item in enumerate(items):
    with st.container(border=True, key=f"credential_{n}"):
        head, badge = st.columns([5, 1])
        head.markdown(f"**{item['name']}**  \n{item['school']}"
                      + (f" · with {item['partner']}" if item["partner"] else ""))
        with badge:
            st.badge(sharing.STATUS_LABELS[item["status"]], color=BADGE_COLOURS[item["status"]])
        until = item["valid_until"].strftime("%d %b %Y") if item["valid_until"] else "no expiry"
        st.caption(f"Issued {item['issued']:%d %b %Y} · valid until {until} · proof: {item['format']}")
        if item["competencies"]:
            st.caption("Competencies: " + ", ".join(item["competencies"]))
        if item["status"] in ("revoked", "suspended"):
            st.warning("Seneca has " + ("revoked" if item["status"] == "revoked" else "suspended") + " this "
                       "credential, so a verifier will see that it is not currently valid.")
        if item["problem"]:
            st.error("This credential's stored file could not be prepared for download. Ask Seneca staff.")
        row_of_buttons = st.container(horizontal=True)
        for f in item["files"]:
            row_of_buttons.download_button(f.label, data=f.data, file_name=f.file_name, mime=f.mime, on_click="ignore",
                                key=f"dl_{n}_{f.file_name.rsplit('.', 1)[-1]}_{f.label[:4]}")
        with st.expander("Share: verification link and QR code"):
            left, right = st.columns([3, 1])
            with left:
                st.write("Anyone with this link can check the credential on the Mosaics verify page:")
                st.code(item["link"], language=None, wrap_lines=True)
                st.caption("Use the copy button on the right of the link. Put the QR code on your résumé.")
            with right:
                st.image(sharing.qr_png(item["link"]), caption="Scan to verify", width=160,
                         alt="QR code of the verification link")
