"""The verify, batch and history pages in AppTest: every input kind, the deep link, the e-mail check, hostile
uploads (each with its own message, session still usable), a batch ZIP and the employer's history."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC

from sqlalchemy import select

from tests.conftest import BASE_URL, app_test, session_token_for

DEMO_EARNER = "earner@mosaics.example"


def _demo_docs(rt) -> dict[str, str]:
    """The demo earner's three credentials by proof format."""
    from mosaics_match.store import repo

    with rt.Session() as session:
        earner = repo.get_earner_by_email(session, email=DEMO_EARNER)
        return {c.proof_format: c.document for c in repo.credentials_of(session, earner=earner)}


def _credential(rt, **where):
    from mosaics_match.store.models import IssuedCredential

    with rt.Session() as session:
        stmt = select(IssuedCredential)
        for k, v in where.items():
            stmt = stmt.where(getattr(IssuedCredential, k) == v)
        row = session.scalars(stmt.limit(1)).first()
        assert row is not None, where
        return row.credential_id, row.document


def _share(rt, credential_id: str) -> str:
    """The earner creates a verification link for the credential; returns its share token."""
    from mosaics_match.services import sharing
    from mosaics_match.store import repo

    with rt.Session.begin() as session:
        row = repo.get_credential(session, credential_id=credential_id)
        return sharing.create_share_link(session, row=row, actor="earner@mosaics.example")


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (60, 60), (200, 30, 40)).save(buf, format="PNG")
    return buf.getvalue()


def _verify_page(token: str | None = None):
    at = app_test("pages/verify.py", token=token)
    assert not at.exception, at.exception
    return at


def _upload(at, name: str, data: bytes, index: int = 0):
    at.file_uploader[index].set_value((name, data, "application/octet-stream"))
    at.run()
    assert not at.exception, at.exception
    return at


def _banner(at) -> str:
    texts = [e.value for e in list(at.success) + list(at.error) + list(at.warning)]
    return " | ".join(texts).replace("\\", "")  # Markdown escapes of credential text


def _lines(at) -> str:
    return "\n".join(m.value for m in at.markdown).replace("\\", "")


def test_upload_json_jwt_png_and_svg_all_verify(portal_env, seeded_rt):
    from mosaics_match.credentials.bake import bake_png, bake_svg

    docs = _demo_docs(seeded_rt)
    assert set(docs) == {"eddsa-rdfc-2022", "eddsa-jcs-2022", "vc-jwt"}
    at = _verify_page()
    uploads = [
        ("badge.json", docs["eddsa-rdfc-2022"].encode()),
        ("badge.jwt", docs["vc-jwt"].encode()),
        ("badge.png", bake_png(_png(), json.loads(docs["eddsa-jcs-2022"]))),
        ("badge.svg", bake_svg('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
                               docs["vc-jwt"]).encode()),
    ]
    for name, data in uploads:
        _upload(at, name, data)
        assert "**Verified**" in _banner(at), (name, _banner(at))
        lines = _lines(at)
        assert "Signed by Seneca Polytechnic" in lines and "Has not been revoked" in lines
        assert "Is not suspended" in lines
        assert [b.label for b in at.get("download_button")] == ["Report (JSON)", "Report (PDF)"]
    # The card shows what was earned, with ESCO links for the competencies.
    assert "ESCO" in _lines(at) and "data.europa.eu/esco" in _lines(at)


