"""Staff: find credentials and revoke, suspend or reinstate them (with a reason, after confirmation)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mosaics_match.exports import certificate
from mosaics_match.services import issuing, status_admin
from pages import common

viewer = common.guard(__file__)
rt = common.runtime()

FLASH_KEY = "staff_status_flash"
AUDITED_KEY = "staff_status_last_search"
PENDING_KEY = "staff_status_pending"
ACTIONS = {
    "revoke": ("Revoke", "Revoking is permanent: the credential will fail verification from now on."),
    "suspend": ("Suspend", "A suspended credential fails verification until it is reinstated."),
    "reinstate": ("Reinstate", "The credential will verify again."),
}

st.title("Revoke and suspend")
st.caption(
    "Changes take effect at once: the signed status list that verifiers check is updated and re-signed in the "
    "same step, and the earner drops out of partner searches while the credential is not valid."
)

flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    st.success(flash)


def _dismissed() -> None:
    st.session_state.pop(PENDING_KEY, None)


# The pending action lives in session state so the dialog stays open across its own reruns (typing the reason)
# and closes on confirm, cancel or dismissal.
@st.dialog("Confirm the status change", on_dismiss=_dismissed)
def confirm(credential_id: str, action: str, label: str) -> None:
    verb, consequence = ACTIONS[action]
    st.markdown(f"**{verb}** {label}?")
    st.caption(consequence)
    reason = st.text_area("Reason (kept in the audit log)", max_chars=500, key=f"reason_{action}")
    public_reason = ""
    if action != "reinstate":
        public_reason = st.text_input(
            "Reason shown to verifiers (optional)", max_chars=300, key=f"public_reason_{action}",
            help="Whoever checks this credential here sees the date and, if you write one, this reason. Leave it "
                 "empty to show only the date. Do not put personal details here.")
    c1 = c2 = st.container(horizontal=True)
    if c1.button(f"Yes, {verb.lower()}", type="primary", key="confirm_yes"):
        if not reason.strip():
            st.error("Give a reason before confirming.")
            return
        try:
            status_admin.change_status(rt, credential_id=credential_id, action=action, reason=reason,
                                       public_reason=public_reason, viewer=viewer)
        except issuing.IssuingError as exc:
            st.error(str(exc))
            return
        st.session_state.pop(PENDING_KEY, None)
        st.session_state[FLASH_KEY] = f"{verb} done: {label}."
        st.rerun()
    if c2.button("Cancel", key="confirm_no"):
        st.session_state.pop(PENDING_KEY, None)
        st.rerun()


c1, c2 = st.columns([3, 1])
query = c1.text_input("Search by earner email or name, micro-credential, or credential ID", max_chars=200,
                      key="status_query")
state = c2.selectbox("Show", ["any", "valid", "suspended", "revoked"], key="status_state")

audit = bool(query.strip()) and st.session_state.get(AUDITED_KEY) != (query.strip(), state)
found = status_admin.find(rt, query=query, state=state or "any", viewer=viewer, audit=audit)
if audit:
    # One audit event per distinct search, not per rerun of the page.
    st.session_state[AUDITED_KEY] = (query.strip(), state)
rows = [
    {"Earner": c.earner_name, "Email": c.earner_email, "Micro-credential": c.achievement_name,
     "Issued": c.issued_at.strftime("%Y-%m-%d"), "Status": c.status, "Format": c.proof_format,
     "Published": "yes" if c.public else "no", "Share link": "active" if c.share_link else "none",
     "Credential ID": c.credential_id}
    for c in found
]
options = {c.credential_id: c.label for c in found}

if not rows:
    st.info("No credentials match." if query.strip() else "No credentials have been issued yet.")
    st.stop()
st.caption(f"{len(rows)} credential(s)" + (" (showing the newest 200)" if len(rows) == 200 else ""))
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")

chosen = st.selectbox("Credential", options=list(options), format_func=lambda cid: options[cid], key="status_pick")
if chosen:
    cred = status_admin.detail(rt, credential_id=chosen)
    assert cred is not None
    papers = cred.papers
    label = cred.label
    with st.container(border=True):
        st.markdown(f"**{label}** · {papers.earner_email}")
        status = cred.status
        colour = {"valid": "green", "suspended": "orange", "revoked": "red"}[status]
        st.markdown(f"Status: :{colour}[**{status}**]"
                    + (f" since {cred.status_changed_at:%Y-%m-%d %H:%M} UTC"
                       if cred.status_changed_at and status != "valid" else "")
                    + (f" — reason: {cred.status_reason}" if cred.status_reason else ""))
        if cred.public_status_reason and status != "valid":
            st.caption(f"Verifiers see: {cred.public_status_reason}")
        st.caption("Sharing (the earner decides): " + ("published — anyone can download the file"
                                                       if cred.public else "not published")
                   + " · " + ("an active verification link" if cred.share_link else "no verification link"))
        st.caption(
            f"Issued {papers.issued_at:%Y-%m-%d} · valid from {cred.valid_from:%Y-%m-%d}"
            + (f" until {cred.valid_until:%Y-%m-%d}" if cred.valid_until else " · no end date")
            + f" · status list {cred.status_list_number}, entry {cred.status_index}"
        )
        for lst in cred.lists:
            st.caption(f"{lst.purpose.capitalize()} list {lst.number}: version {lst.version}, re-signed "
                       f"{lst.updated_at:%Y-%m-%d %H:%M:%S} UTC — {lst.url}")
        b1 = b2 = b3 = st.container(horizontal=True)
        if not cred.revoked:
            if b1.button("Revoke…", key="do_revoke"):
                st.session_state[PENDING_KEY] = (chosen, "revoke")
            if not cred.suspended and b2.button("Suspend…", key="do_suspend"):
                st.session_state[PENDING_KEY] = (chosen, "suspend")
            if cred.suspended and b3.button("Reinstate…", key="do_reinstate"):
                st.session_state[PENDING_KEY] = (chosen, "reinstate")
            pending = st.session_state.get(PENDING_KEY)
            if pending and pending[0] == chosen:
                confirm(chosen, pending[1], label)
        else:
            st.caption("Revocation is permanent.")
        link = papers.link
        st.markdown(f"Staff verification link: [{link}]({link})")
        cert_data = papers.certificate
        with st.expander("Files and certificate"):
            files = papers.files
            row = st.container(horizontal=True)
            cols = [row] * (len(files) + 1)
            for col, f in zip(cols, files):
                col.download_button(f.label, data=f.data, file_name=f.filename, mime=f.mime, key=f"st_{f.filename}")
            cols[-1].download_button(
                "Printable certificate (PDF)",
                data=lambda: certificate.certificate_pdf(cert_data),  # rendered only when clicked
                file_name=f"{files[0].filename.rsplit('.', 1)[0]}-certificate.pdf", mime="application/pdf",
                key="st_pdf",
            )
