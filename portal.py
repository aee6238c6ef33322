"""Seneca Mosaics employer portal: page config, sign-in, role lookup and navigation.

Run with ``streamlit run portal.py``. Pages a viewer's role may not use are not routed at all, and every
privileged page checks the role again at its top (``pages.common.require_role``).
"""

from __future__ import annotations

import streamlit as st

from pages import common

st.set_page_config(page_title="Seneca Mosaics portal", page_icon=":material/extension:", layout="wide")

rt = common.runtime()
common.ensure_demo_data(rt)
viewer = common.current_viewer()

pages_by_section: dict[str, list[st.Page]] = {}
for spec in common.routed_pages(viewer.role):
    page = st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path, default=spec.default)
    pages_by_section.setdefault(spec.section, []).append(page)

common.render_sidebar(viewer)
st.navigation(pages_by_section, position="sidebar").run()
