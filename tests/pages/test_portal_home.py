"""The portal's entry point renders the home page with live figures, and a real server answers its health check."""

from __future__ import annotations

import urllib.request

import pytest
from sqlalchemy import func, select

from tests.conftest import app_test, session_token_for


def test_home_page_shows_live_catalogue_and_figures(portal_env, seeded_rt):
    from mosaics_match.store.models import Earner

    at = app_test()
    assert not at.exception, at.exception
    assert at.title[0].value == "Seneca Mosaics"
    metrics = {m.label: m.value for m in at.metric}
    with seeded_rt.Session() as session:
        earners = session.scalar(select(func.count()).select_from(Earner))
    assert metrics["Earners"] == f"{earners:,}"
    assert int(metrics["Micro-credentials"]) >= 40
    table = at.dataframe[0].value
    assert len(table) >= 40 and "Competencies" in table.columns


def test_public_navigation_does_not_route_staff_pages(portal_env):
    """st.navigation only knows the pages the role may use: a visitor's navigation has no staff page script to
    switch to, while a staff session reaches the same script."""
    at = app_test()
    assert not at.exception, at.exception
    with pytest.raises(ValueError, match="Could not find a navigation page for .*pages/staff_audit.py"):
        at.switch_page("pages/staff_audit.py")
    staff = app_test("pages/staff_audit.py", token=session_token_for(portal_env, "staff@mosaics.example"))
    assert not staff.exception, staff.exception
    assert "Audit log" in [t.value for t in staff.title]


def test_streamlit_run_answers_health_check(live_portal):
    with urllib.request.urlopen(f"{live_portal['url']}/_stcore/health", timeout=5) as resp:
        assert resp.status == 200
        assert resp.read().strip() == b"ok"
