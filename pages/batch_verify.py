"""Batch verification for employers and staff: many files or a ZIP, a progress bar, a filterable results table,
CSV/JSON export, and the single-verification detail view for any row."""

from __future__ import annotations

import logging

import pandas as pd
import streamlit as st

from mosaics_match.exports import reports
from mosaics_match.inputs.batch import BatchError, BatchItem, BatchLimits, collect
from mosaics_match.services import verification
from pages import common
from pages.verification_view import md, rate_limited_message, render_verification, take_verifications

LIMITS = BatchLimits()
ROWS = "batch_rows"


def _table(rows: list[verification.BatchRow]) -> pd.DataFrame:
    return pd.DataFrame([r.table_row() for r in rows], columns=list(reports.BATCH_COLUMNS))


def main() -> None:
    viewer = common.guard(__file__)
    rt = common.runtime()
    base_url = rt.settings.base_url

    st.title("Batch verification")
    st.write(f"Check many credentials at once: select several files, or a ZIP archive of them (up to "
             f"{LIMITS.max_files} credentials, {LIMITS.max_upload_bytes // 1_000_000} MB per upload). Archives "
             "inside the ZIP, links and unsafe paths are skipped with a reason.")
    files = st.file_uploader("Credential files (.json, .jwt, .png, .svg) or a .zip of them",
                             type=["json", "jwt", "png", "svg", "zip"], accept_multiple_files=True,
                             key="batch_files", max_upload_size=LIMITS.max_upload_bytes // 1_000_000)
    if st.button((f"Verify {len(files)} file" + ("s" if len(files) > 1 else "")) if files else "Verify",
                 key="batch_go", type="primary", disabled=not files):
        try:
            items = collect(((f.name, f.getvalue()) for f in files), limits=LIMITS)
        except BatchError as exc:
            st.error(str(exc))
            items = []
        readable = sum(1 for item in items if item.ok)
        if readable:
            decision = take_verifications("batch", readable)
            if not decision.allowed:
                st.error(rate_limited_message(decision) + " A smaller batch may be checked sooner.",
                         icon=":material/hourglass_top:")
                items = []
        if items:
            bar = st.progress(0.0, text="Starting…")

            def progress(done: int, total: int, name: str) -> None:
                bar.progress(done / total, text=f"Checked {done} of {total}: {name[:80]}")

            try:
                rows = verification.verify_batch(rt, items, viewer=viewer, progress=progress)
            except Exception:  # the engine never raises; this is the database or the server itself
                logging.getLogger(__name__).exception("batch verification failed")
                st.error("The batch could not be completed because of a problem on our side. Please try again.")
                rows = None
            bar.empty()
            if rows is not None:
                st.session_state[ROWS] = rows
                st.session_state.pop("batch_detail", None)

    rows: list[verification.BatchRow] | None = st.session_state.get(ROWS)
    if not rows:
        return
    table = _table(rows)
    counts = table["Verdict"].value_counts()
    cols = st.columns(4)
    for col, label in zip(cols, ("Verified", "Not valid", "Cannot be confirmed", "Not read")):
        col.metric(label, int(counts.get(label, 0)))

    f1, f2 = st.columns([2, 3])
    chosen = f1.multiselect("Show verdicts", ["Verified", "Not valid", "Cannot be confirmed", "Not read"],
                            default=None, key="batch_filter_verdict", placeholder="All verdicts")
    search = f2.text_input("Search file, earner, achievement or issuer", key="batch_filter_text").strip().lower()
    shown = table
    if chosen:
        shown = shown[shown["Verdict"].isin(chosen)]
    if search:
        hay = (shown["File"] + " " + shown["Earner"] + " " + shown["Achievement"] + " " + shown["Issuer"]).str.lower()
        shown = shown[hay.str.contains(search, regex=False)]
    event = st.dataframe(shown, hide_index=True, width="stretch", on_select="rerun",
                         selection_mode="single-row", key="batch_table",
                         column_order=["Verdict", "File", "Earner", "Achievement", "Issuer", "Failing check"])
    st.caption(f"{len(shown)} of {len(table)} file(s) shown. Select a row, or pick a file below, to see its "
               "details.")
    d1, d2 = st.columns(2)
    d1.download_button("Results (CSV)", data=lambda: reports.batch_csv(rows), file_name="batch-verification.csv",
                       mime="text/csv", key="batch_csv", icon=":material/table_view:", on_click="ignore")
    d2.download_button("Results (JSON)", data=lambda: reports.batch_json(rows, base_url=base_url),
                       file_name="batch-verification.json", mime="application/json", key="batch_json",
                       icon=":material/data_object:", on_click="ignore")

    names = [r.name for r in rows]
    selected_name = None
    selection = getattr(getattr(event, "selection", None), "rows", None) or []
    if selection:
        selected_name = shown.iloc[selection[0]]["File"]
    picked = st.selectbox("Details of", names, index=None, key="batch_detail", placeholder="Choose a file…")
    selected_name = picked or selected_name
    if selected_name is None:
        return
    index = names.index(selected_name)
    row = rows[index]
    st.subheader(f"Details: {md(row.name)}", anchor=False)
    limited = st.session_state.pop("batch_limited", None)
    if limited:
        st.error(limited, icon=":material/hourglass_top:")
    if row.verification is None:
        st.error(md(row.problem or "This file could not be read."))
        return

    def reverify() -> None:
        decision = take_verifications("batch")
        if not decision.allowed:
            st.session_state["batch_limited"] = rate_limited_message(decision)
            return
        item_rows = st.session_state.get(ROWS) or []
        fresh = verification.verify_batch(rt, [BatchItem(row.name, data=row.raw)], viewer=viewer)
        if fresh and index < len(item_rows):
            item_rows[index] = fresh[0]

    render_verification(row.verification, key=f"batch_row_{index}", base_url=base_url,
                        on_reverify=reverify if row.raw is not None else None)


if __name__ == "__main__":
    main()
