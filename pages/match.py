"""Industry partners (and staff): check what was read in a job posting, then rank discoverable earners by how well
their verified competencies cover exactly the lines kept."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from mosaics_match.inputs import posting_text as pt
from mosaics_match.services import matching as ms
from pages import common

viewer = common.guard(__file__)
rt = common.runtime()

AUDITED_KEY = "match_last_audited"
FLASH_KEY = "match_flash"
REVIEW_OF_KEY = "match_review_of"
RECENCY = {"Any time": None, "Last 6 months": 183, "Last year": 365, "Last 2 years": 730, "Last 3 years": 1095}
BAND_LABEL = {"strong": "Strong", "good": "Good", "partial": "Partial", "weak": "Limited"}


def _md(text: str) -> str:
    """Text shown literally inside Markdown (postings and names are not markup)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$])", r"\\\1", text or "")


def _label(text: str) -> str:
    """A posting line as a widget label: only what a label would render (emphasis, code, links, colour, maths)
    is escaped, because the label is also the checkbox's accessible name and screen readers read backslashes."""
    return re.sub(r"([\\`*_\[\]<>~$])", r"\\\1", text or "")


@st.cache_resource(max_entries=2, show_spinner="Preparing the list of verified skills…")
def _partner_index(version: int, database_url: str) -> ms.PartnerIndex:
    """One index per data version: issuing, revoking, a consent change, an added credential or a status change
    found by a re-check bumps the version, so the next search builds a fresh index and no restart is needed."""
    return ms.index_for(rt)


def current_index() -> ms.PartnerIndex:
    with st.spinner("Checking the status of credentials from other issuers…", show_time=False):
        version = ms.prepare_search(rt)
    index = _partner_index(version, rt.settings.database_url)
    if index.is_stale():  # a credential expired (or a future-dated one started) since the build
        _partner_index.clear()
        index = _partner_index(version, rt.settings.database_url)
    return index


st.title("Match a job posting")
st.caption(
    "Find earners whose **verified** micro-credentials cover what a job asks for. Only currently valid "
    "credentials count, and only earners who chose to be discoverable appear. The ranking is a starting point "
    "for a person to review: it does not reject anyone, and a low score only means the posting's words were "
    "not found in someone's verified credentials."
)
flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    st.success(flash)

index = current_index()
posting_choices = {p.id: (p.title, p.employer, p.text) for p in ms.saved_postings(rt)}

# --- the posting ------------------------------------------------------------------------------------------------
source = st.radio("Job posting", ["Choose a saved posting", "Paste the text", "Upload a file"], horizontal=True,
                  key="match_source")
title = ""
title_for_reader = ""  # the job title alone, so the reader can recognise it in the text
posting: pt.PostingText | None = None
if source == "Choose a saved posting":
    if not posting_choices:
        st.info("No saved postings yet. Paste a posting's text or upload it instead.")
    else:
        chosen = st.selectbox("Saved posting", list(posting_choices),
                              format_func=lambda i: f"{posting_choices[i][0]} — {posting_choices[i][1]}",
                              key="match_saved")
        title = f"{posting_choices[chosen][0]} — {posting_choices[chosen][1]}"
        title_for_reader = posting_choices[chosen][0]
        with st.expander("Posting text"):
            st.text(posting_choices[chosen][2])
        try:
            posting = pt.from_pasted(posting_choices[chosen][2])
        except pt.PostingTextError as exc:
            st.error(str(exc))
elif source == "Paste the text":
    title_for_reader = st.text_input("Job title (for your records)", max_chars=200, key="match_title").strip()
    title = title_for_reader or "Pasted posting"
    pasted = st.text_area("Posting text", height=220, max_chars=pt.MAX_TEXT_CHARS, key="match_text",
                          placeholder="Paste the job posting here: duties, requirements, nice-to-haves…")
    if pasted.strip():
        try:
            posting = pt.from_pasted(pasted)
        except pt.PostingTextError as exc:
            st.error(str(exc))
