"""No dead ends (AppTest): a page opened by URL without access says "Sign in to continue" and signing in comes back
to it (password and OIDC); each role lands where its work is; a password sign-in hands the browser its session
cookie before it shows anything signed in; staff see locked accounts and unlock them (audited)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from tests.services.test_auth import (  # noqa: F401  (fixtures)
    EMAILS,
    OIDC_SECRETS,
    PASSWORDS,
    _browser_cookies,
    build_world,
    portal_test,
    token_for,
    world_env,
    world_runtime,
    world_template,
)


def _scripts(at) -> str:
    """Every script the run rendered with st.html (the cookie writers)."""
    return " ".join(h.proto.body for h in at.get("html"))


def _open(at, url_path: str):
    """Open a page by its address, as a browser following a URL would. A stand-in is a callable page, which
    AppTest.switch_page (file paths only) cannot name, so the run is pointed at the page's registered hash."""
    at._page_hash = next(h for h, info in at._registered_pages.items() if info.get("url_pathname") == url_path)
    at.run()
    assert not at.exception, at.exception
    return at


def _submit(at, email: str, password: str, key: str):
    at.text_input(key=f"{key}_email").input(email)
    at.text_input(key=f"{key}_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("url_path,title", [("staff-keys", "Signing keys"), ("match", "Match a job posting"),
                                            ("batch", "Batch verification")])
def test_signed_out_deep_link_says_sign_in_to_continue(world_env, url_path: str, title: str) -> None:
    at = _open(portal_test(), url_path)
    assert [t.value for t in at.title] == ["Sign in to continue"]
    assert any(title in m.value for m in at.markdown)
    assert not any("Page not found" in str(e) for e in at.error)
    assert "mosaics_next" in _scripts(at) and url_path in _scripts(at)  # remembered for a sign-in elsewhere
    assert [b.label for b in at.button if b.label == "Sign in"] == ["Sign in"]


def test_signing_in_from_the_stand_in_returns_to_the_page(world_env) -> None:
    at = _open(portal_test(), "staff-keys")
    _submit(at, EMAILS["staff"], PASSWORDS["staff"], key="continue")
    scripts = _scripts(at)
    # The cookie is written first and only then is the page loaded: nothing signed-in is shown before that.
    assert scripts.index("mosaics_session") < scripts.index("location.replace")
    assert '"staff-keys"' in scripts
    assert any("Signing you in" in i.value for i in at.info)
    assert "Signed in as" not in " ".join(c.value for c in at.sidebar.caption)
    at.run()  # the page the browser loads next
    assert [t.value for t in at.title] == ["Signing keys"]


def test_wrong_password_on_the_stand_in_gives_the_generic_message(world_env) -> None:
    from mosaics_match.services import auth

    at = _open(portal_test(), "staff-audit")
    _submit(at, EMAILS["staff"], "not-the-password", key="continue")
    assert auth.GENERIC_FAILURE in [e.value for e in at.error]
    assert "session_token" not in at.session_state and "location.replace" not in _scripts(at)


def test_a_signed_in_role_without_access_is_told_so_and_offered_its_start_page(world_env) -> None:
    at = _open(portal_test(token=token_for(world_env, "employer")), "staff-keys")
    assert any("This page is for Seneca staff" in w.value for w in at.warning)
    assert not any(t.value == "Sign in to continue" for t in at.title)
    at.button(key="stand_in_home").click().run()
    assert [t.value for t in at.title] == ["Verify a credential"]


@pytest.mark.parametrize("who,title", [("employer", "Verify a credential"), ("partner", "Match a job posting"),
                                       ("earner", "My credentials"), ("staff", "Staff console")])
def test_each_role_lands_where_its_work_is(world_env, who: str, title: str) -> None:
    at = portal_test(token=token_for(world_env, who))
    assert not at.exception
    assert at.title[0].value == title
    at.switch_page("pages/home.py").run()  # the home page is still there for them
    assert at.title[0].value == "Seneca Mosaics"


def test_the_public_still_lands_on_home(world_env) -> None:
    assert portal_test().title[0].value == "Seneca Mosaics"


