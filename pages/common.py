"""What every page shares: the cached runtime, the viewer and role checks, the page registry.

This is the UI edge: Streamlit lives here and in the page files, never in ``mosaics_match``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from mosaics_match.roles import ALL_ROLES, SIGNED_IN_ROLES, Role
from mosaics_match.runtime import Runtime, open_runtime
from mosaics_match.services import auth
from mosaics_match.services.auth import PUBLIC, Viewer

PAGES_DIR = Path(__file__).resolve().parent
SIGNED_IN = SIGNED_IN_ROLES
SESSION_COOKIE = "mosaics_session"


@dataclass(frozen=True)
class PageSpec:
    """One page of the portal and the roles that may use it (the single source for navigation and checks)."""

    path: str
    title: str
    icon: str
    url_path: str
    roles: tuple[Role, ...]
    section: str
    default: bool = False

    def available(self) -> bool:
        return (PAGES_DIR.parent / self.path).is_file()


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/home.py", "Home", ":material/home:", "home", ALL_ROLES, "Mosaics", default=True),
    PageSpec("pages/verify.py", "Verify a credential", ":material/verified:", "verify", ALL_ROLES, "Mosaics"),
    PageSpec("pages/catalogue.py", "Micro-credential catalogue", ":material/menu_book:", "catalogue", ALL_ROLES,
             "Mosaics"),
    PageSpec("pages/batch_verify.py", "Batch verification", ":material/folder_zip:", "batch",
             (Role.EMPLOYER, Role.STAFF), "Employers"),
    PageSpec("pages/verification_history.py", "Verification history", ":material/history:", "history", (Role.EMPLOYER,),
             "Employers"),
    PageSpec("pages/match.py", "Match a job posting", ":material/person_search:", "match", (Role.PARTNER, Role.STAFF),
             "Industry partners"),
    PageSpec("pages/shortlists.py", "Shortlists", ":material/star:", "shortlists", (Role.PARTNER,),
             "Industry partners"),
    PageSpec("pages/my_credentials.py", "My credentials", ":material/school:", "my-credentials", (Role.EARNER,),
             "Earners"),
    PageSpec("pages/staff_home.py", "Console overview", ":material/dashboard:", "staff", (Role.STAFF,),
             "Staff console"),
    PageSpec("pages/staff_issue.py", "Issue credentials", ":material/draw:", "staff-issue", (Role.STAFF,),
             "Staff console"),
    PageSpec("pages/staff_status.py", "Revoke and suspend", ":material/block:", "staff-status", (Role.STAFF,),
             "Staff console"),
    PageSpec("pages/staff_earners.py", "Earners", ":material/group:", "staff-earners", (Role.STAFF,), "Staff console"),
    PageSpec("pages/staff_keys.py", "Signing keys", ":material/key:", "staff-keys", (Role.STAFF,), "Staff console"),
    PageSpec("pages/staff_trust.py", "Trusted issuers", ":material/shield:", "staff-trust", (Role.STAFF,),
             "Staff console"),
    PageSpec("pages/staff_gaps.py", "Coverage gaps", ":material/explore:", "staff-gaps", (Role.STAFF,),
             "Staff console"),
    PageSpec("pages/staff_audit.py", "Audit log", ":material/receipt_long:", "staff-audit", (Role.STAFF,),
             "Staff console"),
    PageSpec("pages/staff_accounts.py", "Locked accounts", ":material/lock_open:", "staff-accounts", (Role.STAFF,),
             "Staff console"),
    PageSpec("pages/sign_in.py", "Sign in", ":material/login:", "sign-in", (Role.PUBLIC,), "Account"),
)


@st.cache_resource(show_spinner="Connecting to the database…")
def _process_runtime() -> Runtime:
    """The process-wide runtime (engine and session factory); refuses a configuration that cannot serve."""
    from mosaics_match.settings import SettingsError, load_settings, startup_problem

    settings = load_settings()
    problem = startup_problem(settings)
    if problem:
        raise SettingsError(problem)
    return open_runtime(settings)


def browser_origin() -> str | None:
    """``scheme://host[:port]`` (plus Streamlit's ``server.baseUrlPath``) of the address in the visitor's browser."""
    from urllib.parse import urlsplit

    try:
        url = st.context.url
    except Exception:  # no browser context (bare runs)
        return None
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    prefix = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"{parts.scheme}://{parts.netloc}" + (f"/{prefix}" if prefix else "")


