"""Industry partners: their shortlists, with each person's current verification status; remove, export."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from mosaics_match.services import shortlists as sl
from pages import common

viewer = common.guard(__file__)
rt = common.runtime()

FLASH_KEY = "shortlists_flash"


def _md(text: str) -> str:
    """Names shown literally inside Markdown."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$])", r"\\\1", text or "")

st.title("Shortlists")
st.caption("People you shortlisted from a match. Their credentials are checked again every time you open this "
           "page: a revoked, suspended or expired credential no longer counts, and someone who stopped sharing "
           "their profile is no longer shown.")
flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    st.success(flash)

if viewer.account_id is None:
    st.info("Shortlists belong to a partner account. Sign in with one to keep shortlists.")
    st.stop()

views = [(s.id, s.name, s.created_at, s.rows) for s in sl.shortlists_of(rt, viewer=viewer)]

if not views:
    st.info("You have no shortlists yet. On **Match a job posting**, choose people and add them to a shortlist.")
    st.stop()

for shortlist_id, name, created, rows in views:
    with st.container(border=True):
        st.subheader(name)
        st.caption(f"Created {created:%Y-%m-%d} · {len(rows)} {'person' if len(rows) == 1 else 'people'}")
        if not rows:
            st.write("This shortlist is empty.")
            continue
        table = pd.DataFrame([
            {
                "Name": r.name,
                "Email": r.email or ("not shared" if r.discoverable else ""),
                "Score when added": r.score,
                "Status": ("Valid credentials: " + str(len(r.valid_credentials))
                           + (f" · {r.no_longer_valid} no longer valid" if r.no_longer_valid else ""))
                if r.discoverable else "No longer shares their profile",
                "Credentials": "; ".join(n for n, _ in r.valid_credentials),
                "Verify": r.valid_credentials[0][1] if r.valid_credentials else None,
            }
            for r in rows
        ])
        st.dataframe(table, hide_index=True, width="stretch", column_config={
            "Score when added": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.2f"),
            "Verify": st.column_config.LinkColumn(display_text="Verify", help="Opens the credential's verification"),
        })
        with st.expander("All verification links"):
            for r in rows:
                if r.valid_credentials:
                    st.markdown(f"**{_md(r.name)}**: "
                                + " · ".join(f"[{_md(n)}]({u})" for n, u in r.valid_credentials))
        c1, c2, c3 = st.columns([3, 1, 2], vertical_alignment="bottom")
        labels = {r.entry_id: r.name for r in rows}
        entry = c1.selectbox("Remove someone", list(labels), format_func=labels.get, key=f"sl_pick_{shortlist_id}")
        if c2.button("Remove", key=f"sl_remove_{shortlist_id}", icon=":material/delete:"):
            removed = sl.remove_entry(rt, viewer=viewer, entry_id=entry)
            st.session_state[FLASH_KEY] = (f"Removed {labels[entry]} from “{name}”." if removed
                                           else "That entry was already removed.")
            st.rerun()
        c3.download_button("Export CSV", sl.shortlist_csv(rows), file_name=f"shortlist-{shortlist_id}.csv",
                           mime="text/csv", key=f"sl_csv_{shortlist_id}", icon=":material/download:")
