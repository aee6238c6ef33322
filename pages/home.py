"""Home: what Mosaics is, live figures, and the catalogue at a glance."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mosaics_match.services import catalogue
from pages import common

viewer = common.guard(__file__)
rt = common.runtime()

st.title("Seneca Mosaics")
st.markdown(
    "Micro-credentials built with industry partners: short, skills-based credentials that learners earn by "
    "demonstrating the competencies employers asked for. **Employers** check a candidate's credential here in "
    "seconds; **industry partners** find earners whose verified skills fit a job; **earners** share their "
    "credentials and decide who may find them."
)

overview = catalogue.home_overview(rt)
figures, achievements = overview.figures, overview.entries

cols = st.columns(5)
cols[0].metric("Micro-credentials", f"{figures.achievements:,}")
cols[1].metric("Competencies", f"{figures.competencies:,}")
cols[2].metric("Earners", f"{figures.earners:,}")
cols[3].metric("Credentials issued", f"{figures.credentials:,}")
cols[4].metric("Currently valid", f"{figures.valid_credentials:,}")
st.caption(
    f"{figures.discoverable:,} earners let industry partners find them · {figures.revoked:,} revoked · "
    f"{figures.suspended:,} suspended · {figures.postings:,} job postings from partners"
)

c1, c2 = st.columns(2)
with c1:
    st.subheader("Check a credential")
    st.write("Upload a badge file or image, paste a credential, or scan the QR code on a certificate.")
    if st.button("Verify a credential", type="primary"):
        st.switch_page("pages/verify.py")
with c2:
    st.subheader("Browse the catalogue")
    st.write("Every Mosaics micro-credential with the competencies it proves, aligned to ESCO skills.")
    if common.page_available("pages/catalogue.py") and st.button("Open the catalogue"):
        st.switch_page("pages/catalogue.py")

st.subheader("Micro-credentials by school")
if achievements:
    table = pd.DataFrame(
        [
            {"School": a.school, "Micro-credential": a.name, "Industry partner": a.partner or "",
             "Level": a.level or "", "Hours": a.hours, "Competencies": len(a.competencies)}
            for a in achievements
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")
else:
    st.info("The catalogue is empty. Staff can load it with `python -m mosaics_match demo`.")