def runtime() -> Runtime:
    """The process-wide runtime; never a session. Without ``MOSAICS_BASE_URL`` its ``settings.base_url`` is the
    origin in the visitor's browser, so every link a page builds works on whatever port or host it is served."""
    return _process_runtime().for_origin(browser_origin())


def ensure_demo_data(rt: Runtime) -> None:
    """Wait until the server has prepared the database (the demo data on a first start), showing its progress.

    The server starts the work when it starts (``mosaics_match.services.startup``); a page run reaching it
    earlier (tests, or a page run before the server's start finished) starts it here. Every visitor meanwhile
    sees the same progress; once ready this is a no-op for the browser session.
    """
    if st.session_state.get("_demo_checked"):
        return
    from mosaics_match.services import startup

    job = startup.ensure_started(rt)
    now = job.snapshot()
    if now.state == "starting":
        label = ("First start: creating the Mosaics demo data…" if rt.settings.demo_mode
                 else "Getting the portal ready…")
        with st.status(label, expanded=True) as status:
            bar = st.progress(now.progress, text=now.message)
            while now.state == "starting":
                now = job.wait_for_change(now, timeout=1.0)
                bar.progress(now.progress, text=now.message)
            if now.ready:
                status.update(label="Demo data ready" if rt.settings.demo_mode else "Ready", state="complete",
                              expanded=False)
            else:
                status.update(label="The portal could not get ready", state="error")
    if now.state == "failed":
        st.error("The portal could not prepare its data; the server log says why. Try again later.")
        st.stop()
    st.session_state["_demo_checked"] = True


def oidc_configured() -> bool:
    """Whether an OpenID Connect provider is configured (an ``[auth]`` section in Streamlit's secrets)."""
    try:
        return bool(st.secrets.get("auth"))
    except Exception:  # no secrets file at all
        return False


def _oidc_claims() -> dict | None:
    if not oidc_configured():
        return None  # without [auth], st.user is never trusted as an identity
    try:
        if not st.user.is_logged_in:
            return None
        return dict(st.user.to_dict())
    except Exception:
        return None


def oidc_resolution() -> auth.OidcResolution | None:
    """How this browser's OIDC identity maps to an account here (``None`` when not signed in with OIDC)."""
    claims = _oidc_claims()
    if claims is None:
        return None
    rt = runtime()
    resolution = auth.resolve_oidc(rt, claims=claims)
    marker = (resolution.email, claims.get("iat"), resolution.status)
    if st.session_state.get("_oidc_audited") != marker:
        auth.record_oidc(rt, resolution=resolution)
        st.session_state["_oidc_audited"] = marker
    return resolution


def _session_cookie() -> str | None:
    """The session cookie this browser session started with (a string, or ``None``)."""
    try:
        value = st.context.cookies.get(SESSION_COOKIE)
    except Exception:  # no browser context (bare runs)
        return None
    return value if isinstance(value, str) and value else None


def current_viewer() -> Viewer:
    """Resolve the viewer on the server, on every run: OIDC identity or a signed session token, else the public.

    The role always comes from the database. Nothing the browser controls is trusted except a token whose HMAC
    signature, expiry and session epoch check out (see :func:`persist_session_cookie` for how it survives a
    refresh); a tampered ``session_state`` cannot change the account, because only the token is read from it.
    """
    rt = runtime()
    resolution = oidc_resolution()
    if resolution is not None and resolution.ok:
        return resolution.viewer
    for source, token in (("state", st.session_state.get("session_token")),
                          ("cookie", _session_cookie())):
        if not token or not isinstance(token, str):
            continue
        viewer = auth.viewer_from_token(rt, token=token)
        if viewer is not None:
            st.session_state["session_token"] = token
            return viewer
        if source == "state":
            st.session_state.pop("session_token", None)
    return PUBLIC