def test_password_sign_in_goes_to_the_role_start_page(world_env) -> None:
    at = portal_test()
    at.switch_page("pages/sign_in.py").run()
    _submit(at, EMAILS["partner"], PASSWORDS["partner"], key="sign_in")
    assert '"match"' in _scripts(at)


def test_oidc_sign_in_returns_to_the_page_asked_for(world_env, monkeypatch) -> None:
    """The identity provider sends everyone back to the root; the page asked for rides in a cookie."""
    _browser_cookies(monkeypatch, {"mosaics_next": "staff-trust"})
    user = {"is_logged_in": True, "email": EMAILS["staff"], "iat": int(time.time()) - 5}
    at = portal_test(user=user, secrets=OIDC_SECRETS)
    assert not at.exception
    assert at.title[0].value == "Trusted issuers"
    assert "Max-Age=0" in _scripts(at)  # used once


def test_next_cookie_cannot_send_anyone_elsewhere(world_env, monkeypatch) -> None:
    for value in ("https://evil.example/", "staff-keys", "../x"):
        _browser_cookies(monkeypatch, {"mosaics_next": value})
        at = portal_test(token=token_for(world_env, "employer"))
        assert at.title[0].value == "Verify a credential", value  # unknown, or not the employer's: own start


# --- locked accounts ------------------------------------------------------------------------------------------

def _lock(world, who: str) -> None:
    from mosaics_match.services import auth

    rt = world_runtime(world)
    for _ in range(auth.MAX_FAILURES_BEFORE_LOCK):
        with rt.Session.begin() as session:
            auth.authenticate(session, email=EMAILS[who], password="typo")
    rt.engine.dispose()


def test_staff_see_locked_accounts_and_unlock_them(world_env) -> None:
    from mosaics_match.services import auth
    from mosaics_match.store import repo

    _lock(world_env, "employer")
    rt = world_runtime(world_env)
    with rt.Session.begin() as session:
        assert not auth.authenticate(session, email=EMAILS["employer"], password=PASSWORDS["employer"]).ok
    at = portal_test(token=token_for(world_env, "staff"))
    assert any("locked" in w.value for w in at.warning)  # on the console overview
    at.switch_page("pages/staff_accounts.py").run()
    assert not at.exception
    cards = [m.value for m in at.markdown if EMAILS["employer"] in m.value]
    assert cards and "Locked" in cards[0]
    with rt.Session() as session:
        account_id = repo.get_account(session, email=EMAILS["employer"]).id
    at.button(key=f"unlock_{account_id}").click().run()
    assert any(f"Unlocked {EMAILS['employer']}" in s.value for s in at.success)
    with rt.Session.begin() as session:
        assert auth.authenticate(session, email=EMAILS["employer"], password=PASSWORDS["employer"]).ok
    with rt.Session() as session:
        event = repo.list_audit(session, action="account_unlock")[0]
        assert (event.actor, event.subject, event.outcome) == (EMAILS["staff"], EMAILS["employer"], "success")
        assert event.details["failed_attempts"] == auth.MAX_FAILURES_BEFORE_LOCK
    rt.engine.dispose()


@pytest.mark.storage
def test_unlock_reaches_another_replicas_failure_count(rt) -> None:
    """Another process's in-memory count of the same failures no longer locks the email after an unlock."""
    from mosaics_match.services import auth
    from mosaics_match.store import repo
    from mosaics_match.store.passwords import hash_password

    with rt.Session.begin() as session:
        session.add(repo.Account(email="hr@corp.example", display_name="HR", role="employer",
                                 password_hash=hash_password("right-password-123")))
    here, there = auth.FailureTracker(), auth.FailureTracker()
    for _ in range(auth.MAX_FAILURES_BEFORE_LOCK):
        with rt.Session.begin() as session:
            auth.authenticate(session, email="hr@corp.example", password="typo", tracker=here)
        there.record_failure("hr@corp.example", datetime.now(UTC))
    with rt.Session.begin() as session:
        account = repo.get_account(session, email="hr@corp.example")
        auth.unlock_account(session, account=account, actor="staff@x", tracker=here)
    with rt.Session.begin() as session:
        assert auth.authenticate(session, email="hr@corp.example", password="right-password-123", tracker=there).ok
