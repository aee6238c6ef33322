"""Seneca Mosaics employer portal: page config, sign-in, role lookup and navigation — and the HTTP routes.

``streamlit run portal.py`` serves everything from one process. Streamlit finds the ``st.App`` assigned to
``app`` below and runs it under uvicorn: the UI (this file, executed for every page view) plus the routes of
:mod:`mosaics_match.web.api` (DID document, JWKS, status lists, public credentials, the verification API).
``uvicorn portal:app`` is the same server for deployments (see docs/deployment.md).

Pages a viewer's role may not use are not routed at all, and every privileged page checks the role again at its
top (``pages.common.guard``).
"""

from __future__ import annotations

import streamlit as st

if __name__ != "__main__":
    # Imported once by the server, before any browser session exists and before it listens.
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager
    from pathlib import Path
    from typing import Any

    from starlette.middleware import Middleware

    from mosaics_match.services import startup
    from mosaics_match.settings import SettingsError
    from mosaics_match.store.audit_retention import DailyRollup
    from mosaics_match.web.api import LazyRuntime, build_routes
    from mosaics_match.web.proxies import ForwardedClientMiddleware, TrustedProxies
    from mosaics_match.web.serving import nodelay_listening_sockets
    from pages.streamlit_compat import serve_portal_navigation

    # The folder named ``pages/`` beside this file: run this file's st.navigation from the first request on.
    serve_portal_navigation()

    startup.configure_logging()
    process_runtime = startup.open_or_refuse("Seneca Mosaics")
    settings = process_runtime.settings
    served = startup.served_origin()
    if settings.base_url_configured:
        mismatch = startup.local_base_url_mismatch(settings.base_url, served)
        if mismatch:
            startup.LOG.warning(mismatch)
    else:
        # What this start creates (the demo data) names where it is served; pages and routes use each request's.
        process_runtime = process_runtime.for_origin(served)
        startup.LOG.info("MOSAICS_BASE_URL is not set: links name the origin each visitor reached%s",
                         f"; data created at start names {served}" if served else "")
    if settings.demo_mode:
        startup.LOG.warning("Demo mode: demo accounts and their passwords are shown on the sign-in page "
                            "(MOSAICS_DEMO=0 turns this off)")
    runtime = LazyRuntime(lambda: process_runtime)

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
        # The listening socket exists now; without this, kept-alive requests stall ~40 ms (see web/serving.py).
        nodelay_listening_sockets()
        startup.ensure_started(process_runtime)
        # Audit retention at start and then daily (store/audit_retention.py; replicas serialise on the database).
        retention = DailyRollup(process_runtime.Session, key_secret=settings.key_secret)
        retention.start()
        bound_shutdown(SHUTDOWN_GRACE_SECONDS)
        yield
        retention.stop()
        runtime.close()

    app = st.App(
        Path(__file__).resolve(),
        routes=[startup.health_route(runtime), *build_routes(runtime)],
        middleware=[Middleware(ForwardedClientMiddleware, trusted=TrustedProxies.parse(settings.trusted_proxies))],
        lifespan=lifespan,
    )
else:
    from pages import common

    st.set_page_config(page_title="Seneca Mosaics portal", page_icon=":material/extension:", layout="wide")

    from mosaics_match.settings import SettingsError

    try:
        rt = common.runtime()
    except SettingsError as exc:
        st.error(str(exc))
        st.stop()
    if rt.settings.demo_mode:
        st.badge("Demo data", icon=":material/science:", color="orange",
                 help="Synthetic earners and credentials; demo accounts are listed on the sign-in page.")
    common.ensure_demo_data(rt)
    viewer = common.current_viewer()

    from pages import access

    common.render_sidebar(viewer)
    page = st.navigation(access.navigation_pages(viewer), position="sidebar")
    access.land(viewer, page)
    page.run()