def test_paste_and_deep_link_and_qr_photo(portal_env, seeded_rt):
    from PIL import Image

    from mosaics_match.exports.qr import make_qr_png
    from mosaics_match.links import credential_url

    docs = _demo_docs(seeded_rt)
    at = _verify_page()
    at.text_area(key="verify_paste").input(docs["eddsa-jcs-2022"])
    at.button(key="verify_paste_go").click()
    at.run()
    assert "**Verified**" in _banner(at)

    # Deep link ?credential=<id>&share=<token>: the earner's verification link
    cid, _ = _credential(seeded_rt, revoked=False, suspended=False)
    token = _share(seeded_rt, cid)
    at = app_test()
    at.query_params["credential"] = cid
    at.query_params["share"] = token
    at.switch_page("pages/verify.py")
    at.run()
    assert not at.exception
    assert "**Verified**" in _banner(at)
    assert cid in _lines(at) or any(cid in c.value for c in at.caption)

    # A photo of a printed certificate: the QR code small, off-centre, on a grey background.
    qr = Image.open(io.BytesIO(make_qr_png(credential_url(BASE_URL, cid, token)))).convert("RGB")
    photo = Image.new("RGB", (1600, 1200), (180, 180, 170))
    photo.paste(qr.resize((300, 300)).rotate(4, expand=True, fillcolor=(180, 180, 170)), (900, 500))
    buf = io.BytesIO()
    photo.save(buf, format="JPEG", quality=85)
    at = _verify_page()
    _upload(at, "photo.jpg", buf.getvalue(), index=1)
    assert "**Verified**" in _banner(at), _banner(at)


def test_unknown_deep_link_gives_a_specific_message(portal_env):
    at = app_test()
    at.query_params["credential"] = "urn:uuid:00000000-0000-4000-8000-000000000000"
    at.switch_page("pages/verify.py")
    at.run()
    assert not at.exception
    assert any("No credential with the id" in e.value for e in at.error)


def test_email_check_matches_and_mismatches(portal_env, seeded_rt):
    docs = _demo_docs(seeded_rt)
    at = _verify_page()
    at.text_input(key="verify_email").input(DEMO_EARNER)
    _upload(at, "badge.json", docs["eddsa-rdfc-2022"].encode())
    assert "**Verified**" in _banner(at)
    assert "Was issued to the e-mail address you entered" in _lines(at)

    # Re-verify with another address: the same credential is not this candidate's.
    at.text_input(key="verify_email").input("someone.else@example.com")
    at.run()
    at.button(key="verify_reverify").click()
    at.run()
    assert "**Not valid**" in _banner(at)
    assert "Was not issued to the e-mail address you entered" in _lines(at)


def test_tampered_revoked_and_untrusted_are_told_apart(portal_env, seeded_rt):
    from datetime import datetime

    from mosaics_match.credentials import build, keys

    docs = _demo_docs(seeded_rt)
    tampered = json.loads(docs["eddsa-rdfc-2022"])
    tampered["credentialSubject"]["achievement"]["name"] = "Advanced Neurosurgery"
    at = _verify_page()
    _upload(at, "tampered.json", json.dumps(tampered).encode())
    assert "**Not valid**" in _banner(at) and "signature does not match" in _banner(at)
    assert any("Not authentic" in c.value for c in at.caption)

    _, revoked_doc = _credential(seeded_rt, revoked=True)
    _upload(at, "revoked.json", revoked_doc.encode())
    assert "**Not valid**" in _banner(at) and "revoked" in _banner(at)
    # What it was is still shown: the card with the achievement.
    assert at.subheader and at.subheader[0].value

    # Authentic but from an issuer the portal does not know.
    private = keys.generate_ed25519()
    cred = build.build_credential(
        credential_id="urn:uuid:7d4c3a8e-1111-4a2b-9c3d-222233334444",
        issuer={"id": keys.did_key_for(keys.public_key_of(private)), "name": "Unknown Academy"},
        achievement={"id": "https://unknown.example/a/1", "name": "Forklift basics", "description": "Drives.",
                     "criteria": "Drove."},
        recipient_email="a@b.example", salt="0123456789abcdef", earner_name="A. Person",
        valid_from=datetime(2025, 1, 1, tzinfo=UTC))
    signed = build.sign_credential(cred, private, fmt="eddsa-jcs-2022")
    _upload(at, "unknown.json", json.dumps(signed).encode())
    assert "**Cannot be confirmed**" in _banner(at)
    assert "not on your list of trusted issuers" in _banner(at)
    assert any("Authentic, but from an issuer you do not know" in c.value for c in at.caption)


