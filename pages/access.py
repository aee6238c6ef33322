"""No dead ends: where each role lands, what a page opened by URL without access shows, and how signing in
returns there.

* Every page of the registry is routed for every viewer. Pages their role may use are the real pages; the others
  are hidden stand-ins at the same address: a signed-out visitor sees "Sign in to continue" with the sign-in form,
  and comes back to the page once signed in; a signed-in person whose role may not use it is told so and offered
  their own start page. The stand-in never runs the page's file, so nothing of the page is shown.
* A signed-in session that opens the portal's root lands where its role works (:data:`LANDING`), or on the page
  it asked for before an OpenID Connect sign-in (the ``mosaics_next`` cookie, set when the sign-in form is shown,
  since the identity provider always returns to the root).
* A password sign-in writes the session cookie *before* anything on screen says "signed in": the browser stores
  the cookie and then loads the target page, which is a new browser session that finds the cookie. A deep link
  opened in another tab at any moment after that is signed in.

This is a helper module of the pages, not a page (it is not in ``common.PAGES``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import streamlit as st

from mosaics_match.roles import Role
from mosaics_match.services import auth
from mosaics_match.services.auth import Viewer
from pages import common

#: The page each signed-in role starts on (the public starts on the home page).
LANDING = {Role.EMPLOYER: "pages/verify.py", Role.PARTNER: "pages/match.py", Role.EARNER: "pages/my_credentials.py",
           Role.STAFF: "pages/staff_home.py"}
NEXT_COOKIE = "mosaics_next"
NEXT_MAX_AGE = 15 * 60  # seconds: long enough for a sign-in at an identity provider
ROLE_WORDS = {Role.EMPLOYER: "employers", Role.PARTNER: "industry partners", Role.EARNER: "earners",
              Role.STAFF: "Seneca staff", Role.PUBLIC: "everyone"}


def spec_for_url_path(url_path: str | None) -> common.PageSpec | None:
    """The registry entry served at ``url_path`` (only known addresses: nothing from a browser is used as a URL)."""
    return next((s for s in common.PAGES if url_path and s.url_path == url_path and s.available()), None)


def landing_spec(role: str) -> common.PageSpec | None:
    """Where ``role`` starts (``None``: the default home page)."""
    path = LANDING.get(role)
    spec = next((s for s in common.PAGES if s.path == path), None)
    return spec if spec is not None and spec.available() and role in spec.roles else None


def _cookie(name: str) -> str | None:
    try:
        value = st.context.cookies.get(name)
    except Exception:  # no browser context (bare runs)
        return None
    return value if isinstance(value, str) and value else None


def _script(js: str) -> None:
    st.html(f"<script>{js}</script>", unsafe_allow_javascript=True, width="content")


def _cookie_js(name: str, value: str, max_age: int) -> str:
    return (f"document.cookie = {json.dumps(name)} + '=' + {json.dumps(value)} + "
            f"'; Path=/; Max-Age={max_age}; SameSite=Lax' + "
            "(window.location.protocol === 'https:' ? '; Secure' : '');")


def remember_next(spec: common.PageSpec) -> None:
    """Remember the page asked for, in this session and in a short-lived cookie (an OIDC sign-in leaves the portal
    and comes back to its root as a new session)."""
    st.session_state["_next_page"] = spec.url_path
    _script(_cookie_js(NEXT_COOKIE, spec.url_path, NEXT_MAX_AGE))


def _clear_next_cookie() -> None:
    _script(_cookie_js(NEXT_COOKIE, "", 0))


def requested_page(viewer: Viewer) -> common.PageSpec | None:
    """The page this visitor asked for before signing in, if ``viewer`` may use it."""
    spec = spec_for_url_path(st.session_state.get("_next_page") or _cookie(NEXT_COOKIE))
    return spec if spec is not None and viewer.role in spec.roles else None


def finish_sign_in(token: str, account_role: str) -> None:
    """Complete a password sign-in: store the session cookie in the browser, then load the page asked for (or the
    role's start page). The page is loaded only after the cookie is written, so the portal never shows a
    signed-in page that a second tab would not see. Ends the script run."""
    viewer = Viewer(email="", role=account_role, account_id=0)
    target = requested_page(viewer) or landing_spec(account_role)
    url_path = target.url_path if target is not None else ""
    # For this browser session too (a later rerun in this tab, and AppTest, which runs no JavaScript).
    st.session_state["session_token"] = token
    st.session_state["_landed"] = True
    max_age = int(auth.SESSION_TTL.total_seconds())
    secure = "(window.location.protocol === 'https:' ? '; Secure' : '')"
    _script(
        f"document.cookie = {json.dumps(common.SESSION_COOKIE)} + '=' + {json.dumps(token)} + "
        f"'; Path=/; Max-Age={max_age}; SameSite=Strict' + {secure};"
        f"document.cookie = {json.dumps(NEXT_COOKIE)} + '=; Path=/; Max-Age=0; SameSite=Lax' + {secure};"
        # Same folder as the current page (keeps any server.baseUrlPath prefix), then the target's address.
        f"window.location.replace(window.location.pathname.replace(/[^/]*$/, '') + {json.dumps(url_path)});"
    )
    st.info("Signing you in…", icon=":material/hourglass_top:")
    st.stop()


def sign_in_form(*, key: str = "sign_in") -> None:
    """The email-and-password form (and single sign-on when configured). On success the browser stores the
    session and goes to the requested page or the role's start page (:func:`finish_sign_in`)."""
    rt = common.runtime()
    if common.oidc_configured():
        st.subheader("With your organisation")
        if st.button("Sign in with single sign-on", type="primary", key="oidc_sign_in"):
            try:
                st.login()
            except Exception:  # a broken [auth] section must not show a traceback
                st.error("Single sign-on is not set up correctly on this portal. Use your Mosaics password, or ask "
                         "Seneca staff to check the [auth] settings.")
        st.divider()
        st.subheader("With a Mosaics password")
    with st.form(f"{key}_form", clear_on_submit=False):
        email = st.text_input("Email", max_chars=auth.MAX_EMAIL_LENGTH, autocomplete="username",
                              key=f"{key}_email")
        password = st.text_input("Password", type="password", max_chars=auth.MAX_PASSWORD_LENGTH,
                                 autocomplete="current-password", key=f"{key}_password")
        submitted = st.form_submit_button("Sign in", type="primary" if not common.oidc_configured() else "secondary")
    if not submitted:
        return
    if not email.strip() or not password:
        st.error("Enter both your email and your password.")
        return
    result = auth.password_sign_in(rt, email=email, password=password)
    if result.delay_seconds:
        time.sleep(result.delay_seconds)  # slows password guessing; same for known and unknown emails
    if result.ok and result.token and result.role:
        finish_sign_in(result.token, result.role)
    st.error(result.message)


def _stand_in(spec: common.PageSpec) -> Callable[[], None]:
    def page() -> None:
        viewer = common.current_viewer()
        for_whom = ", ".join(ROLE_WORDS[r] for r in spec.roles if r != Role.PUBLIC)
        if not viewer.signed_in:
            st.title("Sign in to continue")
            st.write(f"“{spec.title}” is for {for_whom}. Sign in and you will come straight back to it.")
            remember_next(spec)
            sign_in_form(key="continue")
            return
        st.title(spec.title)
        st.warning(f"This page is for {for_whom}. You are signed in as {viewer.display_name} ({viewer.role}), "
                   "so it is not available to you.", icon=":material/lock:")
        home = landing_spec(viewer.role)
        if home is not None and st.button(f"Go to {home.title}", type="primary", key="stand_in_home"):
            st.switch_page(home.path)

    page.__name__ = f"sign_in_to_{spec.url_path.replace('-', '_')}"
    return page


def navigation_pages(viewer: Viewer) -> dict[str, list[st.Page]]:
    """``st.navigation``'s sections for ``viewer``: the pages their role may use, plus hidden stand-ins at the
    addresses of all the others (so a URL never ends in "Page not found")."""
    sections: dict[str, list[st.Page]] = {}
    for spec in common.routed_pages(viewer.role):
        page = st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path, default=spec.default)
        sections.setdefault(spec.section, []).append(page)
    hidden = [st.Page(_stand_in(spec), title=spec.title, icon=spec.icon, url_path=spec.url_path, visibility="hidden")
              for spec in common.PAGES if spec.available() and viewer.role not in spec.roles
              and spec.path != "pages/sign_in.py"]
    if hidden:
        sections.setdefault(next(iter(sections)), []).extend(hidden)
    return sections


def land(viewer: Viewer, page: st.Page) -> None:
    """On a signed-in session's first page: from the portal's root, go to the page asked for before signing in,
    or to the role's start page. A deep link to a page is left where it is. The remembered page is used once."""
    if st.session_state.pop("_clear_next", False):
        _clear_next_cookie()  # on the page switched to: what the switching run rendered never reached the browser
    if not viewer.signed_in or st.session_state.get("_landed"):
        return
    st.session_state["_landed"] = True
    target = requested_page(viewer)
    st.session_state.pop("_next_page", None)
    had_cookie = _cookie(NEXT_COOKIE) is not None
    target = (target or landing_spec(viewer.role)) if page.url_path == "" else None
    if target is None:
        if had_cookie:
            _clear_next_cookie()
        return
    st.session_state["_clear_next"] = had_cookie
    st.switch_page(target.path)
