"""The one place that works around Streamlit for a folder named ``pages/`` beside ``portal.py``.

The portal's layout (``portal.py``, ``pages/``, ``mosaics_match/``) is the owner's choice, so the folder keeps its
name. Streamlit 1.67 reads a ``pages/`` folder next to the main script as its old folder-based navigation
("MPA v1"): ``PagesManager.uses_pages_directory`` is set from that folder's existence, and while it is true the
script runner does not run ``portal.py`` but ``script_runner._mpa_v1``, which makes a page of every file in the
folder. ``portal.py`` uses ``st.navigation`` (the registry in :mod:`pages.common`) instead, and only that call
switches the flag off, so:

* **the server** (:func:`serve_portal_navigation`, called by ``portal.py`` when the server imports it, before it
  listens) switches the flag off at once; otherwise the first request after a start, a deep link say, would run
  a page file alone, without ``portal.py``'s navigation and role routing;
* **AppTest** resets the flag to ``None`` before every run, so the tests replace ``_mpa_v1`` with
  :func:`run_main_script_as_v2` (:func:`apptest_runs_portal_navigation`, an autouse fixture in
  ``tests/conftest.py``), which runs ``portal.py`` as the server does.

Both touch private Streamlit names. ``tests/pages/test_streamlit_compat.py`` fails when an upgrade removes them
(the workaround is broken) or when Streamlit stops treating the folder as v1 navigation (it is unnecessary).

This is a helper module of the pages, not a page (it is not in ``common.PAGES``); Streamlit lives in ``pages/``
and ``portal.py``, never in ``mosaics_match``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

__all__ = ["serve_portal_navigation", "run_main_script_as_v2", "apptest_runs_portal_navigation"]


def serve_portal_navigation() -> None:
    """Make the server run ``portal.py`` (and its ``st.navigation``) from the first request on.

    Sets the private class attribute ``PagesManager.uses_pages_directory`` to ``False``, which is what
    Streamlit's own ``st.navigation`` does on its first call.
    """
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


def run_main_script_as_v2(main_script_path: str) -> None:
    """Stand-in for Streamlit's ``script_runner._mpa_v1`` in AppTest runs: run the main script itself.

    AppTest resets ``PagesManager.uses_pages_directory`` before every run, so without this stand-in a later run
    would execute a page file alone instead of ``portal.py``.

    Parameters
    ----------
    main_script_path : str
        The script AppTest runs (``portal.py``).
    """
    code = compile(Path(main_script_path).read_text(encoding="utf-8"), main_script_path, "exec")
    exec(code, sys.modules["__main__"].__dict__)


def apptest_runs_portal_navigation(monkeypatch: Any) -> None:
    """Install :func:`run_main_script_as_v2` in place of ``_mpa_v1`` for one test.

    Parameters
    ----------
    monkeypatch : pytest.MonkeyPatch
        The test's monkeypatch (undone after the test).
    """
    from streamlit.runtime.scriptrunner import script_runner

    monkeypatch.setattr(script_runner, "_mpa_v1", run_main_script_as_v2)
