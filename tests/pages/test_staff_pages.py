"""AppTest runs of every staff-console page, signed in as staff, against a private seeded database."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.conftest import REPO, app_test, make_settings, session_token_for

STAFF = "staff@mosaics.example"


def _rt(db_url: str):
    from mosaics_match.runtime import open_runtime

    return open_runtime(make_settings(db_url), migrate=False)


def _count(db_url: str, model, *where) -> int:
    rt = _rt(db_url)
    try:
        with rt.Session() as session:
            return session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    finally:
        rt.engine.dispose()


def _texts(at) -> str:
    parts = [e.value for e in at.error] + [e.value for e in at.success] + [e.value for e in at.warning]
    parts += [e.value for e in at.info] + [m.value for m in at.markdown] + [c.value for c in at.caption]
    return "\n".join(str(p) for p in parts)


@pytest.fixture
def staff(portal_env: str):
    return session_token_for(portal_env, STAFF)


@pytest.mark.parametrize("page", ["staff_issue", "staff_status", "staff_earners", "staff_keys", "staff_trust",
                                  "staff_audit"])
def test_staff_pages_refuse_other_roles(portal_env: str, page: str) -> None:
    from streamlit.testing.v1 import AppTest

    token = session_token_for(portal_env, "partner@mosaics.example")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app_test(f"pages/{page}.py", token=token)  # not routed for a partner
    # Run directly (as if routed by mistake): the page's own server-side check stops it before any content.
    at = AppTest.from_file(str(REPO / "pages" / f"{page}.py"), default_timeout=60)
    at.session_state["session_token"] = token
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["You do not have access to this page. Sign in with an account that does."]
    assert not at.button and not at.get("file_uploader") and not at.dataframe


def test_issue_one_credential_shows_claim_code_downloads_and_certificate(portal_env: str, staff: str) -> None:
    from mosaics_match.store.models import AuditEvent, Earner, IssuedCredential

    before = _count(portal_env, IssuedCredential)
    at = app_test("pages/staff_issue.py", token=staff)
    assert not at.exception
    at.text_input[0].input("New.Person@Example.org")
    at.text_input[1].input("New Person")
    at.radio[0].set_value("vc-jwt")
    at.button(key="FormSubmitter:issue_one-Issue credential").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert _count(portal_env, IssuedCredential) == before + 1
    assert _count(portal_env, Earner, Earner.email == "new.person@example.org") == 1
    codes = [c.value for c in at.code]
    assert len(codes) == 1 and len(codes[0]) == 14  # XXXX-XXXX-XXXX
    labels = [d.label for d in at.get("download_button")]
    assert "Download JWT" in labels and "Printable certificate (PDF)" in labels
    assert any(label.startswith("Download badge image") for label in labels)
    assert "verify?credential=urn%3Auuid%3A" in _texts(at)
    assert _count(portal_env, AuditEvent, AuditEvent.action == "issue", AuditEvent.actor == STAFF) >= 1


def test_issue_form_rejects_bad_input_without_writing(portal_env: str, staff: str) -> None:
    from mosaics_match.store.models import IssuedCredential

    before = _count(portal_env, IssuedCredential)
    at = app_test("pages/staff_issue.py", token=staff)
    at.text_input[0].input("not-an-email")
    at.text_input[1].input("")
    at.button(key="FormSubmitter:issue_one-Issue credential").click().run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "not a valid email address" in errors and "name is missing" in errors
    assert _count(portal_env, IssuedCredential) == before


def _catalogue_slugs(db_url: str) -> list[str]:
    from mosaics_match.store import repo

    rt = _rt(db_url)
    with rt.Session() as session:
        slugs = [a.slug for a in repo.list_achievements(session)]
    rt.engine.dispose()
    return slugs


def test_bulk_issue_previews_then_issues_every_row(portal_env: str, staff: str) -> None:
    from mosaics_match.store.models import IssuedCredential

    slugs = _catalogue_slugs(portal_env)
    csv_text = "email,name,achievement,format\n" + "".join(
        f"bulk{i}@example.org,Bulk Person {i},{slugs[i % len(slugs)]},{fmt}\n"
        for i, fmt in enumerate(["eddsa-rdfc-2022", "eddsa-jcs-2022", "vc-jwt"])
    )
    before = _count(portal_env, IssuedCredential)
    at = app_test("pages/staff_issue.py", token=staff)
    at.file_uploader(key="bulk_csv").set_value(("earners.csv", csv_text.encode(), "text/csv"))
    at.run()
    assert not at.exception, at.exception
    assert "All 3 rows are valid" in _texts(at)
    assert _count(portal_env, IssuedCredential) == before  # preview writes nothing
    issue = [b for b in at.button if b.label == "Issue 3 credentials"]
    assert issue
    issue[0].click().run()
    assert not at.exception, at.exception
    assert _count(portal_env, IssuedCredential) == before + 3
    assert "3 of 3 credentials issued" in _texts(at)
    assert "Download the results with claim codes (CSV)" in [d.label for d in at.get("download_button")]
    # A rerun (e.g. the user clicks elsewhere) must not issue the file again.
    at.run()
    assert _count(portal_env, IssuedCredential) == before + 3
    assert "already issued in this session" in _texts(at)


def test_bulk_issue_with_a_bad_row_issues_nothing(portal_env: str, staff: str) -> None:
    from mosaics_match.store.models import IssuedCredential

    slug = _catalogue_slugs(portal_env)[0]
    csv_text = f"email,name,achievement\nok@example.org,Ok Person,{slug}\nbroken,Bad Row,no-such-thing\n"
    before = _count(portal_env, IssuedCredential)
    at = app_test("pages/staff_issue.py", token=staff)
    at.file_uploader(key="bulk_csv").set_value(("earners.csv", csv_text.encode(), "text/csv"))
    at.run()
    assert not at.exception
    assert "1 of 2 rows have problems" in " ".join(e.value for e in at.error)
    assert not [b for b in at.button if b.label.endswith(" credentials")]
    assert _count(portal_env, IssuedCredential) == before


def test_bulk_issue_rejects_a_non_csv_upload_and_stays_usable(portal_env: str, staff: str) -> None:
    at = app_test("pages/staff_issue.py", token=staff)
    at.file_uploader(key="bulk_csv").set_value(("x.csv", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "text/csv"))
    at.run()
    assert not at.exception
    assert any("not UTF-8" in e.value or "binary" in e.value for e in at.error)
    from mosaics_match.services.bulk_issue import MAX_CSV_BYTES

    at.file_uploader(key="bulk_csv").set_value(("big.csv", b"email,name,achievement\n" + b"a" * MAX_CSV_BYTES,
                                                "text/csv"))
    at.run()
    assert any("the limit is" in e.value for e in at.error) and not at.dataframe
    at.text_input[0].input("still@example.org")
    at.run()
    assert not at.exception


def test_revoke_suspend_reinstate_through_confirmation_dialog(portal_env: str, staff: str) -> None:
    from mosaics_match.credentials import status as cs
    from mosaics_match.store import repo
    from mosaics_match.store.models import AuditEvent, StatusList

    at = app_test("pages/staff_status.py", token=staff)
    assert not at.exception
    chosen = at.selectbox(key="status_pick").value

    def lists():
        rt = _rt(portal_env)
        with rt.Session() as session:
            cred = repo.get_credential(session, credential_id=chosen)
            rows = {lst.purpose: (lst.version, cs.StatusBits(lst.size, data=lst.bits).get(cred.status_index))
                    for lst in session.scalars(select(StatusList).where(StatusList.number == cred.status_list_number))}
            state = (cred.revoked, cred.suspended, cred.status_reason)
        rt.engine.dispose()
        return rows, state

    v0, _ = lists()
    at.button(key="do_suspend").click().run()
    at.text_area(key="reason_suspend").input("Under review").run()
    at.button(key="confirm_yes").click().run()
    assert not at.exception, at.exception
    v1, state = lists()
    assert state == (False, True, "Under review")
    assert v1["suspension"] == (v0["suspension"][0] + 1, 1)  # re-signed, bit set
    assert "Suspend done" in _texts(at)

    at.button(key="do_reinstate").click().run()
    at.button(key="confirm_yes").click().run()  # a reinstatement needs a reason too
    assert "Give a reason" in " ".join(e.value for e in at.error) and lists()[1][1] is True
    at.text_area(key="reason_reinstate").input("Review cleared").run()
    at.button(key="confirm_yes").click().run()
    v2, state = lists()
    assert state == (False, False, "Review cleared") and v2["suspension"][1] == 0

    # Confirming a revocation without a reason is refused inside the dialog and writes nothing.
    at.button(key="do_revoke").click().run()
    at.button(key="confirm_yes").click().run()
    assert "Give a reason" in " ".join(e.value for e in at.error)
    assert lists()[1][0] is False
    at.text_area(key="reason_revoke").input("Academic misconduct").run()
    at.button(key="confirm_yes").click().run()
    v3, state = lists()
    assert state[0] is True and v3["revocation"][1] == 1
    assert not [b for b in at.button if b.key in ("do_revoke", "do_suspend")]
    assert _count(portal_env, AuditEvent, AuditEvent.action == "revoke", AuditEvent.subject == chosen) == 1


def test_status_search_finds_by_email_and_is_audited(portal_env: str, staff: str) -> None:
    from mosaics_match.store.models import AuditEvent

    at = app_test("pages/staff_status.py", token=staff)
    first = at.selectbox(key="status_pick").value
    rt = _rt(portal_env)
    from mosaics_match.store import repo

    with rt.Session() as session:
        earner = repo.get_credential(session, credential_id=first).earner
        email = earner.email
        held = [(c.achievement.name, c.credential_id) for c in repo.credentials_of(session, earner=earner)]
    rt.engine.dispose()
    at.text_input(key="status_query").input(email.upper()).run()
    assert not at.exception
    # The picker offers exactly this earner's credentials (labelled by name, not e-mail).
    assert sorted(at.selectbox(key="status_pick").options) == sorted(
        f"{earner.name} — {name} (…{cid[-8:]})" for name, cid in held)
    frame = at.dataframe[0].value
    assert set(frame["Email"]) == {email}
    at.run()  # rerun with the same query: one audit event only
    assert _count(portal_env, AuditEvent, AuditEvent.action == "search",
                  AuditEvent.subject == f"credentials:{email.upper()}") == 1
    at.text_input(key="status_query").input("zzzz-nothing-matches").run()
    assert "No credentials match." in _texts(at)


def test_earner_consent_withdrawal_hides_from_matching_at_once(portal_env: str, staff: str) -> None:
    from mosaics_match.store import repo
    from mosaics_match.store.models import Earner

    rt = _rt(portal_env)
    with rt.Session() as session:
        rows = repo.matching_rows(session)
        earner = session.get(Earner, rows[0].earner_id)
        email, version = earner.email, repo.data_version(session)
    at = app_test("pages/staff_earners.py", token=staff)
    at.text_input(key="earner_query").input(email).run()
    assert not at.exception
    assert at.toggle[0].value is True
    at.toggle[0].set_value(False)
    at.button(key=f"FormSubmitter:consent_{rows[0].earner_id}-Save consent").click().run()
    assert not at.exception, at.exception
    assert "no longer appears in any partner search" in _texts(at)
    with rt.Session() as session:
        assert all(r.earner_id != rows[0].earner_id for r in repo.matching_rows(session))
        assert repo.data_version(session) > version
    rt.engine.dispose()


def test_earner_import_preview_then_idempotent_import(portal_env: str, staff: str) -> None:
    from mosaics_match.store.models import Earner

    before = _count(portal_env, Earner)
    data = (b"email,name,discoverable,location\nimp1@example.org,Imported One,yes,Toronto\n"
            b"imp2@example.org,Imported Two,no,\n")
    at = app_test("pages/staff_earners.py", token=staff)
    at.file_uploader(key="earner_csv").set_value(("e.csv", data, "text/csv")).run()
    assert not at.exception
    assert _count(portal_env, Earner) == before
    [b for b in at.button if b.label.startswith("Import 2 rows")][0].click().run()
    assert not at.exception, at.exception
    assert "2 new earner(s)" in _texts(at)
    assert _count(portal_env, Earner) == before + 2
    at2 = app_test("pages/staff_earners.py", token=staff)
    at2.file_uploader(key="earner_csv").set_value(("e.csv", data, "text/csv")).run()
    assert "Import 2 rows (0 change(s))" in [b.label for b in at2.button]


def test_keys_page_shows_fingerprints_never_private_keys_and_rotates(portal_env: str, staff: str) -> None:
    from mosaics_match.store.models import SigningKey

    at = app_test("pages/staff_keys.py", token=staff)
    assert not at.exception
    page = _texts(at) + json.dumps([d.value.to_dict() for d in at.dataframe], default=str)
    rt = _rt(portal_env)
    with rt.Session() as session:
        keys = list(session.scalars(select(SigningKey)))
    rt.engine.dispose()
    assert any(k.fingerprint in page for k in keys)
    assert "private" not in json.dumps([list(d.value.columns) for d in at.dataframe]).lower()
    before = len(keys)
    at.button[[b.label for b in at.button].index("Rotate the key…")].click().run()
    at.button(key="rotate_yes").click().run()
    assert not at.exception, at.exception
    assert "Key rotated" in _texts(at)
    assert _count(portal_env, SigningKey) == before + 1
    assert _count(portal_env, SigningKey, SigningKey.retired_at.is_not(None)) >= 1


def test_trust_page_add_validate_remove_import_export(portal_env: str, staff: str) -> None:
    from mosaics_match.store.models import Issuer

    at = app_test("pages/staff_trust.py", token=staff)
    assert not at.exception
    form = "FormSubmitter:trust_add-Add to the trust registry"
    at.text_input[0].input("not a did")
    at.text_input[1].input("Someone")
    at.button(key=form).click().run()
    assert "neither a DID nor a web address" in " ".join(e.value for e in at.error)
    at.text_input[0].input("did:web:partner.example.edu")
    at.text_input[1].input("Partner College")
    at.button(key=form).click().run()
    assert not at.exception
    assert _count(portal_env, Issuer, Issuer.identifier == "did:web:partner.example.edu", Issuer.trusted.is_(True)) == 1

    at.selectbox(key="trust_pick").set_value("did:web:partner.example.edu").run()
    at.button(key="trust_remove").click().run()
    at.button(key="trust_remove_yes").click().run()
    assert not at.exception
    assert _count(portal_env, Issuer, Issuer.identifier == "did:web:partner.example.edu", Issuer.trusted.is_(True)) == 0

    doc = {"issuers": [{"id": "https://badges.example.com/", "name": "Example Badges", "notes": "pilot"}]}
    at.file_uploader(key="trust_json").set_value(("t.json", json.dumps(doc).encode(), "application/json")).run()
    [b for b in at.button if b.label == "Import 1 issuer(s)"][0].click().run()
    assert "1 added" in _texts(at)
    assert _count(portal_env, Issuer, Issuer.identifier == "https://badges.example.com", Issuer.trusted.is_(True)) == 1
    at.file_uploader(key="trust_json").set_value(("t.json", b'{"issuers": [{"id": 5}]}', "application/json")).run()
    assert "entry 1" in " ".join(e.value for e in at.error)


def test_audit_page_filters_and_offers_exports(portal_env: str, staff: str) -> None:
    from mosaics_match.store import repo

    rt = _rt(portal_env)
    with rt.Session.begin() as session:
        repo.record_audit(session, actor="auditor-probe@example.org", actor_role="staff", action="search",
                          subject="probe", outcome="0 found")
    rt.engine.dispose()
    at = app_test("pages/staff_audit.py", token=staff)
    assert not at.exception
    at.selectbox(key="audit_action").set_value("search").run()
    at.text_input(key="audit_actor").input("auditor-probe").run()
    frame = at.dataframe[0].value
    assert list(frame["actor"]) == ["auditor-probe@example.org"]
    assert {d.label for d in at.get("download_button")} == {"Export CSV", "Export JSON"}
    at.text_input(key="audit_actor").input("no-such-actor-anywhere").run()
    assert "No events match these filters." in _texts(at)


def test_issue_page_says_which_verifiers_accept_each_proof_format(portal_env: str, staff: str) -> None:
    at = app_test("pages/staff_issue.py", token=staff)
    assert not at.exception
    notes = [c.value for c in at.caption if "Digital Credentials Consortium" in c.value]
    assert len(notes) == 2, notes  # beside the single-issue choice and the CSV default choice
    note = notes[0]
    rdfc, jcs, jwt = (note.split(f"**{fmt}**", 1)[1].split("**", 1)[0]
                      for fmt in ("eddsa-rdfc-2022", "eddsa-jcs-2022", "vc-jwt"))
    assert "Digital Credentials Consortium" in rdfc and "not " not in rdfc
    assert "not the Digital Credentials Consortium" in jcs
    assert "not the Digital Credentials Consortium" in jwt