def test_hostile_uploads_each_get_a_specific_message(portal_env, seeded_rt):
    docs = _demo_docs(seeded_rt)
    at = _verify_page()
    cases = [
        ("huge.json", b"{" + b" " * 4_100_000 + b"}", "the largest credential file accepted is 4 MB"),
        ("broken.json", b'{"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ', "not valid JSON"),
        ("photo.png", b"\xff\xd8\xff\xe0" + b"\x00" * 200, "is named .png but is not a PNG image: it is a JPEG"),
        ("deep.json", b"[" * 5000 + b"]" * 5000, "nested"),
        ("token.jwt", b"PK\x03\x04not really a token", "is named .jwt but is not a signed token"),
        ("plain.png", _png(), "holds no readable credential"),
        ("evil.svg", b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                     b'<svg xmlns="http://www.w3.org/2000/svg">&x;</svg>', "entities or external references"),
    ]
    for name, data, expected in cases:
        _upload(at, name, data)
        shown = _banner(at)
        assert expected in shown, (name, shown)
        assert "**Verified**" not in shown and "**Not valid**" not in shown, (name, shown)
    # The session is still usable.
    _upload(at, "good.json", docs["eddsa-rdfc-2022"].encode())
    assert "**Verified**" in _banner(at)


def _png_claiming(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))


def test_qr_decompression_bomb_and_no_code_are_refused(portal_env):
    at = _verify_page()
    # A PNG that claims 30,000 x 30,000 pixels but is tiny on disk (never expanded).
    bomb = _png_claiming(30_000, 30_000)
    assert len(bomb) < 2_000
    _upload(at, "bomb.png", bomb, index=1)
    assert any("too many pixels" in e.value for e in at.error)
    _upload(at, "blank.png", _png(), index=1)
    assert any("No QR code was found" in e.value for e in at.error)


def test_verification_is_audited_without_personal_data_for_visitors(portal_env, seeded_rt):
    from mosaics_match.store import repo

    docs = _demo_docs(seeded_rt)
    at = _verify_page()
    at.text_input(key="verify_email").input(DEMO_EARNER)
    _upload(at, "Amara Singh badge.json", docs["eddsa-rdfc-2022"].encode())
    with seeded_rt.Session() as session:
        event = repo.list_audit(session, action="verify", limit=1)[0]
    assert event.actor == "anonymous" and event.outcome == "verified"
    assert event.subject.startswith("urn:uuid:")
    blob = json.dumps(event.details)
    assert "Amara" not in blob and DEMO_EARNER not in blob and "badge.json" not in blob
    assert event.details["email_checked"] is True and event.details["email_matches"] is True


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_employer_batch_zip_then_history(portal_env, seeded_rt):
    from mosaics_match.store.models import IssuedCredential

    with seeded_rt.Session() as session:
        rows = list(session.scalars(select(IssuedCredential).order_by(IssuedCredential.id).limit(6)))
        entries = {f"cands/c{i}.json": r.document.encode() for i, r in enumerate(rows)}
    tampered = json.loads(rows[0].document)
    tampered["validFrom"] = "2020-01-01T00:00:00Z"
    entries["cands/tampered.json"] = json.dumps(tampered).encode()
    entries["../evil.json"] = b"{}"
    entries["inner.zip"] = _zip({"x.json": b"{}"})
    token = session_token_for(portal_env, "employer@mosaics.example")
    at = app_test("pages/batch_verify.py", token=token)
    assert not at.exception, at.exception
    at.file_uploader(key="batch_files").set_value([("candidates.zip", _zip(entries), "application/zip")])
    at.run()
    at.button(key="batch_go").click()
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert len(table) == len(entries)
    verdicts = dict(zip(table["File"], table["Verdict"]))
    assert verdicts["candidates.zip/cands/tampered.json"] == "Not valid"
    assert verdicts["candidates.zip/../evil.json"] == "Not read"
    assert verdicts["candidates.zip/inner.zip"] == "Not read"
    assert sum(1 for v in verdicts.values() if v in ("Verified", "Not valid")) == 7
    labels = [b.label for b in at.get("download_button")]
    assert "Results (CSV)" in labels and "Results (JSON)" in labels

    # Filter to the failures only.
    at.multiselect(key="batch_filter_verdict").select("Not read")
    at.run()
    assert set(at.dataframe[0].value["Verdict"]) == {"Not read"}

    # Each row opens the same detail view as a single verification.
    at.selectbox(key="batch_detail").select("candidates.zip/cands/tampered.json")
    at.run()
    assert "**Not valid**" in _banner(at)

    at.switch_page("pages/verification_history.py")
    at.run()
    assert not at.exception, at.exception
    history = at.dataframe[0].value
    assert len(history) == 7 and "Not valid" in set(history["Verdict"])


