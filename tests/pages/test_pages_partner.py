"""AppTest runs of the partner pages (match, shortlists), the public catalogue and the staff coverage-gaps page."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from tests.conftest import app_test, make_settings, session_token_for

PARTNER = "partner@mosaics.example"
STAFF = "staff@mosaics.example"
EMPLOYER = "employer@mosaics.example"


def _rt(db_url: str):
    from mosaics_match.runtime import open_runtime

    return open_runtime(make_settings(db_url), migrate=False)


def _texts(at) -> str:
    parts = [e.value for e in at.error] + [e.value for e in at.success] + [e.value for e in at.warning]
    parts += [e.value for e in at.info] + [m.value for m in at.markdown] + [c.value for c in at.caption]
    return "\n".join(str(p) for p in parts)


def _results(at):
    """The ranked-earners table (the first dataframe with a Score column), or None."""
    for frame in at.dataframe:
        if "Score" in frame.value.columns:
            return frame.value
    return None


def _unescape(label: str) -> str:
    return re.sub(r"\\(.)", r"\1", label)


def _line_boxes(at) -> dict[str, object]:
    """The review step's "use this line" checkboxes by the line's text."""
    return {_unescape(c.label): c for c in at.checkbox if (c.key or "").startswith("match_use_")}


def _must_box(at, line: str):
    key = _line_boxes(at)[line].key.replace("match_use_", "match_must_")
    return next(c for c in at.checkbox if c.key == key)


def _shown_lines(table) -> set[str]:
    """Every line shown in the results as matched, partly matched or not found."""
    cells = [table[col] for col in ("Matched", "Partly", "Missing") if col in table.columns]
    return {part for column in cells for cell in column for part in str(cell).split("; ") if part}


def _shortlist_name(at):
    """The "Name of the new shortlist" box (keyed by the posting shown)."""
    return next(t for t in at.text_input if t.label == "Name of the new shortlist")


def _metric(at, label: str) -> int:
    return int(next(m.value for m in at.metric if m.label == label).replace(",", ""))


def _posting_id(db_url: str, slug: str) -> int:
    from mosaics_match.store.models import JobPosting

    rt = _rt(db_url)
    try:
        with rt.Session() as session:
            return session.scalars(select(JobPosting.id).where(JobPosting.slug == slug)).one()
    finally:
        rt.engine.dispose()


def _holders(db_url: str, slug: str) -> set[str]:
    """Names of discoverable earners holding a currently valid credential of one micro-credential."""
    from mosaics_match.store import repo
    from mosaics_match.store.models import Earner

    rt = _rt(db_url)
    try:
        with rt.Session() as session:
            ids = {r.earner_id for r in repo.matching_rows(session) if r.achievement_slug == slug}
            return set(session.scalars(select(Earner.name).where(Earner.id.in_(ids))))
    finally:
        rt.engine.dispose()


def _issue_to_someone(db_url: str, slug: str) -> str:
    """Issue a valid credential of ``slug`` to a discoverable earner who has none of it; their name."""
    from mosaics_match.services import issuing
    from mosaics_match.store import repo
    from mosaics_match.store.models import Achievement, Earner

    rt = _rt(db_url)
    try:
        with rt.Session.begin() as session:
            achievement = session.scalars(select(Achievement).where(Achievement.slug == slug)).one()
            holders = {r.earner_id for r in repo.matching_rows(session) if r.achievement_slug == slug}
            earner = session.scalars(select(Earner).where(Earner.discoverable.is_(True), Earner.id.not_in(holders))
                                     .order_by(Earner.id)).first()
            signer = issuing.open_signer(session, settings=rt.settings)
            issuing.issue_credential(session, signer=signer, earner=earner, achievement=achievement, actor="staff@x")
            return earner.name
    finally:
        rt.engine.dispose()


def _search_audits(db_url: str) -> list:
    from mosaics_match.store.models import AuditEvent

    rt = _rt(db_url)
    try:
        with rt.Session() as session:
            return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "search",
                                                                 AuditEvent.actor == PARTNER)))
    finally:
        rt.engine.dispose()


def test_match_saved_posting_ranks_earners_with_links_and_audits(portal_env: str) -> None:
    at = app_test("pages/match.py", token=session_token_for(portal_env, PARTNER))
    assert not at.exception
    assert not at.error
    table = _results(at)
    assert len(table) > 0
    assert list(table["Score"]) == sorted(table["Score"], reverse=True)
    with_evidence = table[table["Matched"] != ""]
    assert len(with_evidence) > 0
    # every credential issued here links to its verification; one earners added from another issuer has none here
    seneca = with_evidence[with_evidence["Issued by"].str.contains("Seneca Polytechnic", regex=False)]
    assert len(seneca) > 0
    assert seneca["Evidence"].str.contains("/verify?credential=urn%3Auuid%3A", regex=False).all()
    assert with_evidence["Evidence"].dropna().str.contains("/verify?credential=urn%3Auuid%3A", regex=False).all()
    assert {"Matched", "Missing", "Band"} <= set(table.columns)
    assert "Micro-credentials that would close the gaps" in [s.value for s in at.subheader]
    audits = _search_audits(portal_env)
    assert len(audits) == 1
    details = audits[0].details
    assert details["result_count"] >= len(table) and details["posting_title"]
    assert details["requirements"] == _metric(at, "Lines scored") == 9 and details["must_have"] == 0
    assert "Email" not in str(details) and "@" not in str(details)  # no earner data in the log
    at.run()  # a rerun with the same posting and filters is not a new search
    assert len(_search_audits(portal_env)) == 1


def test_match_shows_email_only_when_shared(portal_env: str) -> None:
    from mosaics_match.store.models import Earner

    at = app_test("pages/match.py", token=session_token_for(portal_env, PARTNER))
    table = _results(at)
    rt = _rt(portal_env)
    with rt.Session() as session:
        people = {e.name: e for e in session.scalars(select(Earner).where(Earner.name.in_(list(table["Name"]))))}
    rt.engine.dispose()
    for _, row in table.iterrows():
        person = people[row["Name"]]
        assert person.discoverable
        assert row["Email"] == (person.email if person.share_email else "not shared")


def test_counts_are_honest_and_the_default_minimum_is_the_partial_band(portal_env: str) -> None:
    from mosaics_match.matching import rank
    from mosaics_match.services import matching as ms
    from mosaics_match.store import repo

    at = app_test("pages/match.py", token=session_token_for(portal_env, PARTNER))
    assert at.slider(key="match_min_score").value == pytest.approx(ms.DEFAULT_MIN_SCORE) == 0.25
    results = _results(at)
    assert (results["Score"] >= 0.25 - 1e-3).all()
    half, reach = _metric(at, "Cover at least half"), _metric(at, "Reach the minimum score")
    phrase = "earner covers" if half == 1 else "earners cover"
    assert f"{half:,} {phrase} at least half of the requirements" in _texts(at)
    # The same counts by brute force: rank everyone with the lines the page scored.
    rt = _rt(portal_env)
    with rt.Session() as session:
        index = ms.build_partner_index(session)
        posting = repo.list_postings(session)[0]  # the page's default saved posting
    rt.engine.dispose()
    requirements = ms.read(posting.text, title=posting.title).requirements()
    everyone = rank(index.engine, requirements, limit=index.n_earners, min_score=0.0, explain=False)
    assert half == sum(1 for m in everyone if m.score >= 0.5)
    assert reach == sum(1 for m in everyone if m.score >= 0.25) == len(results)

    at.slider(key="match_min_score").set_value(0.0).run()
    assert not at.exception
    assert _metric(at, "Reach the minimum score") == len(everyone) > reach
    assert _metric(at, "Cover at least half") == half
    assert len(_search_audits(portal_env)) == 2  # the changed filters are a new search


def test_review_step_switch_a_line_off_and_back_on(portal_env: str) -> None:
    line = "Working knowledge of SQL (joins, aggregations)"
    at = app_test("pages/match.py", token=session_token_for(portal_env, PARTNER))
    at.slider(key="match_min_score").set_value(0.0).run()
    boxes = _line_boxes(at)
    assert boxes[line].value is True
    assert line in _shown_lines(_results(at))
    scored = _metric(at, "Lines scored")

    boxes[line].uncheck().run()
    assert not at.exception
    assert _metric(at, "Lines scored") == scored - 1
    assert line not in _shown_lines(_results(at))
    assert _must_box(at, line).disabled
    assert _search_audits(portal_env)[-1].details["requirements"] == scored - 1

    _line_boxes(at)[line].check().run()
    assert _metric(at, "Lines scored") == scored and line in _shown_lines(_results(at))


def test_review_step_must_have_is_scored_and_reported(portal_env: str) -> None:
    line = "Working knowledge of SQL (joins, aggregations)"
    at = app_test("pages/match.py", token=session_token_for(portal_env, PARTNER))
    at.slider(key="match_min_score").set_value(0.0).run()
    before = _results(at).set_index("Name")["Score"]
    assert "Missing must-haves" not in _results(at).columns

    _must_box(at, line).check().run()
    assert not at.exception
    table = _results(at)
    assert "1 marked must-have." in [m.help for m in at.metric if m.label == "Lines scored"]
    assert _search_audits(portal_env)[-1].details["must_have"] == 1
    for _, row in table.iterrows():
        missing = set(filter(None, str(row["Missing"]).split("; ")))
        assert (line in missing) == (row["Missing must-haves"] == line), row["Name"]
    after = table.set_index("Name")["Score"]
    common = before.index.intersection(after.index)
    assert (before[common] - after[common]).abs().max() > 1e-3  # a must-have weighs more in the score


def test_boilerplate_is_listed_apart_and_never_shown_as_matched(portal_env: str) -> None:
    token = session_token_for(portal_env, PARTNER)
    boilerplate = {
        "junior-data-analyst-northgate": ["About the role", "Apply by 15 January 2027.",
                                          "Salary: $55,000–$62,000 per year, plus health and dental benefits",
                                          "Location: 200 Queens Quay West, Suite 400, Toronto, ON M5J 2L7"],
        "rece-preschool-maple-grove": ["1180 Danforth Avenue, Toronto, ON M4J 1M6", "About us",
                                       "Start date: February 2027",
                                       "- $27.50 to $30.00 per hour, including the provincial wage enhancement"],
    }
    for slug, lines in boilerplate.items():
        at = app_test("pages/match.py", token=token)
        at.selectbox(key="match_saved").set_value(_posting_id(portal_env, slug)).run()
        at.slider(key="match_min_score").set_value(0.0).run()
        assert not at.exception
        boxes = _line_boxes(at)
        shown = _shown_lines(_results(at))
        for line in lines:
            line = line.removeprefix("- ")
            assert boxes[line].value is False, (slug, line)  # listed under "Not scored", unticked
            assert line not in shown, (slug, line)


def test_a_requirement_an_earner_holds_is_never_shown_missing_for_them(portal_env: str) -> None:
    cases = [("junior-data-analyst-northgate", "sql-for-business-analysis",
              "Working knowledge of SQL (joins, aggregations)"),
             ("rece-preschool-maple-grove", "inclusive-ece-diverse-needs",
              "Knowledge of inclusive practice is preferred")]
    token = session_token_for(portal_env, PARTNER)
    for slug, achievement, line in cases:
        new_holder = _issue_to_someone(portal_env, achievement)
        at = app_test("pages/match.py", token=token)
        at.selectbox(key="match_saved").set_value(_posting_id(portal_env, slug)).run()
        at.slider(key="match_min_score").set_value(0.0).run()
        table = _results(at)
        holders = table[table["Name"].isin(_holders(portal_env, achievement))]
        assert new_holder in set(holders["Name"]), (slug, achievement)
        for _, row in holders.iterrows():
            assert line not in str(row["Missing"]).split("; "), (row["Name"], line)
            assert line in f'{row["Matched"]}; {row["Partly"]}'.split("; "), (row["Name"], line)


def test_a_line_the_reader_skipped_can_be_scored_and_a_new_posting_starts_fresh(portal_env: str) -> None:
    at = app_test("pages/match.py", token=session_token_for(portal_env, PARTNER))
    scored = _metric(at, "Lines scored")
    _line_boxes(at)["Exposure to Tableau or Looker Studio"].uncheck()
    _line_boxes(at)["Apply by 15 January 2027."].check().run()
    assert not at.exception and _metric(at, "Lines scored") == scored
    ece = _posting_id(portal_env, "rece-preschool-maple-grove")
    first = at.selectbox(key="match_saved").value
    at.selectbox(key="match_saved").set_value(ece).run()
    at.selectbox(key="match_saved").set_value(first).run()
    boxes = _line_boxes(at)
    assert boxes["Exposure to Tableau or Looker Studio"].value is True
    assert boxes["Apply by 15 January 2027."].value is False


def test_the_proposed_shortlist_name_follows_the_posting_shown(portal_env: str) -> None:
    at = app_test("pages/match.py", token=session_token_for(portal_env, PARTNER))
    first = _shortlist_name(at).value
    at.selectbox(key="match_saved").set_value(_posting_id(portal_env, "rece-preschool-maple-grove")).run()
    assert not at.exception
    second = _shortlist_name(at).value
    assert first.startswith("Junior Data Analyst") and second.startswith("Registered Early Childhood Educator")


def test_degrees_and_languages_are_left_to_the_resume_unless_the_partner_ticks_them(portal_env: str) -> None:
    at = app_test("pages/match.py", token=session_token_for(portal_env, PARTNER))
    scored = _metric(at, "Lines scored")
    [group] = [e for e in at.expander if e.label.startswith("Check on the résumé")]
    assert group.label == "Check on the résumé (2): education, language"
    boxes = _line_boxes(at)
    degree = "A diploma or degree in statistics, economics, business or a related field"
    assert boxes[degree].value is False and boxes["Clear written and spoken English"].value is False
    # never matched against credentials on shared words, so never shown as matched or missing
    assert not {degree, "Clear written and spoken English"} & _shown_lines(_results(at))
    boxes["Clear written and spoken English"].check().run()
    assert not at.exception and _metric(at, "Lines scored") == scored + 1


def test_nothing_to_score_gives_a_clear_message(portal_env: str) -> None:
    at = app_test("pages/match.py", token=session_token_for(portal_env, PARTNER))
    at.radio(key="match_source").set_value("Paste the text").run()
    at.text_area(key="match_text").input(
        "Salary: $50,000 per year\nLocation: 200 Queens Quay West, Toronto, ON M5J 2L7\n"
        "Apply by 15 January 2027.").run()
    assert not at.exception
    assert "nothing to search for" in " ".join(w.value for w in at.warning)
    assert _results(at) is None
    at.text_area(key="match_text").input("Requirements\n- SQL\n- Power BI\n- Python").run()
    for box in _line_boxes(at).values():
        box.uncheck()
    at.run()
    assert not at.exception and _results(at) is None
    assert "No line is ticked" in " ".join(w.value for w in at.warning)


def test_pasted_posting_and_too_short_text(portal_env: str) -> None:
    at = app_test("pages/match.py", token=session_token_for(portal_env, PARTNER))
    at.radio(key="match_source").set_value("Paste the text").run()
    at.text_area(key="match_text").input("SQL").run()
    assert "too short" in " ".join(e.value for e in at.error)
    at.text_area(key="match_text").input(
        "Data analyst\n- Write SQL queries\n- Build Power BI dashboards\n- Clean data with Python").run()
    assert not at.exception and not at.error
    assert len(_results(at)) > 0


def test_add_to_shortlist_then_shortlists_page_and_remove(portal_env: str) -> None:
    from mosaics_match.store.models import Shortlist, ShortlistEntry

    token = session_token_for(portal_env, PARTNER)
    at = app_test("pages/match.py", token=token)
    names = list(_results(at)["Name"][:2])
    from mosaics_match.store.models import Earner

    rt = _rt(portal_env)
    with rt.Session() as session:
        ids = [session.scalars(select(Earner.id).where(Earner.name == n, Earner.discoverable.is_(True))).first()
               for n in names]
    rt.engine.dispose()
    at.multiselect(key="match_shortlist_people").set_value(ids).run()
    _shortlist_name(at).input("Analysts to call")
    at.button(key="match_shortlist_add").click().run()
    assert not at.exception
    assert "Added 2 of 2" in _texts(at)
    rt = _rt(portal_env)
    with rt.Session() as session:
        shortlist = session.scalars(select(Shortlist).where(Shortlist.name == "Analysts to call")).one()
        assert len(shortlist.entries) == 2
    rt.engine.dispose()

    sl = app_test("pages/shortlists.py", token=token)
    assert not sl.exception
    table = sl.dataframe[0].value
    assert sorted(table["Name"]) == sorted(names)
    assert table["Status"].str.startswith("Valid credentials").all()
    sl.button(key=f"sl_remove_{shortlist.id}").click().run()
    assert "Removed" in _texts(sl)
    rt = _rt(portal_env)
    with rt.Session() as session:
        assert session.query(ShortlistEntry).filter_by(shortlist_id=shortlist.id).count() == 1
    rt.engine.dispose()


def test_shortlist_hides_someone_who_withdrew_consent(portal_env: str) -> None:
    from mosaics_match.services import matching as ms
    from mosaics_match.store import repo
    from mosaics_match.store.models import Earner

    rt = _rt(portal_env)
    with rt.Session.begin() as session:
        account = repo.get_account(session, email=PARTNER)
        earner = session.scalars(select(Earner).where(Earner.discoverable.is_(True))).first()
        shortlist = ms.create_shortlist(session, account_id=account.id, name="Withdrawn")
        repo.add_to_shortlist(session, shortlist=shortlist, earner_ids=[earner.id])
        repo.set_consent(session, earner=earner, discoverable=False, actor="t", actor_role="staff")
        name = earner.name
    rt.engine.dispose()
    sl = app_test("pages/shortlists.py", token=session_token_for(portal_env, PARTNER))
    assert not sl.exception
    table = sl.dataframe[0].value
    assert name not in set(table["Name"])
    assert "No longer shares their profile" in set(table["Status"])


def test_catalogue_public_search_and_esco_links(portal_env: str) -> None:
    at = app_test("pages/catalogue.py")
    assert not at.exception
    everything = _texts(at)
    assert "esco.ec.europa.eu/en/classification/skill?uri=" in everything
    n_all = len(at.subheader)
    at.text_input(key="catalogue_query").input("power bi").run()
    assert not at.exception
    assert 0 < len(at.subheader) < n_all
    at.text_input(key="catalogue_query").input("zzzz-no-such-skill").run()
    assert "No micro-credential matches" in _texts(at)


def test_staff_gaps_report_never_counts_boilerplate(portal_env: str) -> None:
    from mosaics_match.matching import MatchConfig
    from mosaics_match.services import matching as ms
    from mosaics_match.store import repo

    at = app_test("pages/staff_gaps.py", token=session_token_for(portal_env, STAFF))
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert len(table) > 0 and {"Posting", "Requirement", "Kind"} <= set(table.columns)
    assert set(table["Kind"]) <= {"Requirement", "Nice to have", "Duty"}
    # below the partial cosine, or above it only through letters: no competency names TypeScript
    above = table[table["Closest match"] >= MatchConfig().partial_similarity]
    assert set(above["Requirement"]) <= {"TypeScript"}
    rt = _rt(portal_env)
    with rt.Session() as session:
        boilerplate = {line.text for p in repo.list_postings(session)
                       for line in ms.read(p.text, title=p.title).lines if not line.scored}
    rt.engine.dispose()
    assert {"Apply by 15 January 2027.", "About the role", "1180 Danforth Avenue, Toronto, ON M4J 1M6"} <= boilerplate
    assert not boilerplate & set(table["Requirement"])
    assert not [t for t in table["Requirement"] if "$" in t or t.lower().startswith(("salary", "wage"))]
    kind = table["Kind"].value_counts().index[-1]  # the rarest kind shown
    at.multiselect(key="gaps_kinds").set_value([kind]).run()
    assert set(at.dataframe[0].value["Kind"]) == {kind}


@pytest.mark.parametrize(("email", "page"), [(EMPLOYER, "pages/match.py"), (PARTNER, "pages/staff_gaps.py"),
                                             (STAFF, "pages/shortlists.py"), (None, "pages/match.py")])
def test_pages_not_routed_for_other_roles(portal_env: str, email: str | None, page: str) -> None:
    token = session_token_for(portal_env, email) if email else None
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app_test(page, token=token)


def test_staff_may_use_match_page(portal_env: str) -> None:
    at = app_test("pages/match.py", token=session_token_for(portal_env, STAFF))
    assert not at.exception and len(_results(at)) > 0
    assert not [b for b in at.button if b.key == "match_shortlist_add"]  # shortlists are partners' own


def test_withdrawal_and_revocation_reach_the_page_without_a_restart(portal_env: str) -> None:
    from mosaics_match.services import issuing
    from mosaics_match.store import repo
    from mosaics_match.store.models import Earner, IssuedCredential

    at = app_test("pages/match.py", token=session_token_for(portal_env, PARTNER))
    first, second = list(_results(at)["Name"][:2])
    rt = _rt(portal_env)
    with rt.Session.begin() as session:
        earner = session.scalars(select(Earner).where(Earner.name == first, Earner.discoverable.is_(True))).one()
        repo.set_consent(session, earner=earner, discoverable=False, actor="earner@x", actor_role="earner")
    at.run()  # same browser session, same cached resources: the data version changed
    assert not at.exception
    assert first not in set(_results(at)["Name"])
    with rt.Session.begin() as session:
        signer = issuing.open_signer(session, settings=rt.settings)
        earner = session.scalars(select(Earner).where(Earner.name == second, Earner.discoverable.is_(True))).one()
        for cred in session.scalars(select(IssuedCredential).where(IssuedCredential.earner_id == earner.id,
                                                                   IssuedCredential.revoked.is_(False))):
            issuing.change_status(session, signer=signer, credential=cred, action="revoke", reason="test",
                                  actor="staff@x")
    rt.engine.dispose()
    at.run()
    assert not at.exception
    remaining = _results(at)
    assert remaining is None or second not in set(remaining["Name"])


def test_uploaded_docx_is_matched_and_a_fake_pdf_gives_a_clear_error(portal_env: str) -> None:
    import io

    import docx

    document = docx.Document()
    document.add_paragraph("Requirements")
    for req in ("Write SQL queries against a data warehouse", "Build Power BI dashboards",
                "Clean data with Python and pandas"):
        document.add_paragraph(req, style="List Bullet")
    buf = io.BytesIO()
    document.save(buf)

    at = app_test("pages/match.py", token=session_token_for(portal_env, PARTNER))
    at.radio(key="match_source").set_value("Upload a file").run()
    at.file_uploader(key="match_upload").set_value(("fake.pdf", b"MZ this is not a pdf" * 20, "application/pdf"))
    at.run()
    assert not at.exception
    assert "not a PDF" in " ".join(e.value for e in at.error)
    assert _results(at) is None
    at.file_uploader(key="match_upload").set_value(
        ("posting.docx", buf.getvalue(),
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))
    at.run()
    assert not at.exception and not at.error
    assert len(_results(at)) > 0
    assert "Read " in _texts(at)


def test_staff_gaps_chart_shows_whole_posting_titles(portal_env: str) -> None:
    at = app_test("pages/staff_gaps.py", token=session_token_for(portal_env, STAFF))
    assert not at.exception
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    spec = json.loads(charts[0].proto.spec)
    assert spec["encoding"]["y"]["axis"]["labelLimit"] == 0  # no cut: Vega-Lite's default is 180 px
    titles = set(at.dataframe[0].value["Posting"])
    assert any(len(t) > 20 for t in titles)
    assert spec["height"] >= 28 * len(titles)
