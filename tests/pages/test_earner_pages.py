"""The earner page: own credentials only (no IDOR), claim codes, downloads that carry the credential, the
verification link and its QR code, and consent that takes effect in partner searches at once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.services.test_auth import (  # noqa: F401  (fixtures)
    EMAILS,
    T0,
    World,
    _cheap_dummy_hash,
    build_world,
    portal_test,
    token_for,
    world_env,
    world_runtime,
    world_template,
)

MY_PAGE = "pages/my_credentials.py"


@pytest.fixture
def wrt(rt):
    """A runtime on a fresh database holding the small world (PostgreSQL too, when configured)."""
    return rt, build_world(rt)


def _titles(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("**")]


def _my_page(world: World, who: str = "earner"):
    at = portal_test(token=token_for(world, who))
    at.switch_page(MY_PAGE).run()
    assert not at.exception, at.exception
    return at


# --- sharing: scoping, status, downloads ----------------------------------------------------------------------

@pytest.mark.storage
def test_credentials_are_scoped_to_their_earner(wrt) -> None:
    from mosaics_match.services import sharing

    rt, world = wrt
    with rt.Session() as session:
        mine = {c.credential_id for c in sharing.owned_credentials(session, earner_id=world.earner_id)}
        assert mine == {world.credential_ids[k] for k in ("valid", "jwt", "revoked")}  # claimed ones only
        assert sharing.owned_credential(session, earner_id=world.earner_id,
                                        credential_id=world.credential_ids["other"]) is None
        assert sharing.owned_credential(session, earner_id=world.earner_id,
                                        credential_id=world.credential_ids["unclaimed"]) is None
        assert sharing.owned_credential(session, earner_id=world.earner_id,
                                        credential_id=world.credential_ids["valid"]) is not None


@pytest.mark.storage
def test_status_of_each_credential(wrt) -> None:
    from mosaics_match.services import sharing
    from mosaics_match.store import repo

    rt, world = wrt
    expected = {"valid": "valid", "revoked": "revoked", "other_suspended": "suspended", "expired": "expired"}
    with rt.Session() as session:
        for label, status in expected.items():
            row = repo.get_credential(session, credential_id=world.credential_ids[label])
            assert sharing.credential_status(row, now=T0) == status, label
        row = sharing.owned_credential(session, earner_id=world.earner_id, credential_id=world.credential_ids["valid"])
        assert sharing.credential_status(row, now=row.valid_from - timedelta(days=1)) == "pending"


@pytest.mark.storage
def test_downloads_carry_the_signed_credential(wrt) -> None:
    from mosaics_match.credentials.bake import unbake_png, unbake_svg
    from mosaics_match.services import sharing

    rt, world = wrt
    with rt.Session() as session:
        di = sharing.owned_credential(session, earner_id=world.earner_id, credential_id=world.credential_ids["valid"])
        jwt = sharing.owned_credential(session, earner_id=world.earner_id, credential_id=world.credential_ids["jwt"])
        di_files = {d.file_name.rsplit(".", 1)[1]: d for d in sharing.downloads(di)}
        jwt_files = {d.file_name.rsplit(".", 1)[1]: d for d in sharing.downloads(jwt)}
        assert set(di_files) == {"json", "png", "svg"} and set(jwt_files) == {"json", "jwt", "png", "svg"}
        assert json.loads(di_files["json"].data) == json.loads(di.document)
        assert json.loads(unbake_png(di_files["png"].data)) == json.loads(di.document)
        assert json.loads(unbake_svg(di_files["svg"].data)) == json.loads(di.document)
        assert jwt_files["jwt"].data.decode() == jwt.document
        assert unbake_png(jwt_files["png"].data) == jwt.document
        assert unbake_svg(jwt_files["svg"].data) == jwt.document
        assert json.loads(jwt_files["json"].data)["id"] == jwt.credential_id  # decoded payload, for reading


def test_qr_code_encodes_the_verification_link() -> None:
    import io

    import zxingcpp
    from PIL import Image

    from mosaics_match.services import sharing

    link = sharing.verification_link("https://mosaics.example", "urn:uuid:12345678-1234-4123-8123-123456789abc")
    assert link == "https://mosaics.example/verify?credential=urn%3Auuid%3A12345678-1234-4123-8123-123456789abc"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(sharing.qr_png(link))))
    assert [d.text for d in decoded] == [link]


# --- claim codes ----------------------------------------------------------------------------------------------

def _claim(rt, world: World, code: str, *, who: str = "earner", now=T0):
    from mosaics_match.services import claims

    earner_id = world.earner_id if who == "earner" else world.earner2_id
    with rt.Session.begin() as session:
        return claims.claim_credential(session, earner_id=earner_id, actor=EMAILS[who], code=code, now=now)


@pytest.mark.storage
def test_claim_code_works_once_and_only_for_its_earner(wrt) -> None:
    from mosaics_match.services import sharing
    from mosaics_match.store import repo

    rt, world = wrt
    code = world.claim_codes["unclaimed"]
    assert not _claim(rt, world, code, who="earner2").ok  # someone else's code: like a wrong one
    first = _claim(rt, world, code.lower().replace("-", " "))  # typed loosely
    assert first.ok and first.credential_id == world.credential_ids["unclaimed"]
    again = _claim(rt, world, code)
    assert not again.ok and again.outcome == "already"
    with rt.Session() as session:
        mine = {c.credential_id for c in sharing.owned_credentials(session, earner_id=world.earner_id)}
        assert world.credential_ids["unclaimed"] in mine
        events = repo.list_audit(session, action="claim")
        assert sorted(e.outcome for e in events) == ["already", "failure", "success"]
        assert not any(code in json.dumps(e.details) or code in (e.subject or "") for e in events)


@pytest.mark.storage
def test_wrong_claim_codes_are_throttled(wrt) -> None:
    from mosaics_match.services import claims

    rt, world = wrt
    for i in range(claims.MAX_CLAIM_FAILURES):
        result = _claim(rt, world, f"ZZZZ-ZZZZ-ZZZ{i + 2}", now=T0 + timedelta(seconds=i))
        assert not result.ok and result.outcome == "failure"
    right = world.claim_codes["unclaimed"]
    blocked = _claim(rt, world, right, now=T0 + timedelta(minutes=1))
    assert not blocked.ok and blocked.outcome == "throttled"
    assert _claim(rt, world, right, now=T0 + claims.CLAIM_WINDOW + timedelta(minutes=1)).ok


def test_claim_code_normalisation() -> None:
    from mosaics_match.services import claims

    assert claims.normalise_code(" abcd-efgh-jkmn ") == "ABCD-EFGH-JKMN"
    assert claims.normalise_code("abcd efgh jkmn") == "ABCD-EFGH-JKMN"
    for bad in ("", "short", "ABCD-EFGH-JKM<", "A" * 200, "ÄBCD-EFGH-JKMN"):
        assert claims.normalise_code(bad) is None


# --- the page -------------------------------------------------------------------------------------------------

def test_earner_sees_exactly_their_own_credentials_with_status(world_env) -> None:
    at = _my_page(world_env)
    titles = " ".join(_titles(at))
    for name in ("Data Analytics Foundations", "Cloud Operations Essentials", "SQL Reporting"):
        assert name in titles
    assert len(_titles(at)) == 3
    assert any("My credentials (3)" == h.value for h in at.subheader)
    assert any("revoked" in w.value for w in at.warning)  # the revoked one says so
    downloads = at.get("download_button")
    assert len(downloads) == 3 + 4 + 3  # DI: json/png/svg, JWT: json/jwt/png/svg, DI revoked
    assert any("waiting for a claim code" in c.value for c in at.caption)
    # Private by default: no link, no QR code, nothing published, until the earner creates one.
    assert not at.code and not at.get("image")
    assert [t.value for t in at.toggle if t.key.startswith("publish_")] == [False, False, False]


def _share_links(world: World, *labels: str) -> dict[str, str]:
    """Each labelled credential gets a verification link, as the earner's button makes it."""
    from mosaics_match.services import sharing
    from mosaics_match.store import repo

    rt = world_runtime(world)
    tokens = {}
    with rt.Session.begin() as session:
        for label in labels:
            row = repo.get_credential(session, credential_id=world.credential_ids[label])
            tokens[label] = sharing.create_share_link(session, row=row, actor="earner")
    rt.engine.dispose()
    return tokens