def test_batch_and_history_are_not_for_visitors_or_partners(portal_env):
    partner = session_token_for(portal_env, "partner@mosaics.example")
    for token in (None, partner):
        at = app_test(token=token)
        for page in ("pages/batch_verify.py", "pages/verification_history.py"):
            try:
                at.switch_page(page)
                at.run()
            except Exception:  # not routed at all for this role
                continue
            assert not any(t.value in ("Batch verification", "Verification history") for t in at.title)


def test_badge_png_claiming_huge_dimensions_is_verified_without_expanding_it(portal_env, seeded_rt):
    from mosaics_match.credentials.bake import bake_png

    bomb = _png_claiming(40_000, 40_000)
    docs = _demo_docs(seeded_rt)
    at = _verify_page()
    _upload(at, "badge.png", bake_png(bomb, docs["vc-jwt"]))
    assert "**Verified**" in _banner(at)
    assert not any("data:image/png" in m.value for m in at.markdown)


def test_pasted_link_and_foreign_qr_link(portal_env, seeded_rt):
    from mosaics_match.exports.qr import make_qr_png
    from mosaics_match.links import credential_url

    cid, _ = _credential(seeded_rt, revoked=False, suspended=False)
    at = _verify_page()
    at.text_area(key="verify_paste").input(credential_url(BASE_URL, cid, _share(seeded_rt, cid)))
    at.button(key="verify_paste_go").click()
    at.run()
    assert "**Verified**" in _banner(at)
    foreign = credential_url("https://elsewhere.example", "urn:uuid:11111111-2222-4333-8444-555555555555")
    _upload(at, "qr.png", make_qr_png(foreign), index=1)
    assert any("points to another website (elsewhere.example)" in e.value.replace("\\", "") for e in at.error)


# --- private by default: who a verification link opens a credential for ----------------------------------------

