"""Seneca Mosaics employer portal: page config, sign-in, role lookup and navigation — and the HTTP routes.

``streamlit run portal.py`` serves everything from one process. Streamlit finds the ``st.App`` assigned to
``app`` below and runs it under uvicorn: the UI (this file, executed for every page view) plus the routes of
:mod:`mosaics_match.api` (DID document, JWKS, status lists, public credentials, the verification API).
``uvicorn portal:app`` is the same server for deployments (see docs/deployment.md).

Pages a viewer's role may not use are not routed at all, and every privileged page checks the role again at its
top (``pages.common.guard``).
"""

from __future__ import annotations

import streamlit as st

if __name__ != "__main__":
    # Imported once by the server, before any browser session exists.
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager
    from pathlib import Path
    from typing import Any

    from starlette.concurrency import run_in_threadpool
    from streamlit.runtime.pages_manager import PagesManager

    from mosaics_match.api import LazyRuntime, build_routes

    # A ``pages/`` folder beside the main script would otherwise make Streamlit start in its old folder-based
    # navigation until the first st.navigation call, so a deep link as the first request after a start would
    # miss this file's navigation and role routing.
    PagesManager.uses_pages_directory = False

    runtime = LazyRuntime()

    #: Seconds between SIGTERM / SIGINT and the end of the process, whatever is still running.
    SHUTDOWN_GRACE_SECONDS = 5.0

    def bound_shutdown(grace: float) -> None:
        """End the process at most ``grace`` seconds after the first SIGTERM or SIGINT.

        uvicorn's graceful shutdown waits, with no time limit, for requests in flight, and the threads computing
        them are not daemons: one long verification kept the server up for minutes after SIGTERM. The signal
        still starts that graceful shutdown; a timer ends the process if it has not finished by then.
        """
        import logging
        import os
        import signal
        import sys
        import threading

        if threading.current_thread() is not threading.main_thread():
            return  # only the main thread may set handlers; a server run elsewhere keeps its own
        fired: list[int] = []

        def force_exit() -> None:
            logging.getLogger("portal").error("Still running %g s after the shutdown signal: exiting now.", grace)
            sys.stderr.flush()
            os._exit(128 + fired[0])

        for signum in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(signum)
            if not callable(previous):
                continue  # no server handler to chain to

            def handler(sig: int, frame: Any, previous: Any = previous) -> None:
                if not fired:
                    fired.append(sig)
                    timer = threading.Timer(grace, force_exit)
                    timer.daemon = True
                    timer.start()
                previous(sig, frame)

            signal.signal(signum, handler)

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        # Connect and migrate before the first request, so a misconfigured database fails the start.
        await run_in_threadpool(runtime)
        bound_shutdown(SHUTDOWN_GRACE_SECONDS)
        yield
        runtime.close()

    app = st.App(Path(__file__).resolve(), routes=build_routes(runtime), lifespan=lifespan)
else:
    from pages import common

    st.set_page_config(page_title="Seneca Mosaics portal", page_icon=":material/extension:", layout="wide")

    rt = common.runtime()
    common.ensure_demo_data(rt)
    viewer = common.current_viewer()

    from pages import access

    common.render_sidebar(viewer)
    page = st.navigation(access.navigation_pages(viewer), position="sidebar")
    access.land(viewer, page)
    page.run()