else:
    upload = st.file_uploader("Posting file (.txt, .pdf or .docx)", type=["txt", "pdf", "docx"], key="match_upload",
                              max_upload_size=pt.MAX_UPLOAD_BYTES // 1_048_576)
    if upload is not None:
        title = upload.name[:200]
        try:
            posting = pt.from_upload(upload.name, upload.getvalue())
            st.caption(f"Read {len(posting.text):,} characters from {upload.name}"
                       + (f" ({posting.pages} pages)" if posting.pages else "") + ".")
        except pt.PostingTextError as exc:
            st.error(str(exc))
        except Exception:
            st.error("This file could not be read. Paste the posting's text instead.")
            posting = None
if posting is not None and posting.truncated:
    st.warning(f"The posting is very long; only its first {pt.MAX_TEXT_CHARS:,} characters are used.")

# --- what the reader read: the partner's review --------------------------------------------------------------
KIND_TITLES = {"requirement": "Requirements", "nice_to_have": "Nice to have", "duty": "Duties"}
SKIPPED_SHORT = {"job title": "title", "heading": "headings", "salary or pay": "pay", "introduction or closing remark":
                 "introduction", "location or address": "location", "date": "dates",
                 "equal-opportunity or accessibility statement": "equal-opportunity statement"}
reading: ms.PostingReading | None = None
requirements: list[ms.Requirement] = []
if posting is not None:
    reading = ms.read(posting.text, title=title_for_reader)
    review_of = ms.posting_hash(posting.text)
    # The line boxes' keys name the posting: a box of another posting's line i never lends this one its value
    # (the browser sends the last value it showed for a key, even after the key was dropped here).
    tag = review_of[:12]
    if st.session_state.get(REVIEW_OF_KEY) != review_of:  # another posting: start from what the reader proposes
        for key in [k for k in st.session_state if str(k).startswith(("match_use_", "match_must_"))]:
            del st.session_state[key]
        st.session_state[REVIEW_OF_KEY] = review_of
    used: list[int] = []
    must: list[int] = []
    with st.container(border=True, key="match_review"):
        st.subheader("What we read in the posting", anchor=False)
        st.caption("Only requirements, nice-to-haves and duties are scored; nice-to-haves count half, must-haves "
                   "double. Untick a line to leave it out, or tick **Must-have** for what a candidate cannot do "
                   "without. The results below use exactly the ticked lines.")
        for kind, heading in KIND_TITLES.items():
            lines = [(i, line) for i, line in enumerate(reading.lines) if line.kind == kind and line.scored]
            if not lines:
                continue
            st.markdown(f"**{heading}** ({len(lines)})")
            for i, line in lines:
                c1, c2 = st.columns([6, 1], vertical_alignment="center")
                use = c1.checkbox(_label(line.text), value=True, key=f"match_use_{tag}_{i}",
                                   help=f"Read as: {line.why}")
                is_must = c2.checkbox("Must-have", value=False, key=f"match_must_{tag}_{i}",
                                      disabled=not use)
                if use:
                    used.append(i)
                    if is_must:
                        must.append(i)
        screened = [(i, line) for i, line in enumerate(reading.lines) if line.screening]
        if screened:
            topics = ", ".join(dict.fromkeys(line.screening or "" for _, line in screened))
            with st.expander(f"Check on the résumé ({len(screened)}): {topics}", icon=":material/fact_check:"):
                st.caption("Micro-credentials do not show degrees, languages, licences, background checks or the "
                           "right to work, so these lines are not scored: a match would only mean shared words. "
                           "Tick a line to score it anyway.")
                for i, line in screened:
                    if st.checkbox(_label(line.text), value=False, key=f"match_use_{tag}_{i}",
                                   help=f"Asks for {line.screening}; read as {KIND_TITLES[line.kind].lower()}"):
                        used.append(i)
        skipped = [(i, line) for i, line in enumerate(reading.lines) if line.kind == "boilerplate"]
        if skipped:
            reasons = list(dict.fromkeys(SKIPPED_SHORT.get(line.why, line.why) for _, line in skipped))
            summary = ", ".join(reasons[:6]) + ("…" if len(reasons) > 6 else "")
            with st.expander(f"Not scored ({len(skipped)}): {summary}", icon=":material/visibility_off:"):
                st.caption("Tick a line to score it as a requirement after all.")
                for i, line in skipped:
                    if st.checkbox(_label(line.text), value=False, key=f"match_use_{tag}_{i}",
                                   help=f"Not scored: {line.why}"):
                        used.append(i)
    requirements = reading.requirements(use=sorted(used), must_have=must)
    limit_lines = index.engine.config.max_requirements
    if not reading.lines:
        st.warning("No lines with words could be read from this posting. Paste or upload the job posting's text.")
    elif not requirements:
        st.warning("No line is ticked, so there is nothing to search for. Tick at least one requirement, "
                   "nice-to-have or duty above.")
    elif len(requirements) > limit_lines:
        st.warning(f"{len(requirements)} lines are ticked; only the first {limit_lines} are scored. Untick the "
                   "ones that matter least.")

# --- filters ----------------------------------------------------------------------------------------------------
ach_names = {slug: info.name + (f" ({info.issuer})" if info.external else "")
             for slug, info in index.achievements.items()}
comp_labels = {cid: f"{name} ({ach_names[slug]})"
               for slug, info in index.achievements.items() for cid in info.competency_ids
               for name in [index.competency_names[cid]]}
bands = index.engine.config.band_thresholds
with st.expander("Filters", expanded=False, icon=":material/filter_alt:"):
    c1, c2 = st.columns(2)
    must_ach = c1.multiselect("Must hold these micro-credentials", sorted(ach_names, key=ach_names.get),
                              format_func=ach_names.get, key="match_must_ach")
    must_comp = c2.multiselect("Must have these competencies", sorted(comp_labels, key=comp_labels.get),
                               format_func=comp_labels.get, key="match_must_comp")
    c3, c4 = st.columns(2)
    min_score = c3.slider("Minimum score", 0.0, 1.0, float(ms.DEFAULT_MIN_SCORE), 0.05, key="match_min_score",
                          help=f"Roughly the share of the ticked lines a person's verified skills cover. Strong "
                               f"from {bands[0]:.2f}, Good from {bands[1]:.2f}, Partial from {bands[2]:.2f}; the "
                               "default hides weaker (Limited) matches.")
    recency = c4.selectbox("Credentials earned", list(RECENCY), key="match_recency",
                           help="Only credentials issued in this period count, for the score and the must-haves.")
days = RECENCY[recency]
filters = ms.SearchFilters(must_achievements=tuple(must_ach), must_competencies=tuple(must_comp),
                           min_score=float(min_score),
                           issued_after=(date.today() - timedelta(days=days)) if days else None, limit=50)

if posting is None:
    st.info("Choose, paste or upload a job posting to see matching earners.")
    st.stop()
if not requirements:
    st.stop()

# --- search -----------------------------------------------------------------------------------------------------
started = time.perf_counter()
try:
    result = ms.run_search(rt, index, requirements=requirements, filters=filters, base_url=rt.settings.base_url)
except ms.EmptyPostingError:
    st.error("There is nothing to search for: tick at least one line of the posting above.")
    st.stop()
elapsed = time.perf_counter() - started
marker = (ms.posting_hash(posting.text), tuple(requirements), repr(filters.describe()))
if st.session_state.get(AUDITED_KEY) != marker:
    ms.audit_search(rt, actor=viewer.email, actor_role=viewer.role, title=title, posting=posting.text,
                    filters=filters, result_count=result.n_at_least, requirements=requirements)
    st.session_state[AUDITED_KEY] = marker

candidates = result.candidates
n_must = sum(1 for r in result.requirements if r.must_have)
st.subheader("Matching earners", anchor=False)
earners_word = "earner covers" if result.n_cover_half == 1 else "earners cover"
st.markdown(f"**{result.n_cover_half:,} {earners_word} at least half of the requirements** "
            f"(of {index.n_earners:,} discoverable earners with verified credentials).")
if index.n_external:
    st.caption(f"Evidence includes {index.n_external:,} verified credential{'s' if index.n_external != 1 else ''} "
               "earners added from other issuers that Seneca trusts; each piece of evidence names its issuer. "
               "Their status was checked again just before this search.")
m1, m2, m3 = st.columns(3)
m1.metric("Cover at least half", f"{result.n_cover_half:,}",
          help="Earners whose verified skills cover at least half of the ticked lines (score 0.50 or more), "
               "with the filters. Counted, not ranked: every discoverable earner is considered.")
m2.metric("Reach the minimum score", f"{result.n_at_least:,}",
          help=f"Earners scoring at least {filters.min_score:.2f}, with the filters.")
m3.metric("Lines scored", len(result.requirements),
          help=f"{n_must} marked must-have." if n_must else "None marked must-have.")
must_note = "" if not n_must else (f" {n_must} must-have line counts double." if n_must == 1 else
                                   f" {n_must} must-have lines count double.")
st.caption(f"Searched in {elapsed * 1000:.0f} ms. Showing the best {len(candidates)} with a score of at least "
           f"{filters.min_score:.2f}.{must_note}")
if result.not_in_catalogue:
    st.caption("No micro-credential comes close to these lines, so nobody can be matched on them and they do not "
               "count in scores: " + "; ".join(_md(t) for t in result.not_in_catalogue) + ".")

if not candidates:
    st.info("No discoverable earner's verified credentials reach the minimum score for these lines with these "
            "filters. Try fewer filters, a lower minimum score, or fewer must-haves.")
else:
    show_must = n_must > 0
    rows = []
    for i, c in enumerate(candidates, 1):
        row = {
            "Rank": i,
            "Name": c.name,
            "Email": c.email or "not shared",
            "Score": round(c.score, 3),
            "Band": BAND_LABEL.get(c.band, c.band),
            "Matched": "; ".join(dict.fromkeys(e.requirement for e in c.covered)),
            "Partly": "; ".join(dict.fromkeys(e.requirement for e in c.partial)),
            "Missing": "; ".join(c.missing),
            "Issued by": "; ".join(c.issuers),
            "Evidence": c.verify_links[0] if c.verify_links else None,
        }
        if show_must:
            row["Missing must-haves"] = "; ".join(c.missing_must)
        rows.append(row)
    table = pd.DataFrame(rows)
    st.dataframe(
        table, hide_index=True, width="stretch",
        column_config={
            "Score": st.column_config.ProgressColumn("Score", min_value=0.0, max_value=1.0, format="%.2f",
                                                     help="Share of the ticked lines covered (must-haves count "
                                                          "double, nice-to-haves half)"),
            "Evidence": st.column_config.LinkColumn("Evidence", display_text="Verify",
                                                    help="Opens the credential's verification"),
            "Matched": st.column_config.TextColumn("Matched", width="large",
                                                   help="Lines a verified competency covers"),
            "Partly": st.column_config.TextColumn("Partly matched", width="medium",
                                                  help="Lines a verified competency comes close to"),
            "Missing": st.column_config.TextColumn("Not found", width="large",
                                                   help="Lines nothing in their verified credentials comes close to"),
            "Issued by": st.column_config.TextColumn("Issued by", width="medium",
                                                     help="Who issued the verified credentials behind the matches"),
        },
    )

    must_texts = {r.text for r in result.requirements if r.must_have}

    def _tag(text: str) -> str:
        return " **(must-have)**" if text in must_texts else ""

    def _source(e: ms.Evidence) -> str:
        """The credential behind a piece of evidence and who issued it (linked when it can be opened)."""
        target = e.verify_url or e.link
        name = f"[{_md(e.achievement)}]({target})" if target else f"**{_md(e.achievement)}**"
        if e.verify_url:
            return f"{name}, issued by {_md(e.issuer)}"
        return f"{name}, issued by {_md(e.issuer)} (added by the earner, verified by the portal)"

    @st.dialog("Why this match", width="large")
    def details(candidate: ms.Candidate) -> None:
        st.subheader(candidate.name, anchor=False)
        if candidate.email:
            st.text(candidate.email)
        st.markdown(f"**Score {candidate.score:.2f}** · {BAND_LABEL.get(candidate.band, candidate.band)} match. "
                    "A person should review the evidence before deciding anything.")
        if candidate.covered:
            st.markdown("**Covered by verified credentials**")
            for e in candidate.covered:
                st.markdown(f"- {_md(e.requirement)}{_tag(e.requirement)} — *{_md(e.competency)}* from "
                            f"{_source(e)}")
        if candidate.partial:
            st.markdown("**Partly covered** (a related verified skill, not a clear match: judge the shared words)")
            for e in candidate.partial:
                shares = f" · shares *{_md(', '.join(e.shared_words))}*" if e.shared_words else ""
                st.markdown(f"- {_md(e.requirement)}{_tag(e.requirement)} — *{_md(e.competency)}* from "
                            f"{_source(e)}{shares}")
        if candidate.missing:
            st.markdown("**Not found in their verified credentials**")
            for req in candidate.missing:
                st.markdown(f"- {_md(req)}{_tag(req)}")
        if candidate.terms:
            st.markdown("**Words of the posting that carried the match:** "
                        + ", ".join(_md(w) for w, _ in candidate.terms))

    by_id = {c.earner_id: c for c in candidates}
    d1, d2 = st.columns([3, 1], vertical_alignment="bottom")
    pick = d1.selectbox("See why someone matched", list(by_id), format_func=lambda e: by_id[e].name,
                        key="match_detail_pick")
    if d2.button("Show details", key="match_detail", icon=":material/info:"):
        details(by_id[pick])

    st.download_button("Download CSV (with verification links)", ms.candidates_csv(candidates),
                       file_name="mosaics-matches.csv", mime="text/csv", icon=":material/download:",
                       key="match_csv")

    if viewer.account_id is not None and viewer.role == "partner":
        st.subheader("Shortlist")
        lists = ms.shortlist_names(rt, account_id=viewer.account_id)
        s1, s2 = st.columns(2)
        people = s1.multiselect("People to add", list(by_id), format_func=lambda e: by_id[e].name,
                                key="match_shortlist_people")
        NEW = -1
        target = s2.selectbox("Shortlist", [NEW, *lists], format_func=lambda i: "New shortlist…" if i == NEW
                              else lists[i], key="match_shortlist_target")
        new_name = ""
        if target == NEW:
            # keyed by the posting, like the review step's boxes: the proposed name follows the posting shown
            new_name = s2.text_input("Name of the new shortlist", value=title[:200], max_chars=200,
                                     key=f"match_shortlist_name_{tag}")
        if st.button("Add to shortlist", key="match_shortlist_add", disabled=not people, icon=":material/star:"):
            posting_id = st.session_state.get("match_saved") if source == "Choose a saved posting" else None
            outcome = ms.add_to_shortlist(rt, account_id=viewer.account_id,
                                          shortlist_id=None if target == NEW else target, new_name=new_name,
                                          posting_id=posting_id, scores={e: by_id[e].score for e in people})
            if outcome is None:
                st.error("That shortlist no longer exists.")
                st.stop()
            added, name = outcome
            st.session_state[FLASH_KEY] = f"Added {added} of {len(people)} to “{name}”."
            st.session_state.pop("match_shortlist_people", None)
            st.rerun()

if result.gaps:
    st.subheader("Micro-credentials that would close the gaps")
    st.caption("Earning these would cover the most of this posting's requirements. Useful for training plans.")
    gap_rows = [{"Micro-credential": index.achievements[g.achievement_id].name
                 if g.achievement_id in index.achievements else g.achievement_id,
                 "Offered by": (index.achievements[g.achievement_id].issuer
                                if index.achievements[g.achievement_id].external
                                else index.achievements[g.achievement_id].school)
                 if g.achievement_id in index.achievements else "",
                 "Requirements it covers": "; ".join(g.covers),
                 "Added coverage": round(g.score, 3)} for g in result.gaps]
    st.dataframe(pd.DataFrame(gap_rows), hide_index=True, width="stretch",
                 column_config={"Added coverage": st.column_config.ProgressColumn(
                     "Added coverage", min_value=0.0, max_value=1.0, format="%.2f")})
