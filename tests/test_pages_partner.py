"""AppTest runs of the partner pages (match, shortlists), the public catalogue and the staff coverage-gaps page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import app_test, make_settings, session_token_for

PARTNER = "partner@mosaics.example"
STAFF = "staff@mosaics.example"
EMPLOYER = "employer@mosaics.example"


def _rt(db_url: str):  # noqa: ANN202
    from mosaics_match.runtime import open_runtime

    return open_runtime(make_settings(db_url), migrate=False)


def _texts(at) -> str:  # noqa: ANN001
    parts = [e.value for e in at.error] + [e.value for e in at.success] + [e.value for e in at.warning]
    parts += [e.value for e in at.info] + [m.value for m in at.markdown] + [c.value for c in at.caption]
    return "\n".join(str(p) for p in parts)


def _results(at):  # noqa: ANN001, ANN202
    """The ranked-earners table (the first dataframe with a Score column), or None."""
    for frame in at.dataframe:
        if "Score" in frame.value.columns:
            return frame.value
    return None


def _search_audits(db_url: str) -> list:
    from mosaics_match.models import AuditEvent

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
    assert with_evidence["Evidence"].str.contains("/verify?credential=urn%3Auuid%3A", regex=False).all()
    assert {"Matched", "Missing", "Band"} <= set(table.columns)
    assert "Micro-credentials that would close the gaps" in [s.value for s in at.subheader]
    audits = _search_audits(portal_env)
    assert len(audits) == 1
    details = audits[0].details
    assert details["result_count"] >= len(table) and details["posting_title"]
    assert "Email" not in str(details) and "@" not in str(details)  # no earner data in the log
    at.run()  # a rerun with the same posting and filters is not a new search
    assert len(_search_audits(portal_env)) == 1


def test_match_shows_email_only_when_shared(portal_env: str) -> None:
    from mosaics_match.models import Earner

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


def test_min_score_filter_updates_live_count(portal_env: str) -> None:
    at = app_test("pages/match.py", token=session_token_for(portal_env, PARTNER))
    before = int(at.metric[0].value.replace(",", ""))
    scores = sorted(_results(at)["Score"], reverse=True)
    cut = round(scores[len(scores) // 2] * 20) / 20  # a slider step near the median score
    at.slider(key="match_min_score").set_value(cut).run()
    assert not at.exception
    after = int(at.metric[0].value.replace(",", ""))
    assert after < before
    results = _results(at)
    if after:
        assert (results["Score"] >= cut - 1e-3).all()
        assert len(results) == min(after, 50)
    assert len(_search_audits(portal_env)) == 2  # the changed filters are a new search


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
    from mosaics_match.models import Shortlist, ShortlistEntry

    token = session_token_for(portal_env, PARTNER)
    at = app_test("pages/match.py", token=token)
    names = list(_results(at)["Name"][:2])
    from mosaics_match.models import Earner

    rt = _rt(portal_env)
    with rt.Session() as session:
        ids = [session.scalars(select(Earner.id).where(Earner.name == n, Earner.discoverable.is_(True))).first()
               for n in names]
    rt.engine.dispose()
    at.multiselect(key="match_shortlist_people").set_value(ids).run()
    at.text_input(key="match_shortlist_name").input("Analysts to call")
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
    from mosaics_match import matching_service as ms
    from mosaics_match import repo
    from mosaics_match.models import Earner

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


def test_staff_gaps_report(portal_env: str) -> None:
    at = app_test("pages/staff_gaps.py", token=session_token_for(portal_env, STAFF))
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert len(table) > 0 and {"Posting", "Requirement"} <= set(table.columns)
    assert (table["Closest match"] < 0.15 + 1e-9).all()


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
    from mosaics_match import issuing, repo
    from mosaics_match.models import Earner, IssuedCredential

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
