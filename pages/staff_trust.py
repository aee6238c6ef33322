"""Staff: the trust registry — issuers whose credentials employers can rely on."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import streamlit as st

from mosaics_match.store import repo
from pages import common

viewer = common.guard(__file__)
rt = common.runtime()

FLASH_KEY = "staff_trust_flash"
PENDING_KEY = "staff_trust_pending_remove"
IMPORTED_KEY = "staff_trust_imported"

st.title("Trusted issuers")
st.caption(
    "A credential can be genuine and still come from an issuer nobody knows. Verification shows whether the "
    "issuer is on this list. Issuers are identified by a DID (`did:web:…`, `did:key:…`) or a web address."
)
flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    st.success(flash)

with rt.Session() as session:
    trusted = repo.trusted_issuers(session)
    export = repo.export_trust_registry(session)
    table = [
        {"Name": i.name, "Identifier": i.identifier, "Notes": i.notes or "",
         "Kind": "this portal" if i.is_local else ("Seneca (retired key)" if i.keys else "external")}
        for i in trusted
    ]

if trusted:
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")
else:
    st.info("The trust registry is empty.")

add_tab, edit_tab, file_tab = st.tabs(["Add an issuer", "Annotate or remove", "Import / export"])

with add_tab:
    with st.form("trust_add", clear_on_submit=True):
        ident = st.text_input("DID or web address", max_chars=500, placeholder="did:web:example.edu or https://example.edu")
        name = st.text_input("Name", max_chars=200)
        notes = st.text_area("Notes (optional)", max_chars=2000)
        added = st.form_submit_button("Add to the trust registry", type="primary")
    if added:
        try:
            normal = repo.normalise_issuer_identifier(ident)
            if not name.strip():
                raise repo.TrustFileError("Give the issuer's name.")
            with rt.Session.begin() as session:
                repo.trust_issuer(session, entry=repo.TrustEntry(normal, name.strip(), notes.strip() or None),
                                  actor=viewer.email, actor_role=viewer.role)
        except repo.TrustFileError as exc:
            st.error(str(exc))
        else:
            st.session_state[FLASH_KEY] = f"{name.strip()} ({normal}) is now trusted."
            st.rerun()

with edit_tab:
    if not trusted:
        st.info("Nothing to edit.")
    else:
        by_id = {i.identifier: i for i in trusted}
        picked = st.selectbox("Issuer", options=list(by_id), format_func=lambda k: f"{by_id[k].name} — {k}",
                              key="trust_pick")
        issuer = by_id.get(picked or "")
        if issuer is not None:
            with st.form(f"trust_edit_{issuer.id}"):
                new_name = st.text_input("Name", value=issuer.name, max_chars=200)
                new_notes = st.text_area("Notes", value=issuer.notes or "", max_chars=2000)
                saved = st.form_submit_button("Save")
            if saved:
                if not new_name.strip():
                    st.error("The name cannot be empty.")
                else:
                    with rt.Session.begin() as session:
                        repo.trust_issuer(session, entry=repo.TrustEntry(issuer.identifier, new_name.strip(),
                                                                          new_notes.strip()),
                                          actor=viewer.email, actor_role=viewer.role)
                    st.session_state[FLASH_KEY] = f"Saved {new_name.strip()}."
                    st.rerun()
            if issuer.is_local:
                st.caption("This portal's own issuer cannot be removed.")
            elif st.button("Remove from the trust registry…", key="trust_remove"):
                st.session_state[PENDING_KEY] = issuer.identifier

            def _dismissed() -> None:
                st.session_state.pop(PENDING_KEY, None)

            @st.dialog("Remove this issuer?", on_dismiss=_dismissed)
            def confirm_remove(identifier: str, label: str) -> None:
                st.markdown(f"Credentials from **{label}** will show as coming from an untrusted issuer.")
                b1 = b2 = st.container(horizontal=True)
                if b1.button("Yes, remove", type="primary", key="trust_remove_yes"):
                    try:
                        with rt.Session.begin() as session:
                            repo.untrust_issuer(session, identifier=identifier, actor=viewer.email,
                                                actor_role=viewer.role)
                    except repo.TrustFileError as exc:
                        st.error(str(exc))
                        return
                    st.session_state.pop(PENDING_KEY, None)
                    st.session_state[FLASH_KEY] = f"Removed {label} from the trust registry."
                    st.rerun()
                if b2.button("Cancel", key="trust_remove_no"):
                    st.session_state.pop(PENDING_KEY, None)
                    st.rerun()

            if st.session_state.get(PENDING_KEY) == issuer.identifier:
                confirm_remove(issuer.identifier, issuer.name)

with file_tab:
    st.download_button(
        "Export the trust registry (JSON)", data=json.dumps(export, indent=2, ensure_ascii=False) + "\n",
        file_name="mosaics-trusted-issuers.json", mime="application/json",
    )
    st.markdown(
        'Import a file in the form `{"issuers": [{"id": "<DID or web address>", "name": "…", "notes": "…"}]}` '
        f"(at most {repo.MAX_TRUST_ENTRIES:,} issuers, {repo.MAX_TRUST_FILE_BYTES // 1024} KB). Issuers in the file "
        "are added or updated; issuers not in the file are left as they are."
    )
    upload = st.file_uploader("Trust registry file", type=["json"], key="trust_json", max_upload_size=1)
    if upload is not None:
        data = upload.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        try:
            entries = repo.parse_trust_document(data)
        except repo.TrustFileError as exc:
            st.error(str(exc))
        else:
            st.dataframe(pd.DataFrame([{"Identifier": e.identifier, "Name": e.name, "Notes": e.notes or ""}
                                       for e in entries]), hide_index=True, width="stretch")
            done = st.session_state.get(IMPORTED_KEY, {}).get(digest)
            if done:
                st.success(f"Imported: {done['added']} added, {done['updated']} updated, {done['unchanged']} unchanged.")
            elif st.button(f"Import {len(entries)} issuer(s)", type="primary"):
                with rt.Session.begin() as session:
                    counts = repo.import_trust_registry(session, entries=entries, actor=viewer.email,
                                                        actor_role=viewer.role)
                st.session_state.setdefault(IMPORTED_KEY, {})[digest] = counts
                st.rerun()
