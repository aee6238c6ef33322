"""Verification history for employers: their own past verifications, from the audit log."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mosaics_match.exports import reports
from mosaics_match.services import verification
from pages import common

COLUMNS = list(reports.HISTORY_COLUMNS)


def main() -> None:
    viewer = common.guard(__file__)
    rt = common.runtime()
    st.title("Verification history")
    st.write("Every credential you have checked, newest first, as recorded in the portal's audit log.")
    entries = verification.verification_history(rt, viewer=viewer, limit=2000)
    if not entries:
        st.info("You have not verified any credentials yet.")
        if st.button("Verify a credential", type="primary"):
            st.switch_page("pages/verify.py")
        return
    table = pd.DataFrame(reports.history_rows(entries), columns=COLUMNS)
    counts = table["Verdict"].value_counts()
    cols = st.columns(3)
    for col, label in zip(cols, ("Verified", "Not valid", "Cannot be confirmed")):
        col.metric(label, int(counts.get(label, 0)))
    f1, f2 = st.columns([2, 3])
    chosen = f1.multiselect("Show verdicts", ["Verified", "Not valid", "Cannot be confirmed"], key="history_verdict",
                            placeholder="All verdicts")
    search = f2.text_input("Search achievement, earner, issuer or file", key="history_text").strip().lower()
    shown = table
    if chosen:
        shown = shown[shown["Verdict"].isin(chosen)]
    if search:
        hay = (shown["Achievement"] + " " + shown["Earner"] + " " + shown["Issuer"] + " " + shown["File"]).str.lower()
        shown = shown[hay.str.contains(search, regex=False)]
    st.dataframe(shown, hide_index=True, width="stretch")
    st.caption(f"{len(shown)} of {len(table)} verification(s) shown.")
    st.download_button("Download (CSV)", data=reports.history_csv(shown.to_dict("records")),
                       file_name="verification-history.csv", mime="text/csv", key="history_csv",
                       on_click="ignore")


if __name__ == "__main__":
    main()