def persist_session_cookie() -> None:
    """Keep the browser's session cookie in step with the signed-in session (call once per run).

    Streamlit 1.67 pages cannot set HTTP response headers: a page run talks to the browser over the WebSocket,
    after the HTTP handshake that carried the cookies (``st.context.cookies`` is that snapshot). So the token is
    written by a tiny script rendered with ``st.html(..., unsafe_allow_javascript=True)`` and read back on the
    next page load from ``st.context.cookies``. Trade-offs:

    * The cookie cannot be ``HttpOnly`` (script-set), so script injected into the page could read it. Mitigated
      by the token itself: HMAC-signed, expires after ``auth.SESSION_TTL``, bound to the account's session epoch
      (sign-out everywhere kills every copy), ``SameSite=Strict`` (never sent on cross-site requests), ``Secure``
      over HTTPS, and the portal renders no user-supplied HTML. An ``HttpOnly`` cookie would need a custom HTTP
      route (``st.App`` routes) that sets it, i.e. a second sign-in endpoint outside the page; OIDC sign-in
      (``st.login``) does use Streamlit's own ``HttpOnly`` identity cookie.
    * The token never appears in the URL (no leaks through history, logs or Referer headers).
    * ``st.context.cookies`` is fixed for the life of a browser session, so a stale cookie is cleared by script
      as soon as the server finds it invalid (expired, signed out, tampered).
    * Browsers without JavaScript cannot run Streamlit at all, so nothing is lost there.
    """
    token = st.session_state.get("session_token")
    cookie = _session_cookie()
    if token and token != cookie:
        max_age = int(auth.SESSION_TTL.total_seconds())
        script = (f"document.cookie = {json.dumps(SESSION_COOKIE)} + '=' + {json.dumps(token)} + "
                  f"'; Path=/; Max-Age={max_age}; SameSite=Strict' + "
                  "(window.location.protocol === 'https:' ? '; Secure' : '');")
    elif not token and cookie:
        # Only remove the stale value this session saw: another tab may have signed in since and set a new one.
        if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,512}", cookie):
            cookie = "-"  # not a token we could have set: never echo it into a script
        stale = json.dumps(f"{SESSION_COOKIE}={cookie}")
        script = (f"if (document.cookie.split('; ').includes({stale})) {{ "
                  f"document.cookie = {json.dumps(SESSION_COOKIE)} + '=; Path=/; Max-Age=0; SameSite=Strict' + "
                  "(window.location.protocol === 'https:' ? '; Secure' : ''); }")
    else:
        return
    st.html(f"<script>{script}</script>", unsafe_allow_javascript=True, width="content")


def routed_pages(role: str) -> list[PageSpec]:
    """The pages st.navigation offers ``role`` (written pages whose roles include it)."""
    return [spec for spec in PAGES if role in spec.roles and spec.available()]


def require_role(*roles: str) -> Viewer:
    """Stop rendering unless the viewer's role is one of ``roles`` (server-side check at the top of a page)."""
    viewer = current_viewer()
    if viewer.role not in roles:
        st.error("You do not have access to this page. Sign in with an account that does.")
        st.stop()
    return viewer


def page_available(path: str) -> bool:
    """Whether ``path`` is a page the current viewer can be routed to."""
    viewer = current_viewer()
    return any(spec.path == path and viewer.role in spec.roles and spec.available() for spec in PAGES)


def page_roles(path: str) -> tuple[str, ...]:
    for spec in PAGES:
        if spec.path == path:
            return spec.roles
    raise KeyError(path)


def guard(page_file: str) -> Viewer:
    """Role check for a page file, using the registry: ``viewer = guard(__file__)``."""
    rel = f"pages/{Path(page_file).name}"
    return require_role(*page_roles(rel))


def render_sidebar(viewer: Viewer) -> None:
    """Who is signed in, the sign-out button, and the session cookie upkeep."""
    message = st.session_state.pop("_signed_in_message", None)
    if message and viewer.signed_in:
        st.toast(message, icon=":material/verified:")
    with st.sidebar:
        if viewer.signed_in:
            st.caption(f"Signed in as **{viewer.display_name}** · {viewer.role}")
            if st.button("Sign out", key="sidebar_sign_out", help="Signs you out on every device"):
                sign_out(viewer)
        else:
            resolution = oidc_resolution()
            if resolution is not None and not resolution.ok:
                st.caption("Single sign-on identity has no portal access · public pages only")
                if st.button("Sign out of single sign-on", key="sidebar_sso_sign_out"):
                    sign_out(viewer)
            else:
                st.caption("Not signed in · public pages only")
        persist_session_cookie()


def sign_out(viewer: Viewer) -> None:
    """Sign out everywhere: bump the account's session epoch (every token dies), forget the token here, end the
    OIDC identity in this browser (``st.logout``), and clear the cookie on the next run."""
    auth.sign_out(runtime(), viewer=viewer)
    for key in ("session_token", "_oidc_audited"):
        st.session_state.pop(key, None)
    if _oidc_claims() is not None:
        st.logout()
        return
    st.rerun()
