"""Sign-in: throttling and lock-out (injected clock), no account enumeration, session tokens and sign-out
everywhere, OIDC identity mapping, the sign-in page (AppTest), and the small test world the portal tests share."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import REPO, TEST_KEY_SECRET, TEST_SESSION_SECRET, make_settings


def _demo_password(role: str) -> str:
    from mosaics_match.services.demo import demo_password

    return demo_password(TEST_SESSION_SECRET, role)


# The demo accounts' passwords are derived from the session secret, as the sign-in page shows them.
PASSWORDS = {
    "staff": _demo_password("staff"),
    "employer": _demo_password("employer"),
    "partner": _demo_password("partner"),
    "earner": _demo_password("earner"),
    "earner2": "other-earner-password-1234",
    "unlinked": "unlinked-earner-password-1234",
}
EMAILS = {
    "staff": "staff@mosaics.example",
    "employer": "employer@mosaics.example",
    "partner": "partner@mosaics.example",
    "earner": "earner@mosaics.example",
    "earner2": "second.earner@mosaics.example",
    "unlinked": "unlinked.earner@mosaics.example",
}
T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


# --- a small world: accounts for every role, two earners with credentials -------------------------------------

@dataclass
class World:
    """What :func:`build_world` created (ids and the claim codes it knows)."""

    db_url: str
    earner_id: int
    earner2_id: int
    credential_ids: dict[str, str] = field(default_factory=dict)  # label -> urn:uuid
    claim_codes: dict[str, str] = field(default_factory=dict)  # label -> code (unclaimed credentials)


def _fake_jws(payload: dict) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = {"alg": "EdDSA", "typ": "vc+jwt"}
    return ".".join((b64(json.dumps(header).encode()), b64(json.dumps(payload).encode()), b64(b"\x01" * 64)))


def build_world(rt) -> World:
    """Accounts for every role (known passwords), two earners, credentials in every status and format.

    The credential documents are shaped like signed ones but carry placeholder proofs: these tests are about
    access, sharing and consent, not about signatures (the credential engine has its own tests).
    """
    from argon2 import PasswordHasher

    from mosaics_match.services import demo, issuing
    from mosaics_match.store import repo
    from mosaics_match.store.models import Account, Achievement, Competency, IssuedCredential, SigningKey

    # Cheap Argon2id parameters keep the suite fast; verification reads the parameters from each hash.
    hash_password = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash

    with rt.Session.begin() as session:
        achievements = []
        for i, (slug, name) in enumerate((("data-analytics-foundations", "Data Analytics Foundations"),
                                          ("cloud-operations", "Cloud Operations Essentials"),
                                          ("sql-reporting", "SQL Reporting"))):
            a = Achievement(slug=slug, name=name, description=f"{name} description", criteria="Pass the project.",
                            school="School of Software Design and Data Science", partner="Lakeshore Analytics",
                            hours=40, level="Intermediate", tags=["data"])
            a.competencies.append(Competency(slug=f"c{i}", name=f"Competency {i}", description="Does things",
                                             position=0))
            session.add(a)
            achievements.append(a)
        issuer = repo.upsert_issuer(session, identifier="did:key:z6MkTestIssuer", name="Seneca Polytechnic",
                                    trusted=True, is_local=True)
        key = SigningKey(issuer_id=issuer.id, verification_method="did:key:z6MkTestIssuer#z6MkTestIssuer",
                         public_multikey="z6MkTestIssuer", fingerprint="test",
                         private_key_encrypted=b"placeholder, not a key")
        session.add(key)
        earner = repo.create_earner(session, email=EMAILS["earner"], name="Amara Singh", discoverable=True,
                                    share_email=True, location="Toronto, ON")
        earner2 = repo.create_earner(session, email=EMAILS["earner2"], name="Second Earner", discoverable=True)
        session.flush()
        for role in ("staff", "employer", "partner", "earner", "earner2", "unlinked"):
            session.add(Account(
                email=EMAILS[role], display_name=f"Test {role}",
                role="earner" if role in ("earner2", "unlinked") else role,
                password_hash=hash_password(PASSWORDS[role]),
                earner_id=earner.id if role == "earner" else earner2.id if role == "earner2" else None))
        world = World(db_url=rt.settings.database_url, earner_id=earner.id, earner2_id=earner2.id)

        def add(label: str, *, who, achievement, jwt: bool = False, claimed: bool = True,
                revoked: bool = False, suspended: bool = False, expired: bool = False) -> None:
            n = len(world.credential_ids)
            cid = f"urn:uuid:00000000-0000-4000-8000-{n:012d}"
            issued = T0 - timedelta(days=400 if expired else 30)
            until = issued + timedelta(days=365)
            doc = {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": cid,
                   "type": ["VerifiableCredential", "OpenBadgeCredential"], "name": achievement.name,
                   "credentialSubject": {"type": ["AchievementSubject"], "achievement": {"name": achievement.name}}}
            document = _fake_jws(doc) if jwt else json.dumps({**doc, "proof": {"type": "DataIntegrityProof"}})
            code = issuing.new_claim_code()
            session.add(IssuedCredential(
                credential_id=cid, earner_id=who.id, achievement_id=achievement.id, issuer_id=issuer.id,
                key_id=key.id, issued_at=issued, valid_from=issued, valid_until=until, document=document,
                proof_format="vc-jwt" if jwt else "eddsa-rdfc-2022", status_list_number=1, status_index=n,
                revoked=revoked, suspended=suspended, claim_code_hash=issuing.hash_claim_code(code),
                claimed_at=issued + timedelta(days=1) if claimed else None, verified_at=issued))
            world.credential_ids[label] = cid
            if not claimed:
                world.claim_codes[label] = code

        add("valid", who=earner, achievement=achievements[0])
        add("jwt", who=earner, achievement=achievements[1], jwt=True)
        add("revoked", who=earner, achievement=achievements[2], revoked=True)
        add("unclaimed", who=earner, achievement=achievements[2], claimed=False)
        add("other", who=earner2, achievement=achievements[0])
        add("other_unclaimed", who=earner2, achievement=achievements[1], claimed=False)
        add("other_suspended", who=earner2, achievement=achievements[2], suspended=True)
        add("expired", who=earner2, achievement=achievements[1], expired=True)
        repo.set_state(session, key=demo.DEMO_MARKER, value=T0.isoformat())
    return world


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory):
    """The small world in a SQLite file, built once per run (copied per test)."""
    from mosaics_match.runtime import open_runtime

    path = tmp_path_factory.mktemp("world") / "world.db"
    runtime = open_runtime(make_settings(f"sqlite:///{path}"))
    world = build_world(runtime)
    runtime.engine.dispose()
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path, world


@pytest.fixture
def world_env(world_template, tmp_path, monkeypatch):
    """Environment for AppTest runs of the portal against a private copy of the small world."""
    import shutil
    from dataclasses import replace

    import streamlit as st

    path, world = world_template
    target = tmp_path / "world.db"
    shutil.copy(path, target)
    url = f"sqlite:///{target}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MOSAICS_KEY_SECRET", TEST_KEY_SECRET)
    monkeypatch.setenv("MOSAICS_SESSION_SECRET", TEST_SESSION_SECRET)
    monkeypatch.setenv("MOSAICS_BASE_URL", "http://localhost:8501")
    monkeypatch.setenv("MOSAICS_DEMO", "1")
    st.cache_resource.clear()
    st.cache_data.clear()
    yield replace(world, db_url=url)
    st.cache_resource.clear()
    st.cache_data.clear()


def world_runtime(world: World):
    from mosaics_match.runtime import open_runtime

    return open_runtime(make_settings(world.db_url), migrate=False)


def token_for(world: World, who: str) -> str:
    from mosaics_match.services import auth
    from mosaics_match.store import repo

    rt = world_runtime(world)
    try:
        with rt.Session() as session:
            account = repo.get_account(session, email=EMAILS[who])
            assert account is not None
            return auth.issue_session_token(account, secret=TEST_SESSION_SECRET)
    finally:
        rt.engine.dispose()


def portal_test(*, token: str | None = None, user: dict | None = None, secrets: dict | None = None):
    """An AppTest of portal.py, run once (optionally signed in with a token or an OIDC identity)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "portal.py"), default_timeout=60)
    if token:
        at.session_state["session_token"] = token
    if secrets is not None:
        for k, v in secrets.items():
            at.secrets[k] = v
    if user is not None:
        at.user = user
    at.run()
    return at


