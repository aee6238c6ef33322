"""Staff: the console overview — where Seneca staff land after signing in."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mosaics_match.services import console
from pages import common

viewer = common.guard(__file__)
rt = common.runtime()

st.title("Staff console")
st.caption(f"Signed in as {viewer.display_name}. Figures are live; every change you make here is audited.")

overview = console.overview(rt)
figures, locked = overview.figures, overview.locked_accounts
events = [{"When (UTC)": e.at.strftime("%Y-%m-%d %H:%M:%S"), "Who": e.actor, "Action": e.action,
           "Subject": e.subject, "Outcome": e.outcome} for e in overview.recent]

cols = st.columns(4)
cols[0].metric("Credentials issued", f"{figures.credentials:,}")
cols[1].metric("Currently valid", f"{figures.valid_credentials:,}")
cols[2].metric("Revoked / suspended", f"{figures.revoked:,} / {figures.suspended:,}")
cols[3].metric("Locked accounts", f"{locked:,}")

if locked:
    st.warning(f"{locked} account(s) are locked after repeated wrong passwords.",
               icon=":material/lock:")
    st.page_link("pages/staff_accounts.py", label="Unlock accounts", icon=":material/lock_open:")

st.subheader("Work")
links = st.columns(3)
for i, spec in enumerate(s for s in common.routed_pages(viewer.role)
                         if s.section == "Staff console" and s.path != "pages/staff_home.py"):
    links[i % 3].page_link(spec.path, label=spec.title, icon=spec.icon)

st.subheader("Latest events in the audit log")
if events:
    st.dataframe(pd.DataFrame(events), hide_index=True, width="stretch")
else:
    st.info("The audit log is empty.")
