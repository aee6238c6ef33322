"""Staff: the trust registry — issuers whose credentials employers can rely on, and which of them count in partner
searches when earners add their credentials."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from mosaics_match.services import trust
from pages import common

viewer = common.guard(__file__)
rt = common.runtime()

FLASH_KEY = "staff_trust_flash"
PENDING_KEY = "staff_trust_pending_remove"
IMPORTED_KEY = "staff_trust_imported"

st.title("Trusted issuers")
st.caption(
    "A credential can be genuine and still come from an issuer nobody knows. Verification shows whether the "
    "issuer is on this list. Issuers are identified by a DID (`did:web:…`, `did:key:…`) or a web address. "
    "Earners can add credentials from other issuers to their profile: those count in partner searches only when "
    "their issuer is on this list with **Counts in partner search** on. Credentials from other issuers are kept "
    "for their earners but never count."
)
flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    st.success(flash)

trusted = trust.list_trusted(rt)
if trusted:
    st.dataframe(pd.DataFrame([{"Name": i.name, "Counts in partner search": i.counts_in_search, "Kind": i.kind,
                                "Identifier": i.identifier, "Notes": i.notes} for i in trusted]),
                 hide_index=True, width="stretch",
                 column_config={"Counts in partner search": st.column_config.CheckboxColumn(
                     "Counts in partner search",
                     help="Whether credentials earners add from this issuer count in partner searches")})
else:
    st.info("The trust registry is empty.")

add_tab, edit_tab, file_tab = st.tabs(["Add an issuer", "Annotate or remove", "Import / export"])

with add_tab:
    with st.form("trust_add", clear_on_submit=True):
        ident = st.text_input("DID or web address", max_chars=500, placeholder="did:web:example.edu or https://example.edu")
        name = st.text_input("Name", max_chars=200)
        notes = st.text_area("Notes (optional)", max_chars=2000)
        counts = st.checkbox("Counts in partner search", value=False, key="trust_add_counts",
                             help="Credentials earners add from this issuer then count in partner searches.")
        added = st.form_submit_button("Add to the trust registry", type="primary")
    if added:
        try:
            normal = trust.add_issuer(rt, identifier=ident, name=name, notes=notes, counts_in_search=counts,
                                      actor=viewer.email, actor_role=viewer.role)
        except trust.TrustError as exc:
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
            with st.form(f"trust_edit_{issuer.identifier}"):
                new_name = st.text_input("Name", value=issuer.name, max_chars=200)
                new_notes = st.text_area("Notes", value=issuer.notes, max_chars=2000)
                saved = st.form_submit_button("Save")
            if saved:
                try:
                    trust.update_issuer(rt, identifier=issuer.identifier, name=new_name, notes=new_notes,
                                        actor=viewer.email, actor_role=viewer.role)
                except trust.TrustError as exc:
                    st.error(str(exc))
                else:
                    st.session_state[FLASH_KEY] = f"Saved {new_name.strip()}."
                    st.rerun()
            if issuer.is_local:
                st.caption("This portal's own issuer cannot be removed, and its credentials always count in "
                           "partner searches.")
            else:
                wanted = st.toggle("Counts in partner search", value=issuer.counts_in_search,
                                   key=f"trust_counts_{issuer.identifier}",
                                   help="When on, credentials earners add from this issuer count in partner "
                                        "searches (from the next search on).")
                if wanted != issuer.counts_in_search:
                    try:
                        trust.set_counts_in_search(rt, identifier=issuer.identifier, counts=wanted,
                                                   actor=viewer.email, actor_role=viewer.role)
                    except trust.TrustError as exc:
                        st.error(str(exc))
                    else:
                        st.session_state[FLASH_KEY] = (f"Credentials from {issuer.name} "
                                                       + ("now count" if wanted else "no longer count")
                                                       + " in partner searches.")
                        st.rerun()
                if st.button("Remove from the trust registry…", key="trust_remove"):
                    st.session_state[PENDING_KEY] = issuer.identifier

            def _dismissed() -> None:
                st.session_state.pop(PENDING_KEY, None)

            @st.dialog("Remove this issuer?", on_dismiss=_dismissed)
            def confirm_remove(identifier: str, label: str) -> None:
                st.markdown(f"Credentials from **{label}** will show as coming from an untrusted issuer, and those "
                            "earners added stop counting in partner searches.")
                b1 = b2 = st.container(horizontal=True)
                if b1.button("Yes, remove", type="primary", key="trust_remove_yes"):
                    try:
                        trust.remove_issuer(rt, identifier=identifier, actor=viewer.email, actor_role=viewer.role)
                    except trust.TrustError as exc:
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
        "Export the trust registry (JSON)", data=trust.export_json(rt),
        file_name="mosaics-trusted-issuers.json", mime="application/json",
    )
    st.markdown(
        'Import a file in the form `{"issuers": [{"id": "<DID or web address>", "name": "…", "notes": "…"}]}` '
        f"(at most {trust.MAX_ENTRIES:,} issuers, {trust.MAX_FILE_BYTES // 1024} KB). Issuers in the file "
        "are added or updated; issuers not in the file are left as they are. Whether an issuer counts in partner "
        "searches is set here, one issuer at a time, never by a file."
    )
    upload = st.file_uploader("Trust registry file", type=["json"], key="trust_json", max_upload_size=1)
    if upload is not None:
        data = upload.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        try:
            preview = trust.preview_import(data)
        except trust.TrustError as exc:
            st.error(str(exc))
        else:
            st.dataframe(pd.DataFrame([{"Identifier": e.identifier, "Name": e.name, "Notes": e.notes or ""}
                                       for e in preview.entries]), hide_index=True, width="stretch")
            done = st.session_state.get(IMPORTED_KEY, {}).get(digest)
            if done:
                st.success(f"Imported: {done['added']} added, {done['updated']} updated, "
                           f"{done['unchanged']} unchanged.")
            elif st.button(f"Import {len(preview.entries)} issuer(s)", type="primary"):
                counts = trust.import_issuers(rt, preview=preview, actor=viewer.email, actor_role=viewer.role)
                st.session_state.setdefault(IMPORTED_KEY, {})[digest] = counts
                st.rerun()
