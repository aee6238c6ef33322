"""Role × page matrix: every role against every page in the registry, by navigation (which pages st.navigation
routes for the role) and by direct access (running the page script itself with the role's session), so that
nobody reaches a page their role may not use. Also checks that every page file starts with the role check."""

from __future__ import annotations

import ast

import pytest

from pages import common
from tests.conftest import REPO
from tests.services.test_auth import (  # noqa: F401  (fixtures)
    OIDC_SECRETS,
    _cheap_dummy_hash,
    portal_test,
    token_for,
    world_env,
    world_template,
)

ROLE_ACCOUNTS = {"public": None, "earner": "earner", "employer": "employer", "partner": "partner", "staff": "staff"}
ACCESS_ERROR = "You do not have access to this page"


def _available_pages() -> list[common.PageSpec]:
    return [spec for spec in common.PAGES if spec.available()]


def test_registry_is_consistent() -> None:
    paths = [spec.path for spec in common.PAGES]
    urls = [spec.url_path for spec in common.PAGES]
    assert len(set(paths)) == len(paths) and len(set(urls)) == len(urls)
    for spec in common.PAGES:
        assert spec.roles and set(spec.roles) <= set(common.ALL_ROLES), spec
    assert [s for s in common.PAGES if s.default] == [common.PAGES[0]] and common.PAGES[0].roles == common.ALL_ROLES


@pytest.mark.parametrize("role", common.ALL_ROLES)
def test_routed_pages_are_exactly_the_allowed_ones(role: str) -> None:
    routed = {spec.path for spec in common.routed_pages(role)}
    assert routed == {spec.path for spec in _available_pages() if role in spec.roles}


def _is_guard(node: ast.stmt) -> bool:
    call = node.value if isinstance(node, (ast.Assign, ast.Expr)) else None
    return isinstance(call, ast.Call) and ast.unparse(call.func) in ("common.guard", "guard", "common.require_role")


def _uses_streamlit(node: ast.stmt) -> bool:
    """Whether a module-level statement can render or touch the session: it names ``st`` or ``common``."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return False  # definitions run nothing
    return any(isinstance(n, ast.Name) and n.id in ("st", "common", "streamlit") for n in ast.walk(node))


def _guarded(body: list[ast.stmt], functions: dict[str, ast.FunctionDef], where: str) -> None:
    """Walk statements in order until the guard; fail on anything that uses Streamlit first. A call of a
    function defined in the page (``main()``, also under ``if __name__ == "__main__":``) is followed into."""
    for node in body:
        if _is_guard(node):
            return
        if isinstance(node, ast.If) and "__name__" in ast.unparse(node.test):
            _guarded(node.body, functions, where)
            return
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name) \
                and node.value.func.id in functions and node.value.func.id == "main":
            _guarded(functions["main"].body, functions, where)
            return
        assert not _uses_streamlit(node), (
            f"{where} uses Streamlit before `viewer = common.guard(__file__)`: {ast.unparse(node)[:80]}")
    pytest.fail(f"{where} never calls `common.guard(__file__)` before its content")


@pytest.mark.parametrize("spec", _available_pages(), ids=lambda s: s.path)
def test_every_page_checks_the_role_before_anything_else(spec: common.PageSpec) -> None:
    """The guard runs first: nothing that uses Streamlit comes before it (at module level, or in ``main()``)."""
    tree = ast.parse((REPO / spec.path).read_text(encoding="utf-8"))
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    _guarded(tree.body, functions, spec.path)


@pytest.mark.parametrize("role", common.ALL_ROLES)
def test_navigation_matrix(world_env, role: str) -> None:
    """Pages a role may not use are not routed: AppTest refuses to switch to them."""
    who = ROLE_ACCOUNTS[role]
    at = portal_test(token=token_for(world_env, who) if who else None)
    assert not at.exception
    shown_role = " ".join(c.value for c in at.sidebar.caption)
    assert (role in shown_role) if who else ("Not signed in" in shown_role)
    for spec in common.PAGES:
        if not spec.available():
            continue
        if role in spec.roles:
            at.switch_page(spec.path)  # registered: no error
        else:
            with pytest.raises(ValueError):
                at.switch_page(spec.path)


def _direct(page: str, token: str | None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / page), default_timeout=60)
    if token:
        at.session_state["session_token"] = token
    return at.run()


@pytest.mark.parametrize("spec", _available_pages(), ids=lambda s: s.path)
def test_direct_access_matrix(world_env, spec: common.PageSpec) -> None:
    """Running a page script directly (a deep link before navigation, a stale tab) still checks the role:
    every role the page is not for gets the refusal and nothing else."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / spec.path), default_timeout=60)
    for role in common.ALL_ROLES:
        if role in spec.roles:
            continue
        who = ROLE_ACCOUNTS[role]
        if who:
            at.session_state["session_token"] = token_for(world_env, who)
        elif "session_token" in at.session_state:
            del at.session_state["session_token"]
        at.run()
        assert not at.exception, (role, at.exception)
        assert any(ACCESS_ERROR in e.value for e in at.error), role
        rendered = [type(el).__name__ for el in at.main if type(el).__name__ not in ("SpecialBlock", "Block")]
        assert rendered == ["Error"], (role, rendered)


@pytest.mark.parametrize("role,page", [("earner", "pages/my_credentials.py"), ("public", "pages/sign_in.py")])
def test_direct_access_allowed_for_the_right_role(world_env, role: str, page: str) -> None:
    who = ROLE_ACCOUNTS[role]
    at = _direct(page, token_for(world_env, who) if who else None)
    assert not at.exception and not any(ACCESS_ERROR in e.value for e in at.error)


def test_oidc_identity_is_held_to_the_same_matrix(world_env) -> None:
    """An OIDC-signed-in partner is routed exactly like a password-signed-in partner."""
    import time

    at = portal_test(user={"is_logged_in": True, "email": "partner@mosaics.example", "iat": int(time.time())},
                     secrets=OIDC_SECRETS)
    for spec in _available_pages():
        if "partner" in spec.roles:
            at.switch_page(spec.path)
        else:
            with pytest.raises(ValueError):
                at.switch_page(spec.path)
