"""Staff: the audit log — read, filter and export. Nothing here (or anywhere) edits or deletes an event."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, time, timedelta, timezone

import pandas as pd
import streamlit as st
from sqlalchemy import select

from mosaics_match.exports import csv as csv_export
from mosaics_match.store import audit_chain
from mosaics_match.store import repo
from mosaics_match.services.bulk_issue import safe_cell
from mosaics_match.store.models import AuditEvent
from pages import common

viewer = common.guard(__file__)
rt = common.runtime()

MAX_EVENTS = 5000

st.title("Audit log")
st.caption(
    "Every sign-in, verification, search, issuance, status change and administrative action, newest first. "
    "The log is append-only: the database itself refuses to change or delete an event, and every event is sealed "
    "into a chain, so a change made around the portal (an edit, a deletion, an event slipped in later) shows."
)

CHAIN_KEY = "staff_audit_chain_report"
if st.button("Verify the audit chain", icon=":material/link:", key="audit_verify_chain",
             help="Checks every event's seal and their order, as `python -m mosaics_match audit verify` does."):
    if not rt.settings.key_secret:
        st.session_state[CHAIN_KEY] = audit_chain.ChainReport(False, 0, 0, problem="no key secret is configured "
                                                               "(MOSAICS_KEY_SECRET), so the seals cannot be checked.")
    else:
        with st.spinner("Checking every event…"), rt.Session() as session:
            report = audit_chain.verify_chain(session, key=audit_chain.chain_key(rt.settings.key_secret))
        with rt.Session.begin() as session:
            repo.record_audit(session, actor=viewer.email, actor_role=viewer.role, action="audit_verify",
                              outcome="intact" if report.ok else "broken",
                              details={"sealed": report.sealed, "unsealed": report.unsealed,
                                       "first_bad_id": report.first_bad_id})
        st.session_state[CHAIN_KEY] = report
chain_report = st.session_state.get(CHAIN_KEY)
if chain_report is not None:
    if chain_report.ok:
        st.success(chain_report.summary() + (f" Chain head `{chain_report.head}`." if chain_report.head else ""),
                   icon=":material/verified:")
    else:
        st.error(chain_report.summary() + (f" Start with event #{chain_report.first_bad_id}."
                                           if chain_report.first_bad_id is not None else ""),
                 icon=":material/gpp_bad:")

with rt.Session() as session:
    actions = sorted(a for a in session.scalars(select(AuditEvent.action).distinct()) if a)

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

with rt.Session() as session:
    events = repo.list_audit(
        session, action=None if action == "(all)" else action, actor=actor.strip() or None,
        since=datetime.combine(since, time(0, 0), tzinfo=timezone.utc) if since else None,
        until=datetime.combine(until, time(0, 0), tzinfo=timezone.utc) + timedelta(days=1) - timedelta(microseconds=1)
        if until else None,
        limit=int(limit),
    )
    records = [
        {"id": e.id, "at": e.at.isoformat(timespec="seconds"), "actor": e.actor, "role": e.actor_role,
         "action": e.action, "subject": e.subject or "", "outcome": e.outcome or "", "details": e.details or {}}
        for e in events
    ]

st.caption(f"{len(records):,} event(s)" + (f" (the newest {limit:,}; narrow the filters to see older ones)"
                                            if len(records) == limit else ""))
if records:
    st.dataframe(
        pd.DataFrame([{**r, "details": json.dumps(r["details"], ensure_ascii=False, sort_keys=True)} for r in records]),
        hide_index=True, width="stretch",
        column_config={"id": st.column_config.NumberColumn("#", format="%d")},
    )
    out = io.StringIO()
    writer = csv_export.writer(out)
    writer.writerow(["id", "at", "actor", "role", "action", "subject", "outcome", "details"])
    for r in records:
        writer.writerow([r["id"], r["at"], safe_cell(r["actor"]), r["role"], r["action"], safe_cell(r["subject"]),
                         safe_cell(r["outcome"]), safe_cell(json.dumps(r["details"], ensure_ascii=False, sort_keys=True))])

    def _record_export(fmt: str) -> None:
        with rt.Session.begin() as session:
            repo.record_audit(session, actor=viewer.email, actor_role=viewer.role, action="audit_export",
                              subject=f"{len(records)} events", outcome="success",
                              details={"format": fmt, "action": action, "actor": actor.strip(),
                                       "since": str(since), "until": str(until)})

    row = st.container(horizontal=True)
    d1 = d2 = row
    d1.download_button("Export CSV", data=out.getvalue(), file_name="mosaics-audit.csv", mime="text/csv",
                       on_click=_record_export, args=("csv",), key="audit_csv")
    d2.download_button("Export JSON", data=json.dumps({"events": records}, indent=2, ensure_ascii=False),
                       file_name="mosaics-audit.json", mime="application/json", on_click=_record_export,
                       args=("json",), key="audit_json")
else:
    st.info("No events match these filters.")
