"""Staff: find earners, edit their consent to be found by industry partners, import earners from a CSV file."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from mosaics_match.services import bulk_issue, earner_import
from mosaics_match.services import earners as earner_service
from pages import common

viewer = common.guard(__file__)
rt = common.runtime()

FLASH_KEY = "staff_earners_flash"
AUDITED_KEY = "staff_earners_last_search"
IMPORTED_KEY = "staff_earners_imported"

st.title("Earners")
st.caption(
    "Earners decide whether industry partners may find them. When consent is withdrawn here, the earner "
    "disappears from every partner search at once."
)
flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    st.success(flash)

find_tab, import_tab = st.tabs(["Find and edit", "Import from a CSV file"])

with find_tab:
    query = st.text_input("Search by email or name", max_chars=200, key="earner_query")
    audit = bool(query.strip()) and st.session_state.get(AUDITED_KEY) != query.strip()
    earners = earner_service.find(rt, query=query, viewer=viewer, audit=audit)
    if audit:
        st.session_state[AUDITED_KEY] = query.strip()
    if not earners:
        st.info("No earners match." if query.strip() else "No earners yet: import them from a CSV file.")
    else:
        st.caption(f"{len(earners)} earner(s)" + (" (showing the first 200)" if len(earners) == 200 else ""))
        st.dataframe(pd.DataFrame([
            {"Name": e.name, "Email": e.email, "Discoverable": e.discoverable, "Shares email": e.share_email,
             "Location": e.location or "", "Credentials": e.credentials} for e in earners
        ]), hide_index=True, width="stretch")
        names = {e.id: f"{e.name} <{e.email}>" for e in earners}
        picked = st.selectbox("Earner", options=list(names), format_func=lambda i: names[i], key="earner_pick")
        chosen = next((e for e in earners if e.id == picked), None)
        if chosen is not None:
            with st.form(f"consent_{chosen.id}"):
                st.markdown(f"**Consent of {chosen.name}**")
                discoverable = st.toggle("Industry partners may find this earner", value=chosen.discoverable)
                share = st.toggle("Partners who find them may see their email address", value=chosen.share_email)
                saved = st.form_submit_button("Save consent", type="primary")
            if saved:
                if not earner_service.set_consent(rt, earner_id=chosen.id, discoverable=discoverable,
                                                  share_email=share, viewer=viewer):
                    st.error("This earner no longer exists.")
                st.session_state[FLASH_KEY] = (
                    f"Saved: {chosen.name} " + ("can be found by industry partners." if discoverable
                                               else "no longer appears in any partner search.")
                )
                st.rerun()

with import_tab:
    st.markdown(
        f"Columns: **email, name** and optionally **discoverable, share_email** (yes/no) and **location**. At most "
        f"{earner_import.MAX_ROWS:,} rows and {earner_import.MAX_CSV_BYTES // 1024} KB. Importing the same file "
        f"again changes nothing; an earner already registered keeps their consent choices (the consent columns "
        f"only apply to new earners)."
    )
    st.download_button("Download an example file", data=earner_import.template_csv(),
                       file_name="mosaics-earners-example.csv", mime="text/csv")
    upload = st.file_uploader("CSV file of earners", type=["csv"], key="earner_csv",
                              max_upload_size=2)
    if upload is not None:
        data = upload.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        plan: earner_import.EarnerPlan | None = None
        try:
            plan = earner_service.plan_import(rt, data=data)
        except bulk_issue.BulkError as exc:
            st.error(str(exc))
        if plan is not None:
            for problem in plan.problems:
                st.error(problem)
            bad = [r for r in plan.rows if not r.ok]
            if bad:
                st.error(f"{len(bad)} of {len(plan.rows)} rows have problems (see the Check column). Fix the file "
                         f"and upload it again; nothing has been imported.")
            st.dataframe(pd.DataFrame(plan.preview()), hide_index=True, width="stretch")
            report = st.session_state.get(IMPORTED_KEY, {}).get(digest)
            if report:
                st.success(f"Imported: {report}.")
            elif plan.ok:
                todo = sum(r.action in ("create", "update") for r in plan.rows)
                if st.button(f"Import {len(plan.rows)} rows ({todo} change(s))", type="primary"):
                    try:
                        result = earner_service.import_plan(rt, plan=plan, viewer=viewer)
                    except bulk_issue.BulkError as exc:
                        st.error(str(exc))
                    except earner_service.ImportConflict:
                        st.error("The database refused the import (another import may have added the same earners "
                                 "meanwhile). Nothing was imported; upload the file again to retry.")
                    else:
                        st.session_state.setdefault(IMPORTED_KEY, {})[digest] = result.summary()
                        st.rerun()
