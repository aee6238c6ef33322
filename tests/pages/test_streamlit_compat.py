"""The workaround for a ``pages/`` folder beside ``portal.py`` (:mod:`pages.streamlit_compat`) still fits the
installed Streamlit: it fails when an upgrade removes the private names it patches (the workaround would silently
do nothing) or when Streamlit no longer reads the folder as its old navigation (the workaround is unnecessary)."""

from __future__ import annotations

import inspect

import pytest

from pages import streamlit_compat
from tests.conftest import REPO


@pytest.fixture
def pages_flag():
    from streamlit.runtime.pages_manager import PagesManager

    saved = PagesManager.uses_pages_directory
    yield PagesManager
    PagesManager.uses_pages_directory = saved


def test_streamlit_still_has_the_private_names_the_workaround_patches() -> None:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.testing.v1 import app_test

    assert "uses_pages_directory" in vars(PagesManager), "PagesManager.uses_pages_directory is gone"
    assert callable(getattr(script_runner, "_mpa_v1", None)), "script_runner._mpa_v1 is gone"
    # The runner still chooses _mpa_v1 by that flag, looking the function up in its module at run time.
    run_source = inspect.getsource(script_runner.ScriptRunner)
    assert "if PagesManager.uses_pages_directory:" in run_source and "_mpa_v1(self._main_script_path)" in run_source
    # AppTest still resets the flag before each run, which is why the tests need the _mpa_v1 stand-in.
    assert "PagesManager.uses_pages_directory = None" in inspect.getsource(app_test.AppTest)


def test_without_the_workaround_streamlit_would_still_use_its_folder_navigation(pages_flag) -> None:
    assert (REPO / "pages").is_dir() and (REPO / "portal.py").is_file()
    pages_flag.uses_pages_directory = None
    pages_flag(str(REPO / "portal.py"), setup_watcher=False)
    assert pages_flag.uses_pages_directory is True, (
        "Streamlit no longer switches to folder-based (v1) navigation for a pages/ folder beside the main script: "
        "pages/streamlit_compat.py and its uses in portal.py and tests/conftest.py can go")


def test_the_server_patch_switches_folder_navigation_off(pages_flag) -> None:
    pages_flag.uses_pages_directory = None
    streamlit_compat.serve_portal_navigation()
    assert pages_flag.uses_pages_directory is False
    pages_flag(str(REPO / "portal.py"), setup_watcher=False)  # a later PagesManager keeps the decision
    assert pages_flag.uses_pages_directory is False


def test_the_apptest_stand_in_replaces_mpa_v1() -> None:
    from streamlit.runtime.scriptrunner import script_runner

    # tests/conftest.py installs it for every test (autouse), through the module's own helper.
    assert script_runner._mpa_v1 is streamlit_compat.run_main_script_as_v2
