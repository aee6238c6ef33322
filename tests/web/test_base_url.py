"""Links follow where the portal is reached when MOSAICS_BASE_URL is not set (pages: the browser's address; HTTP
routes: the request's origin), and a configured base URL wins and is compared on the staff keys page."""

from __future__ import annotations

from dataclasses import replace

import pytest
from starlette.testclient import TestClient

from mosaics_match.web.api import create_api_app
from tests.conftest import app_test, session_token_for

SERVED = "http://127.0.0.1:8765"


def test_runtime_for_origin_only_without_a_configured_base_url(rt) -> None:
    unset = replace(rt, settings=replace(rt.settings, base_url_configured=False))
    assert unset.for_origin(SERVED).settings.base_url == SERVED
    assert unset.for_origin(None) is unset
    assert rt.for_origin(SERVED).settings.base_url == rt.settings.base_url  # configured: always the setting
    assert unset.for_origin(SERVED).Session is rt.Session  # same engine and sessions


def _openapi_server(rt, **headers: str) -> str:
    client = TestClient(create_api_app(lambda: rt), base_url="http://127.0.0.1:8765")
    return client.get("/api/v1/openapi.json", headers=headers).json()["servers"][0]["url"]


def test_api_names_the_origin_it_was_reached_at(rt) -> None:
    unset = replace(rt, settings=replace(rt.settings, base_url_configured=False))
    assert _openapi_server(unset) == SERVED
    assert _openapi_server(unset, host="portal.example.ca") == "http://portal.example.ca"
    # X-Forwarded-Proto from a client that is not a trusted proxy changes nothing.
    assert _openapi_server(unset, **{"x-forwarded-proto": "https"}) == SERVED
    assert _openapi_server(rt) == rt.settings.base_url


@pytest.fixture
def unset_base_url(portal_env: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("MOSAICS_BASE_URL")
    return portal_env


def test_staff_links_name_the_address_in_the_browser(unset_base_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from pages import common

    monkeypatch.setattr(common, "browser_origin", lambda: SERVED)
    token = session_token_for(unset_base_url, "staff@mosaics.example")
    at = app_test("pages/staff_status.py", token=token)
    assert not at.exception, at.exception
    links = [m.value for m in at.markdown if m.value.startswith("Staff verification link:")]
    assert links and f"[{SERVED}/verify?credential=urn%3Auuid%3A" in links[0]
    assert "localhost:8501" not in " ".join(links)
    keys = app_test("pages/staff_keys.py", token=token)
    assert any("MOSAICS_BASE_URL is not set" in i.value and SERVED in i.value for i in keys.info)


def test_staff_keys_page_says_when_the_base_url_is_elsewhere(portal_env: str, monkeypatch) -> None:
    from pages import common

    token = session_token_for(portal_env, "staff@mosaics.example")
    monkeypatch.setattr(common, "browser_origin", lambda: SERVED)
    at = app_test("pages/staff_keys.py", token=token)
    assert not at.exception, at.exception
    warning = " ".join(w.value for w in at.warning)
    assert f"MOSAICS_BASE_URL is http://localhost:8501, but the portal is served at {SERVED}" in warning
    monkeypatch.setattr(common, "browser_origin", lambda: "http://localhost:8501")
    at = app_test("pages/staff_keys.py", token=token)
    assert "MOSAICS_BASE_URL is" not in " ".join(w.value for w in at.warning)


def _badge(at) -> bool:
    return any("-badge[" in m.value and "Demo data" in m.value for m in at.markdown)


def test_every_page_carries_the_demo_badge_in_demo_mode(portal_env: str, monkeypatch) -> None:
    for page in (None, "pages/verify.py", "pages/catalogue.py", "pages/sign_in.py"):
        at = app_test(page)
        assert not at.exception, at.exception
        assert _badge(at), page
    import streamlit as st

    monkeypatch.setenv("MOSAICS_DEMO", "0")
    st.cache_resource.clear()  # settings are read once per process
    at = app_test("pages/verify.py")
    assert not at.exception and not _badge(at)