def _open_link(cid: str, share: str | None = None, token: str | None = None):
    at = app_test(token=token)
    at.query_params["credential"] = cid
    if share:
        at.query_params["share"] = share
    at.switch_page("pages/verify.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_private_credential_opens_only_through_its_share_link(portal_env, seeded_rt):
    from mosaics_match.services import sharing
    from mosaics_match.store import repo

    cid, _ = _credential(seeded_rt, revoked=False, suspended=False)
    plain = _open_link(cid)
    assert "has not shared it through this link" in _banner(plain)
    assert "**Verified**" not in _banner(plain) and not at_card(plain)
    guessed = _open_link(cid, share="A" * 43)
    assert "no longer opens the credential" in _banner(guessed)

    token = _share(seeded_rt, cid)
    assert "**Verified**" in _banner(_open_link(cid, share=token))
    with seeded_rt.Session.begin() as session:
        sharing.withdraw_share_link(session, row=repo.get_credential(session, credential_id=cid), actor="earner")
    withdrawn = _open_link(cid, share=token)
    assert "no longer opens the credential" in _banner(withdrawn) and "**Verified**" not in _banner(withdrawn)

    with seeded_rt.Session() as session:
        refused = [(e.outcome, e.subject) for e in repo.list_audit(session, action="verify_link")]
    assert refused == [("withdrawn", cid), ("withdrawn", cid), ("private", cid)]

    # Staff may check any credential issued here from its plain link; a published one opens for everyone.
    staff = session_token_for(portal_env, "staff@mosaics.example")
    assert "**Verified**" in _banner(_open_link(cid, token=staff))
    with seeded_rt.Session.begin() as session:
        sharing.set_published(session, row=repo.get_credential(session, credential_id=cid), public=True,
                              actor="earner")
    assert "**Verified**" in _banner(_open_link(cid))


def at_card(at) -> bool:
    return bool(at.subheader) or any("Earner:" in m.value for m in at.markdown)


def test_partner_opens_links_of_earners_who_let_partners_find_them(portal_env, seeded_rt):
    from mosaics_match.store.models import Earner, IssuedCredential

    partner = session_token_for(portal_env, "partner@mosaics.example")
    with seeded_rt.Session() as session:
        found = session.scalars(select(IssuedCredential).join(Earner).where(
            Earner.discoverable.is_(True), IssuedCredential.revoked.is_(False),
            IssuedCredential.suspended.is_(False)).limit(1)).first()
        hidden = session.scalars(select(IssuedCredential).join(Earner).where(
            Earner.discoverable.is_(False)).limit(1)).first()
        assert found is not None and hidden is not None
        found_id, hidden_id = found.credential_id, hidden.credential_id
    assert "**Verified**" in _banner(_open_link(found_id, token=partner))
    assert "has not shared it" in _banner(_open_link(hidden_id, token=partner))


def test_pasted_prose_is_a_reading_problem_not_a_verdict(portal_env):
    at = _verify_page()
    at.text_area(key="verify_paste").input("Dear hiring manager, I hold the SQL Basics micro-credential.")
    at.button(key="verify_paste_go").click()
    at.run()
    shown = _banner(at)
    assert "Nothing was checked: this text could not be read as a credential" in shown
    assert "This text is not a credential" in shown and "eyJ" in shown
    assert "Not valid" not in shown and "file" not in shown.split("upload the badge image or credential file")[0]
    assert not at.get("download_button")  # no report of a check that did not happen


def test_a_not_valid_credential_does_not_present_its_claims_as_facts(portal_env, seeded_rt):
    docs = _demo_docs(seeded_rt)
    tampered = json.loads(docs["eddsa-rdfc-2022"])
    tampered["credentialSubject"]["achievement"]["name"] = "Advanced Neurosurgery"
    at = _verify_page()
    _upload(at, "tampered.json", json.dumps(tampered).encode())
    assert "**Not valid**" in _banner(at)
    assert not [h for h in at.subheader if "Neurosurgery" in h.value]  # no heading for a forged title
    assert any(e.value.startswith("**What the file claims (not confirmed)**") for e in at.error)
    card = _lines(at)
    assert "**Claimed achievement:** Advanced Neurosurgery" in card and "**Claimed earner:**" in card
    assert "**Earner:**" not in card
    assert not any("Badge image" in m.value for m in at.markdown)  # no real badge beside a forged title

    _upload(at, "good.json", docs["eddsa-rdfc-2022"].encode())  # a verified one keeps its heading
    assert at.subheader and not any("What the file claims" in e.value for e in at.error)


def test_one_size_limit_stated_once_with_a_visible_message(portal_env):
    from pages.verify import MAX_FILE_MB

    at = _verify_page()
    uploader = at.get("file_uploader")[0]
    assert uploader.proto.label.endswith(f"up to {MAX_FILE_MB} MB")
    # The widget itself does not refuse bigger files (its refusal is only a red icon): the page does, in words.
    from streamlit import config

    assert uploader.proto.max_upload_size_mb == config.get_option("server.maxUploadSize")
    _upload(at, "cv-scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20_000_000)
    assert "“cv-scan.png” is 20.0 MB; the largest credential file accepted is 4 MB" in _banner(at)


def test_revoked_here_shows_when_and_the_public_reason(portal_env, seeded_rt):
    from mosaics_match.exports.reports import human_date
    from mosaics_match.services import issuing
    from mosaics_match.store import repo

    cid, doc = _credential(seeded_rt, revoked=False, suspended=False)
    with seeded_rt.Session.begin() as session:
        signer = issuing.open_signer(session, settings=seeded_rt.settings)
        row = repo.get_credential(session, credential_id=cid)
        issuing.change_status(session, signer=signer, credential=row, action="revoke", reason="internal note",
                              actor="staff@mosaics.example", public_reason="Issued in error")
        day = human_date(row.status_changed_at.isoformat())
    at = _verify_page()
    _upload(at, "revoked.json", doc.encode())
    expected = f"Has been revoked by the issuer on {day} — reason: Issued in error"
    assert f"**Not valid** — {expected}." in _banner(at)
    assert expected in _lines(at) and "internal note" not in _lines(at) + _banner(at)
