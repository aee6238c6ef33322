"""What every page shares: the cached runtime, the viewer and role checks, the page registry.

This is the UI edge: Streamlit lives here and in the page files, never in ``mosaics_match``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from mosaics_match import auth
from mosaics_match.auth import PUBLIC, Viewer
from mosaics_match.runtime import Runtime, open_runtime

PAGES_DIR = Path(__file__).resolve().parent
ALL_ROLES = ("public", "earner", "employer", "partner", "staff")
SIGNED_IN = ("earner", "employer", "partner", "staff")
SESSION_COOKIE = "mosaics_session"


@dataclass(frozen=True)
class PageSpec:
    """One page of the portal and the roles that may use it (the single source for navigation and checks)."""

    path: str
    title: str
    icon: str
    url_path: str
    roles: tuple[str, ...]
    section: str
    default: bool = False

    def available(self) -> bool:
        return (PAGES_DIR.parent / self.path).is_file()


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/home.py", "Home", "🏠", "home", ALL_ROLES, "Mosaics", default=True),
    PageSpec("pages/verify.py", "Verify a credential", "✅", "verify", ALL_ROLES, "Mosaics"),
    PageSpec("pages/catalogue.py", "Micro-credential catalogue", "📚", "catalogue", ALL_ROLES, "Mosaics"),
    PageSpec("pages/batch_verify.py", "Batch verification", "🗂️", "batch", ("employer", "staff"), "Employers"),
    PageSpec("pages/verification_history.py", "Verification history", "🕘", "history", ("employer",), "Employers"),
    PageSpec("pages/match.py", "Match a job posting", "🎯", "match", ("partner", "staff"), "Industry partners"),
    PageSpec("pages/shortlists.py", "Shortlists", "⭐", "shortlists", ("partner",), "Industry partners"),
    PageSpec("pages/my_credentials.py", "My credentials", "🎓", "my-credentials", ("earner",), "Earners"),
    PageSpec("pages/staff_issue.py", "Issue credentials", "🖋️", "staff-issue", ("staff",), "Staff console"),
    PageSpec("pages/staff_status.py", "Revoke and suspend", "⛔", "staff-status", ("staff",), "Staff console"),
    PageSpec("pages/staff_earners.py", "Earners", "👥", "staff-earners", ("staff",), "Staff console"),
    PageSpec("pages/staff_keys.py", "Signing keys", "🔑", "staff-keys", ("staff",), "Staff console"),
    PageSpec("pages/staff_trust.py", "Trusted issuers", "🛡️", "staff-trust", ("staff",), "Staff console"),
    PageSpec("pages/staff_gaps.py", "Coverage gaps", "🧭", "staff-gaps", ("staff",), "Staff console"),
    PageSpec("pages/staff_audit.py", "Audit log", "📜", "staff-audit", ("staff",), "Staff console"),
    PageSpec("pages/sign_in.py", "Sign in", "🔐", "sign-in", ("public",), "Account"),
)


@st.cache_resource(show_spinner="Connecting to the database…")
def runtime() -> Runtime:
    """The process-wide runtime (engine and session factory); never a session."""
    return open_runtime()


def ensure_demo_data(rt: Runtime) -> None:
    """Seed the demo data on an empty database (demo mode), showing progress; a no-op afterwards."""
    if st.session_state.get("_demo_checked"):
        return
    from mosaics_match import demo

    if rt.settings.demo_mode and demo.needs_seeding(rt):
        with st.status("First start: creating the Mosaics demo data…", expanded=True) as status:
            bar = st.progress(0.0)

            def progress(done: float, message: str) -> None:
                bar.progress(min(max(done, 0.0), 1.0), text=message)

            report = demo.seed(rt, progress=progress)
            status.update(label=f"Demo data ready: {report.summary()}", state="complete", expanded=False)
    st.session_state["_demo_checked"] = True


def _viewer_from_oidc(rt: Runtime) -> Viewer | None:
    try:
        if not st.user.is_logged_in:
            return None
    except Exception:  # no [auth] section configured
        return None
    email = st.user.get("email")
    if not email:
        return None
    from mosaics_match import repo

    with rt.Session() as session:
        account = repo.get_account(session, email=str(email))
        if account is None or not account.active:
            return None
        return auth.viewer_for(account)


def current_viewer() -> Viewer:
    """Resolve the viewer on the server: OIDC identity or a signed session token, else the public."""
    rt = runtime()
    oidc = _viewer_from_oidc(rt)
    if oidc is not None:
        return oidc
    token = st.session_state.get("session_token") or st.context.cookies.get(SESSION_COOKIE)
    if token:
        with rt.Session() as session:
            account = auth.account_from_token(session, token=token, secret=rt.settings.session_secret)
            if account is not None:
                st.session_state["session_token"] = token
                return auth.viewer_for(account)
        st.session_state.pop("session_token", None)
    return PUBLIC


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
    with st.sidebar:
        if viewer.signed_in:
            st.caption(f"Signed in as **{viewer.display_name}** · {viewer.role}")
            if st.button("Sign out", key="sidebar_sign_out"):
                sign_out(viewer)
        else:
            st.caption("Not signed in · public pages only")


def sign_out(viewer: Viewer) -> None:
    rt = runtime()
    if viewer.account_id is not None:
        from mosaics_match.models import Account

        with rt.Session.begin() as session:
            account = session.get(Account, viewer.account_id)
            if account is not None:
                auth.sign_out_everywhere(session, account=account)
    st.session_state.pop("session_token", None)
    try:
        if st.user.is_logged_in:
            st.logout()
    except Exception:
        pass
    st.rerun()
