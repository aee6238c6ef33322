"""Staff: the audit log — read, filter and export. Nothing here (or anywhere) edits or deletes an event."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from mosaics_match.services import audit_log
from pages import common

viewer = common.guard(__file__)
rt = common.runtime()

MAX_EVENTS = audit_log.MAX_EVENTS

st.title("Audit log")
st.caption(
    "Every sign-in, verification, search, issuance, status change and administrative action, newest first. "
    "The log is append-only: the database itself refuses to change or delete an event, and every event is sealed "
    "into a chain, so a change made around the portal (an edit, a deletion, an event slipped in later) shows."
)

CHAIN_KEY = "staff_audit_chain_report"
if st.button("Verify the audit chain", icon=":material/link:", key="audit_verify_chain",
             help="Checks every event's seal and their order, as `python -m mosaics_match audit verify` does."):
    with st.spinner("Checking every event…"):
        st.session_state[CHAIN_KEY] = audit_log.verify_chain(rt, viewer=viewer)
chain_report = st.session_state.get(CHAIN_KEY)
if chain_report is not None:
    if chain_report.ok:
        st.success(chain_report.summary() + (f" Chain head `{chain_report.head}`." if chain_report.head else ""),
                   icon=":material/verified:")
    else:
        st.error(chain_report.summary() + (f" Start with event #{chain_report.first_bad_id}."
                                           if chain_report.first_bad_id is not None else ""),
                 icon=":material/gpp_bad:")

actions = audit_log.actions(rt)

c1, c2, c3, c4 = st.columns([1, 1, 1, 1])
action = c1.selectbox("Action", options=["(all)", *actions], key="audit_action")
actor = c2.text_input("Actor (email contains)", max_chars=320, key="audit_actor")
today = date.today()
since = c3.date_input("From", value=today - timedelta(days=30), key="audit_since")
until = c4.date_input("To (inclusive)", value=today, key="audit_until")
limit = st.select_slider("At most", options=[100, 500, 1000, MAX_EVENTS], value=500, key="audit_limit")

if since and until and since > until:
    st.error("The start date is after the end date.")
    st.stop()

filters = audit_log.AuditFilters(action=None if action == "(all)" else action, actor=actor.strip() or None,
                                 since=since or None, until=until or None, limit=int(limit))
records = audit_log.search(rt, filters=filters)

st.caption(f"{len(records):,} event(s)" + (f" (the newest {limit:,}; narrow the filters to see older ones)"
                                            if len(records) == limit else ""))
if records:
    st.dataframe(
        pd.DataFrame([{**r.as_dict(), "details": r.details_json()} for r in records]),
        hide_index=True, width="stretch",
        column_config={"id": st.column_config.NumberColumn("#", format="%d")},
    )

    def _record_export(fmt: str) -> None:
        audit_log.record_export(rt, viewer=viewer, fmt=fmt, count=len(records), filters=filters)

    row = st.container(horizontal=True)
    d1 = d2 = row
    d1.download_button("Export CSV", data=audit_log.export_csv(records), file_name="mosaics-audit.csv", mime="text/csv",
                       on_click=_record_export, args=("csv",), key="audit_csv")
    d2.download_button("Export JSON", data=audit_log.export_json(records),
                       file_name="mosaics-audit.json", mime="application/json", on_click=_record_export,
                       args=("json",), key="audit_json")
else:
    st.info("No events match these filters.")