def test_other_earner_sees_only_theirs(world_env) -> None:
    at = _my_page(world_env, "earner2")
    titles = " ".join(_titles(at))
    assert "Data Analytics Foundations" in titles and "Cloud Operations Essentials" in titles  # other, expired
    assert len(_titles(at)) == 3
    codes = " ".join(c.value for c in at.code)
    for label in ("valid", "jwt", "revoked"):
        assert world_env.credential_ids[label].replace(":", "%3A") not in codes


def test_earner_account_without_an_earner_record_sees_a_clear_message(world_env) -> None:
    at = _my_page(world_env, "unlinked")
    assert any("not linked to an earner record" in e.value for e in at.error)
    assert not at.get("download_button") and not [s for s in at.subheader if s.value.startswith("My credentials")]


def test_session_state_tampering_does_not_reach_other_earners(world_env) -> None:
    """Whatever the browser session holds besides a valid token, the page uses the token's account."""
    _share_links(world_env, "valid", "other")
    at = portal_test(token=token_for(world_env, "earner2"))
    for key, value in (("earner_id", world_env.earner_id), ("viewer", {"earner_id": world_env.earner_id}),
                       ("account_id", 1), ("role", "staff"), ("credential_id", world_env.credential_ids["valid"])):
        at.session_state[key] = value
    at.switch_page(MY_PAGE).run()
    codes = " ".join(c.value for c in at.code)
    assert world_env.credential_ids["valid"].replace(":", "%3A") not in codes
    assert world_env.credential_ids["other"].replace(":", "%3A") in codes


