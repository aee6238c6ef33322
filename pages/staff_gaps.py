"""Staff: lines of the saved job postings that no micro-credential in the catalogue covers."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from mosaics_match.services import gaps as gap_service
from pages import common

viewer = common.guard(__file__)
rt = common.runtime()


@st.cache_resource(max_entries=2, show_spinner="Comparing postings with the catalogue…")
def _gap_report(version: int, database_url: str) -> gap_service.CoverageGaps:
    return gap_service.coverage_gaps(rt)


st.title("Coverage gaps")
st.caption("Requirements, nice-to-haves and duties from the saved job postings that no micro-credential's "
           "competencies come close to. Each posting is read the way the match page reads it: job titles, "
           "headings, pay, benefits, schedules, addresses, equal-opportunity statements and application "
           "instructions are never counted. A starting point for planning new micro-credentials with partners; "
           "wording differences can hide a real match, so read the list before acting on it.")

gaps = _gap_report(gap_service.data_version(rt), rt.settings.database_url)
report, titles = gaps.report, gaps.titles

c1, c2, c3 = st.columns(3)
c1.metric("Postings", report.n_postings)
c2.metric("Lines read as asks", report.n_requirements,
          help=f"{gaps.skipped:,} other lines (titles, headings, pay, schedules, how to apply…) were not counted.")
c3.metric("Not covered", len(report.rows), help="Lines no competency in the catalogue comes close to")
st.caption(f"{report.share_uncovered:.0%} of the lines read as asks are not covered by any micro-credential.")

if not report.rows:
    st.success("Every requirement of the saved postings is covered by at least one micro-credential.")
    st.stop()


def _kind(row) -> str:
    return gap_service.KIND_LABEL[gaps.kinds.get((row.posting_id, row.requirement), "requirement")]


f1, f2 = st.columns(2)
postings = sorted({titles.get(r.posting_id, r.posting_id) for r in report.rows})
chosen = f1.multiselect("Only these postings", postings, key="gaps_postings")
kinds = f2.multiselect("Only these kinds", ["Requirement", "Nice to have", "Duty"], key="gaps_kinds")
rows = [r for r in report.rows if (not chosen or titles.get(r.posting_id, r.posting_id) in chosen)
        and (not kinds or _kind(r) in kinds)]
if not rows:
    st.info("No uncovered line matches these filters.")
    st.stop()
table = pd.DataFrame([{"Posting": titles.get(r.posting_id, r.posting_id), "Requirement": r.requirement,
                       "Kind": _kind(r), "Closest match": round(r.best_similarity, 3)} for r in rows])
st.dataframe(table, hide_index=True, width="stretch", column_config={
    "Requirement": st.column_config.TextColumn(width="large"),
    "Closest match": st.column_config.NumberColumn(
        help="Similarity to the closest competency (0 = nothing alike); a line can be listed above the usual level "
             "when that competency shares none of its words",
        format="%.2f"),
})
by_posting = (table.groupby("Posting").size().rename("Uncovered lines").reset_index()
              .sort_values("Uncovered lines", ascending=False))
st.subheader("By posting")
# Posting titles are long: Streamlit's own bar chart cuts axis labels at ~15 characters, so the full titles are
# drawn with an explicit axis (labelLimit 0 = no limit) and a height that fits every bar.
st.altair_chart(
    alt.Chart(by_posting).mark_bar().encode(
        x=alt.X("Uncovered lines:Q", title="Uncovered lines"),
        y=alt.Y("Posting:N", sort="-x", title=None, axis=alt.Axis(labelLimit=0)),
        tooltip=["Posting", "Uncovered lines"],
    ).properties(height=max(120, 28 * len(by_posting))),
    width="stretch",
)
st.download_button("Download the report (CSV)", gap_service.gaps_csv(gaps), file_name="coverage-gaps.csv",
                   mime="text/csv", key="gaps_csv", icon=":material/download:")
