"""Public catalogue: every micro-credential by school, with its competencies (ESCO-aligned), partner, hours, level
and badge."""

from __future__ import annotations

import base64
import re
from urllib.parse import quote, urlparse

import streamlit as st

from mosaics_match.services import catalogue
from pages import common

viewer = common.guard(__file__)
rt = common.runtime()

MAX_BADGE_SVG = 200_000


def _md(text: str | None) -> str:
    """Catalogue text shown as Markdown literally (no links, emphasis or HTML from the data)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$])", r"\\\1", text or "")


def _badge(svg: str | None) -> str | None:
    if not svg or len(svg) > MAX_BADGE_SVG:
        return None
    # Through <img>, an SVG can neither run scripts nor load anything.
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{data}" width="96" alt="Badge"/>'


def _esco_link(uri: str | None, label: str | None) -> str:
    if not uri:
        return ""
    parsed = urlparse(uri)
    if parsed.scheme not in ("http", "https") or not (parsed.hostname or "").endswith("europa.eu"):
        return ""
    # The concept URI is an identifier; the ESCO portal page for it is what a reader wants to open.
    page = "https://esco.ec.europa.eu/en/classification/skill?uri=" + quote(uri, safe="")
    return f" · ESCO: [{_md(label or 'skill')}]({page})"


st.title("Micro-credential catalogue")
st.caption("Seneca's micro-credentials, built with industry partners. Each one certifies the competencies listed, "
           "aligned where possible with the European ESCO skills classification.")

query = st.text_input("Search the catalogue", max_chars=200, key="catalogue_query",
                      placeholder="A skill, tool, school or partner, e.g. SQL, forklift, Power BI").strip().lower()
rows = catalogue.entries(rt, query=query)

st.caption(f"{len(rows)} micro-credential{'s' if len(rows) != 1 else ''}"
           + (f" matching “{query}”" if query else ""))
if not rows:
    st.info("No micro-credential matches that search. Try a shorter word or another skill.")

schools: dict[str, list[catalogue.CatalogueEntry]] = {}
for row in rows:
    schools.setdefault(row.school, []).append(row)
for school, items in schools.items():
    st.header(school, divider="gray")
    for row in items:
        with st.container(border=True):
            left, right = st.columns([1, 6])
            badge = _badge(row.image_svg)
            if badge:
                left.markdown(badge, unsafe_allow_html=True)
            right.subheader(row.name, anchor=row.slug)
            facts = [f"**Partner:** {_md(row.partner)}" if row.partner else None,
                     f"**Hours:** {row.hours}" if row.hours else None,
                     f"**Level:** {_md(row.level)}" if row.level else None]
            right.markdown(" · ".join(f for f in facts if f) or " ")
            right.markdown(_md(row.description))
            if row.competencies:
                right.markdown("**Competencies**\n\n" + "\n".join(
                    f"- **{_md(c.name)}** — {_md(c.description)}{_esco_link(c.esco_uri, c.esco_label)}"
                    for c in row.competencies))