def test_forged_or_foreign_tokens_give_no_access(world_env) -> None:
    good = token_for(world_env, "earner2")
    body, sig = good.split(".")
    import base64

    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["a"] = 1  # another account id, signature left as it was
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode() + "." + sig
    for token in (forged, "not-a-token", good + "x"):
        at = portal_test(token=token)
        assert "Not signed in" in " ".join(c.value for c in at.sidebar.caption)
        with pytest.raises(ValueError):
            at.switch_page(MY_PAGE)


def test_claim_through_the_page(world_env) -> None:
    at = _my_page(world_env)
    at.text_input(key="claim_code").input("WRONG-CODE-1")
    next(b for b in at.button if b.label == "Claim").click()
    at.run()
    assert any("not valid" in e.value for e in at.error)
    at.text_input(key="claim_code").input(world_env.claim_codes["unclaimed"])
    next(b for b in at.button if b.label == "Claim").click()
    at.run()
    assert any(s.value.startswith("Claimed") for s in at.success)
    assert any("My credentials (4)" == h.value for h in at.subheader)


def test_consent_toggle_bumps_the_data_version_and_hides_the_earner(world_env) -> None:
    from mosaics_match.store import repo

    rt = world_runtime(world_env)
    with rt.Session() as session:
        before = repo.data_version(session)
        assert world_env.earner_id in {r.earner_id for r in repo.matching_rows(session, at=T0)}
    at = _my_page(world_env)
    at.toggle(key="consent_discoverable").set_value(False).run()
    assert not at.exception
    assert any("no longer find you" in s.value for s in at.success)
    with rt.Session() as session:
        assert repo.data_version(session) > before
        assert world_env.earner_id not in {r.earner_id for r in repo.matching_rows(session, at=T0)}
        assert world_env.earner2_id in {r.earner_id for r in repo.matching_rows(session, at=T0)}
        assert [e.outcome for e in repo.list_audit(session, action="consent")] == ["hidden"]
    at.run()  # nothing changed: no second bump
    with rt.Session() as session:
        assert len(repo.list_audit(session, action="consent")) == 1
    rt.engine.dispose()


@pytest.mark.storage
def test_demo_earner_holds_three_claimed_credentials(seeded_rt) -> None:
    from mosaics_match.services import sharing
    from mosaics_match.store import repo

    with seeded_rt.Session() as session:
        account = repo.get_account(session, email="earner@mosaics.example")
        assert account is not None and account.earner_id is not None
        rows = sharing.owned_credentials(session, earner_id=account.earner_id)
        assert len(rows) == 3
        assert {sharing.credential_status(r) for r in rows} == {"valid"}


@pytest.mark.storage
def test_every_download_of_the_demo_earner_verifies(seeded_rt) -> None:
    """What the earner downloads (signed JSON, JWT, baked PNG and SVG) passes the portal's own verification."""
    from mosaics_match.services import sharing, verification
    from mosaics_match.services.auth import PUBLIC
    from mosaics_match.store import repo

    with seeded_rt.Session() as session:
        account = repo.get_account(session, email="earner@mosaics.example")
        files = [(row.proof_format, d) for row in sharing.owned_credentials(session, earner_id=account.earner_id)
                 for d in sharing.downloads(row)]
    checked = 0
    for fmt, d in files:
        if d.label == "Readable copy (.json)":
            continue  # the decoded payload of a JWT is for reading; the JWT file is the signed form
        pv = verification.verify_submission(seeded_rt, d.data, email="earner@mosaics.example", viewer=PUBLIC,
                                            source="upload", remote=False, audit=False)
        assert pv.verdict == verification.VERIFIED, (fmt, d.file_name, pv.reason)
        checked += 1
    assert checked >= 9  # three credentials, at least three signed files each


# --- private by default: share links and publishing ------------------------------------------------------------