def errors_text(at) -> str:
    return " ".join(e.value for e in at.error)


# --- authenticate: throttling, lock-out, enumeration ----------------------------------------------------------

@pytest.fixture(autouse=True)
def _cheap_dummy_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unknown emails are checked against a dummy hash; give it the test worlds' cheap parameters. Each test
    also gets an empty process-wide failure tracker."""
    from argon2 import PasswordHasher

    from mosaics_match.services import auth
    from mosaics_match.store import passwords

    monkeypatch.setattr(passwords, "_DUMMY_HASH",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("dummy-password-x"))
    monkeypatch.setattr(auth, "DEFAULT_TRACKER", auth.FailureTracker())  # no failures carried between tests


@pytest.fixture
def arts(rt):
    world = build_world(rt)
    return rt, world


def _attempt(rt, email: str, password: str, now: datetime, tracker):
    from mosaics_match.services import auth

    with rt.Session.begin() as session:
        return auth.authenticate(session, email=email, password=password, now=now, tracker=tracker)


@pytest.mark.storage
def test_correct_password_signs_in_and_wrong_one_does_not(arts) -> None:
    from mosaics_match.services import auth

    rt, _ = arts
    tracker = auth.FailureTracker()
    ok = _attempt(rt, EMAILS["employer"], PASSWORDS["employer"], T0, tracker)
    assert ok.ok and ok.account is not None and ok.account.role == "employer"
    bad = _attempt(rt, EMAILS["employer"], PASSWORDS["employer"] + "x", T0, tracker)
    assert not bad.ok and bad.account is None and bad.message == auth.GENERIC_FAILURE


@pytest.mark.storage
def test_repeated_failures_slow_down_then_lock_and_the_lock_expires(arts) -> None:
    from mosaics_match.services import auth

    rt, _ = arts
    tracker = auth.FailureTracker()
    email, good = EMAILS["partner"], PASSWORDS["partner"]
    delays = []
    for i in range(auth.MAX_FAILURES_BEFORE_LOCK):
        result = _attempt(rt, email, f"wrong-guess-{i}", T0 + timedelta(seconds=i), tracker)
        assert not result.ok
        delays.append(result.delay_seconds)
    assert delays == sorted(delays) and delays[-1] > delays[0], delays
    # Locked: even the right password is refused, with the same generic message.
    locked = _attempt(rt, email, good, T0 + timedelta(minutes=1), tracker)
    assert not locked.ok and locked.message == auth.GENERIC_FAILURE and locked.delay_seconds > 0
    # After the lock runs out the right password works again, and the counter is reset.
    later = T0 + auth.LOCK_DURATION + timedelta(minutes=2)
    assert _attempt(rt, email, good, later, tracker).ok
    assert _attempt(rt, email, "wrong-again-x", later, tracker).delay_seconds == auth.throttle_delay(1)


@pytest.mark.storage
def test_lock_is_kept_in_the_database_for_other_replicas(arts) -> None:
    from mosaics_match.services import auth

    rt, _ = arts
    first = auth.FailureTracker()
    for i in range(auth.MAX_FAILURES_BEFORE_LOCK):
        _attempt(rt, EMAILS["staff"], f"nope-{i}-xxxxxxxx", T0, first)
    # A second process with an empty tracker still refuses the right password while the lock lasts.
    assert not _attempt(rt, EMAILS["staff"], PASSWORDS["staff"], T0 + timedelta(minutes=5), auth.FailureTracker()).ok


@pytest.mark.storage
def test_unknown_and_known_emails_are_indistinguishable(arts) -> None:
    """Same message, same delay sequence, same lock-out for an email without an account."""
    from mosaics_match.services import auth

    rt, _ = arts
    tracker = auth.FailureTracker()
    known, unknown = [], []
    for i in range(auth.MAX_FAILURES_BEFORE_LOCK + 1):
        now = T0 + timedelta(seconds=i)
        known.append(_attempt(rt, EMAILS["employer"], f"wrong-{i}-password", now, tracker))
        unknown.append(_attempt(rt, "nobody@mosaics.example", f"wrong-{i}-password", now, tracker))
    assert [(r.ok, r.message, r.delay_seconds) for r in known] == [(r.ok, r.message, r.delay_seconds) for r in unknown]


@pytest.mark.storage
def test_every_attempt_is_audited_without_the_password(arts) -> None:
    from mosaics_match.services import auth
    from mosaics_match.store import repo

    rt, _ = arts
    tracker = auth.FailureTracker()
    _attempt(rt, EMAILS["earner"], PASSWORDS["earner"], T0, tracker)
    _attempt(rt, EMAILS["earner"], "a-wrong-password", T0, tracker)
    _attempt(rt, "ghost@mosaics.example", "a-wrong-password", T0, tracker)
    with rt.Session() as session:
        events = repo.list_audit(session, action="sign_in")
    outcomes = sorted((e.actor, e.outcome) for e in events)
    assert outcomes == sorted([(EMAILS["earner"], "success"), (EMAILS["earner"], "failure"),
                               ("ghost@mosaics.example", "failure")])
    assert not any("wrong-password" in json.dumps(e.details) for e in events)


@pytest.mark.storage
def test_oversized_input_is_refused_without_hashing(arts) -> None:
    from mosaics_match.services import auth

    rt, _ = arts
    result = _attempt(rt, EMAILS["earner"], "x" * (auth.MAX_PASSWORD_LENGTH + 1), T0, auth.FailureTracker())
    assert not result.ok and result.message == auth.GENERIC_FAILURE


def test_failure_tracker_is_bounded_and_forgets_old_failures() -> None:
    from mosaics_match.services import auth

    tracker = auth.FailureTracker(max_keys=3)
    for i in range(5):
        tracker.record_failure(f"user{i}@x.example", T0)
    assert tracker.failures("user0@x.example", T0) == 0  # evicted
    assert tracker.failures("user4@x.example", T0) == 1
    assert tracker.failures("USER4@x.example ", T0) == 1  # case and spaces do not make a new email
    assert tracker.failures("user4@x.example", T0 + auth.LOCK_DURATION + timedelta(seconds=1)) == 0


# --- session tokens and sign-out everywhere -------------------------------------------------------------------

@pytest.mark.storage
def test_session_token_expires_and_dies_on_sign_out_everywhere(arts) -> None:
    from mosaics_match.services import auth
    from mosaics_match.store import repo

    rt, _ = arts
    with rt.Session.begin() as session:
        result = auth.sign_in(session, email=EMAILS["earner"], password=PASSWORDS["earner"],
                              secret=TEST_SESSION_SECRET, now=T0, tracker=auth.FailureTracker())
    token = result.token
    assert token
    with rt.Session() as session:
        assert auth.account_from_token(session, token=token, secret=TEST_SESSION_SECRET, now=T0) is not None
        assert auth.account_from_token(session, token=token, secret="another-secret", now=T0) is None
        assert auth.account_from_token(session, token=token, secret=TEST_SESSION_SECRET,
                                       now=T0 + auth.SESSION_TTL + timedelta(seconds=1)) is None
        body, sig = token.split(".")
        forged_body = base64.urlsafe_b64encode(json.dumps({"a": 1, "e": 0, "x": 9999999999}).encode()).rstrip(b"=")
        assert auth.account_from_token(session, token=f"{forged_body.decode()}.{sig}",
                                       secret=TEST_SESSION_SECRET, now=T0) is None
    with rt.Session.begin() as session:
        account = repo.get_account(session, email=EMAILS["earner"])
        auth.sign_out_everywhere(session, account=account, now=T0)
    with rt.Session() as session:
        assert auth.account_from_token(session, token=token, secret=TEST_SESSION_SECRET, now=T0) is None


def _signed(body: bytes) -> str:
    """A token whose HMAC is right for ``body`` (what only the holder of the session secret could make)."""
    import hashlib
    import hmac

    b64 = base64.urlsafe_b64encode(body).rstrip(b"=")
    sig = base64.urlsafe_b64encode(hmac.new(TEST_SESSION_SECRET.encode(), b64, hashlib.sha256).digest()).rstrip(b"=")
    return f"{b64.decode()}.{sig.decode()}"


def _hostile_tokens(valid: str) -> dict[str, object]:
    body, sig = valid.split(".")
    flipped_sig = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    flipped_body = ("A" if body[0] != "A" else "B") + body[1:]
    return {
        "empty": "",
        "four parts": "a.b.c.d",
        "no dot": body + sig,
        "non-ascii signature": f"{body}.{'é' * len(sig)}",
        "non-ascii body": f"{'ü' * len(body)}.{sig}",
        "non-ascii everything": "\u00e9\u4e2d\U0001f600.\u00e9",
        "nul and controls": f"{body}\x00.{sig}",
        "100 kB": "a" * 100_000,
        "100 kB body, real signature": f"{'a' * 100_000}.{sig}",
        "100 kB non-ascii": "é" * 100_000,
        "trailing newline": valid + "\n",
        "padding": valid + "=",
        "signature one char short": valid[:-1],
        "tampered signature": f"{body}.{flipped_sig}",
        "tampered body": f"{flipped_body}.{sig}",
        "garbage": "%%%.$$$",
        "bytes": valid.encode(),
        "None": None,
        "number": 12345,
        "signed non-JSON": _signed(b"\xff\xfe not json"),
        "signed JSON list": _signed(b"[1, 2, 3]"),
        "signed huge float id": _signed(b'{"a": 1e400, "e": 0, "x": 9999999999}'),
        "signed huge int id": _signed(b'{"a": 1' + b"0" * 40 + b', "e": 0, "x": 9999999999}'),
        "signed huge epoch": _signed(b'{"a": 1, "e": 1' + b"0" * 400 + b', "x": 9999999999}'),
        "signed wrong types": _signed(b'{"a": "one", "e": [], "x": null}'),
    }


@pytest.mark.storage
def test_malformed_session_tokens_mean_not_signed_in(arts) -> None:
    """Whatever a browser sends as a token, the verifier answers ``None`` (the public), never an exception."""
    from mosaics_match.services import auth
    from mosaics_match.store import repo

    rt, _ = arts
    with rt.Session() as session:
        account = repo.get_account(session, email=EMAILS["employer"])
        valid = auth.issue_session_token(account, secret=TEST_SESSION_SECRET, now=T0)
    with rt.Session() as session:
        # the control: the same verifier accepts the untampered token, so a None below is a real refusal
        assert auth.account_from_token(session, token=valid, secret=TEST_SESSION_SECRET, now=T0) is not None
        wrong = []
        for label, token in _hostile_tokens(valid).items():
            try:
                result = auth.account_from_token(session, token=token, secret=TEST_SESSION_SECRET, now=T0)
            except Exception as exc:
                wrong.append(f"{label}: raised {exc.__class__.__name__}: {exc}")
                continue
            if result is not None:
                wrong.append(f"{label}: accepted as account {result.id}")
    assert not wrong, wrong


# --- OIDC identities ------------------------------------------------------------------------------------------

@pytest.mark.storage
def test_oidc_identity_maps_to_account_role_or_public(arts) -> None:
    from mosaics_match.services import auth
    from mosaics_match.store import repo

    rt, _ = arts
    iat = T0.timestamp() - 60
    with rt.Session() as session:
        r = auth.resolve_oidc_identity(session, claims={"email": EMAILS["partner"], "iat": iat}, now=T0)
        assert r.ok and r.viewer.role == "partner"
        r = auth.resolve_oidc_identity(session, claims={"email": "stranger@corp.example", "iat": iat}, now=T0)
        assert r.status == "no-account" and r.viewer.role == "public"
        r = auth.resolve_oidc_identity(session, claims={"email": EMAILS["staff"], "iat": iat,
                                                        "email_verified": False}, now=T0)
        assert r.status == "unverified" and r.viewer.role == "public"
        r = auth.resolve_oidc_identity(session, claims={"email": EMAILS["staff"]}, now=T0)
        assert r.status == "expired"
        old = T0.timestamp() - auth.SESSION_TTL.total_seconds() - 5
        assert auth.resolve_oidc_identity(session, claims={"email": EMAILS["staff"], "iat": old},
                                          now=T0).status == "expired"
    with rt.Session.begin() as session:
        auth.sign_out_everywhere(session, account=repo.get_account(session, email=EMAILS["partner"]), now=T0)
    with rt.Session() as session:
        assert auth.resolve_oidc_identity(session, claims={"email": EMAILS["partner"], "iat": iat},
                                          now=T0).status == "signed-out"
        fresh = T0.timestamp() + 5
        assert auth.resolve_oidc_identity(session, claims={"email": EMAILS["partner"], "iat": fresh},
                                          now=T0 + timedelta(seconds=10)).ok


# --- the sign-in page (AppTest) -------------------------------------------------------------------------------

def _sign_in(at, email: str, password: str):
    at.text_input(key="sign_in_email").input(email)
    at.text_input(key="sign_in_password").input(password)
    at.button[[b.label for b in at.button].index("Sign in")].click()
    return at.run()


def _form_submit(at):
    return next(b for b in at.button if b.label == "Sign in")


def test_sign_in_page_signs_in_and_shows_demo_accounts(world_env) -> None:
    at = portal_test()
    at.switch_page("pages/sign_in.py").run()
    assert not at.exception
    demo_tables = [t.value for t in at.table]
    assert any(EMAILS["earner"] in df["Email"].tolist() and PASSWORDS["earner"] in df["Password"].tolist()
               for df in demo_tables)
    at.text_input(key="sign_in_email").input(EMAILS["earner"])
    at.text_input(key="sign_in_password").input(PASSWORDS["earner"])
    _form_submit(at).click()
    at.run()
    assert not at.exception and not at.error
    assert at.session_state["session_token"]
    assert any("Signing you in" in i.value for i in at.info)  # the browser stores the cookie, then reloads
    at.run()
    # Now routed as an earner: the earner page is reachable, the sign-in page is not.
    at.switch_page("pages/my_credentials.py").run()
    assert at.title[0].value == "My credentials"
    with pytest.raises(ValueError):
        at.switch_page("pages/sign_in.py")


def test_sign_in_page_gives_one_message_for_unknown_email_and_wrong_password(world_env) -> None:
    from mosaics_match.services import auth

    messages = []
    for email, password in ((EMAILS["employer"], "not-the-password"), ("nobody@corp.example", "not-the-password")):
        at = portal_test()
        at.switch_page("pages/sign_in.py").run()
        at.text_input(key="sign_in_email").input(email)
        at.text_input(key="sign_in_password").input(password)
        _form_submit(at).click()
        at.run()
        assert not at.exception
        messages.append(errors_text(at))
        assert "session_token" not in at.session_state
    assert messages[0] == messages[1] == auth.GENERIC_FAILURE


def test_sign_in_page_asks_for_missing_fields(world_env) -> None:
    at = portal_test()
    at.switch_page("pages/sign_in.py").run()
    _form_submit(at).click()
    at.run()
    assert "Enter both your email and your password." in errors_text(at)


def test_demo_accounts_are_hidden_outside_demo_mode(world_env, monkeypatch) -> None:
    monkeypatch.setenv("MOSAICS_DEMO", "0")
    at = portal_test()
    at.switch_page("pages/sign_in.py").run()
    assert not at.exception
    assert not any(PASSWORDS["earner"] in t.value.to_string() for t in at.table)
    assert not any("Demo accounts" in e.label for e in at.expander)


def test_sign_out_ends_the_session_everywhere(world_env) -> None:
    token = token_for(world_env, "employer")
    at = portal_test(token=token)
    other_device = portal_test(token=token)
    assert "employer" in " ".join(c.value for c in at.sidebar.caption)
    at.sidebar.button(key="sidebar_sign_out").click().run()
    assert not at.exception
    assert "Not signed in" in " ".join(c.value for c in at.sidebar.caption)
    other_device.run()  # the other browser's next run finds its token dead
    assert "Not signed in" in " ".join(c.value for c in other_device.sidebar.caption)


def _browser_cookies(monkeypatch, cookies: dict[str, str]) -> None:
    """Make ``st.context.cookies`` return ``cookies``, as the browser's WebSocket handshake would.

    AppTest has no way to send cookies (its session has no client), so this replaces only Streamlit's lookup of
    the client context; ``pages.common`` reads the value through ``st.context.cookies`` exactly as in production.
    """
    from types import SimpleNamespace

    from streamlit.runtime import context

    client = SimpleNamespace(cookies=dict(cookies), headers=[], remote_ip=None)
    monkeypatch.setattr(context, "_get_client_context", lambda: client)


def test_session_cookie_signs_in_through_st_context(world_env, monkeypatch) -> None:
    """The control for the hostile-cookie test: the cookie seam really reaches the portal's sign-in."""
    _browser_cookies(monkeypatch, {"mosaics_session": token_for(world_env, "employer")})
    at = portal_test()
    assert not at.exception
    assert "employer" in " ".join(c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("cookie", ["\u00e9t\u00e9.\u4e2d\u6587", "eyJh.\u00e9" + "x" * 42, "\U0001f36a" * 30_000,
                                    "a.b.c.d", "%00%ff"])
def test_hostile_session_cookie_shows_the_public_portal(world_env, monkeypatch, cookie: str) -> None:
    _browser_cookies(monkeypatch, {"mosaics_session": cookie})
    at = portal_test()
    assert not at.exception, [e.value for e in at.exception]
    assert "Not signed in" in " ".join(c.value for c in at.sidebar.caption)
    at.switch_page("pages/verify.py").run()
    assert not at.exception, [e.value for e in at.exception]
    with pytest.raises(ValueError):  # routed as the public: no employer pages
        at.switch_page("pages/batch_verify.py")


OIDC_SECRETS = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "c" * 32,
                         "client_id": "mosaics", "client_secret": "s",
                         "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}}


def test_oidc_user_gets_the_role_of_their_account(world_env) -> None:
    import time

    user = {"is_logged_in": True, "email": EMAILS["earner"], "name": "Amara", "iat": int(time.time()) - 5}
    at = portal_test(user=user, secrets=OIDC_SECRETS)
    assert not at.exception
    assert "earner" in " ".join(c.value for c in at.sidebar.caption)
    at.switch_page("pages/my_credentials.py").run()
    assert at.title[0].value == "My credentials"


def test_oidc_user_without_account_is_the_public(world_env) -> None:
    import time

    user = {"is_logged_in": True, "email": "stranger@corp.example", "iat": int(time.time()) - 5}
    at = portal_test(user=user, secrets=OIDC_SECRETS)
    assert not at.exception
    with pytest.raises(ValueError):
        at.switch_page("pages/my_credentials.py")
    at.switch_page("pages/sign_in.py").run()
    assert any("no Mosaics account" in w.value for w in at.warning)
    assert any(b.label == "Sign in with single sign-on" for b in at.button)


def test_st_user_is_ignored_without_an_auth_section(world_env) -> None:
    import time

    user = {"is_logged_in": True, "email": EMAILS["staff"], "iat": int(time.time())}
    at = portal_test(user=user)
    assert "Not signed in" in " ".join(c.value for c in at.sidebar.caption)


def test_broken_sso_settings_give_a_message_not_a_traceback(world_env) -> None:
    broken = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback"}}  # no client, no secret
    at = portal_test(secrets=broken)
    at.switch_page("pages/sign_in.py").run()
    next(b for b in at.button if b.label == "Sign in with single sign-on").click()
    at.run()
    assert not at.exception
    assert "Single sign-on is not set up correctly" in errors_text(at)