def _card_index(at, credential_id: str) -> int:
    """Position of a credential's card on the page (the publish toggle is keyed by credential id)."""
    keys = [t.key for t in at.toggle if t.key.startswith("publish_")]
    return keys.index(f"publish_{credential_id}")


def test_share_link_is_created_withdrawn_and_replaced_by_the_earner(world_env) -> None:
    from urllib.parse import parse_qs, urlsplit

    from mosaics_match.store import repo

    cid = world_env.credential_ids["valid"]
    at = _my_page(world_env)
    n = _card_index(at, cid)
    at.button(key=f"create_{n}").click().run()
    assert not at.exception
    assert any("verification link is ready" in s.value for s in at.success)
    links = [c.value for c in at.code if cid.replace(":", "%3A") in c.value]
    assert len(links) == 1 and len(at.get("image")) == 1  # its QR code
    first = parse_qs(urlsplit(links[0]).query)["share"][0]
    assert len(first) >= 40  # 256 random bits, not derived from the id
    assert any(b.proto.label == "Certificate with this QR code (PDF)" for b in at.get("download_button"))

    at.button(key=f"replace_{n}").click().run()
    second = parse_qs(urlsplit(next(c.value for c in at.code if cid.replace(":", "%3A") in c.value)).query)["share"][0]
    assert second != first

    at.button(key=f"withdraw_{n}").click().run()
    assert any("withdrawn" in s.value for s in at.success)
    assert not [c for c in at.code if cid.replace(":", "%3A") in c.value]
    rt = world_runtime(world_env)
    with rt.Session() as session:
        assert repo.get_credential(session, credential_id=cid).share_token is None
        events = [(e.subject, e.outcome, e.actor) for e in repo.list_audit(session, action="share_link")]
    rt.engine.dispose()
    assert events == [(cid, o, EMAILS["earner"]) for o in ("withdrawn", "replaced", "created")]


def test_publishing_is_opt_in_and_audited(world_env) -> None:
    from mosaics_match.store import repo

    cid = world_env.credential_ids["valid"]
    at = _my_page(world_env)
    at.toggle(key=f"publish_{cid}").set_value(True).run()
    assert not at.exception and any("Published" in s.value for s in at.success)
    rt = world_runtime(world_env)
    with rt.Session() as session:
        assert repo.get_credential(session, credential_id=cid).public is True
        others = [world_env.credential_ids[k] for k in ("jwt", "revoked")]
        assert not any(repo.get_credential(session, credential_id=o).public for o in others)
    at.toggle(key=f"publish_{cid}").set_value(False).run()
    with rt.Session() as session:
        assert repo.get_credential(session, credential_id=cid).public is False
        assert [e.outcome for e in repo.list_audit(session, action="publish")] == ["private", "public"]
    rt.engine.dispose()


def test_downloads_say_which_file_to_send_in_plain_words(world_env) -> None:
    at = _my_page(world_env)
    captions = " ".join(c.value for c in at.caption)
    assert "eddsa" not in captions and "proof:" not in captions
    assert "Digitally signed by Seneca" in captions
    labels = {b.proto.label: b.proto.help for b in at.get("download_button")}
    assert "JSON (contents)" not in labels and "JWT" not in labels
    assert "send this file to an employer" in labels["Credential file (.jwt)"]
    assert "cannot check it" in labels["Readable copy (.json)"]
    assert "résumé" in labels["Badge image (PNG)"]
    assert any("Which file to send?" in m.value for m in at.markdown)


@pytest.mark.storage
def test_migration_makes_existing_credentials_private(wrt) -> None:
    """A database at the first schema revision, where every credential was public, comes out of the upgrade with
    none published, and a revoked row takes the time of its status change from the audit log."""
    from sqlalchemy import text

    from mosaics_match.store import db, repo

    rt, world = wrt
    with rt.Session.begin() as session:  # the audit event change_status writes for the world's revoked one
        repo.record_audit(session, actor="staff", actor_role="staff", action="revoke",
                          subject=world.credential_ids["revoked"], outcome="success")
    db.downgrade(rt.engine, "0001")
    with rt.engine.begin() as conn:
        conn.execute(text("UPDATE issued_credential SET public = :on").bindparams(on=True))
    db.upgrade(rt.engine)
    with rt.Session() as session:
        rows = repo.search_credentials(session, limit=1000)
        assert rows and not any(r.public or r.share_token for r in rows)
        revoked = repo.get_credential(session, credential_id=world.credential_ids["revoked"])
        event = repo.list_audit(session, action="revoke")[0]
        assert revoked.status_changed_at == event.at
        assert all(r.status_changed_at is None for r in rows if not (r.revoked or r.suspended))
