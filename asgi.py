"""The portal as one ASGI app: the Streamlit UI (``portal.py``) plus the HTTP routes of :mod:`mosaics_match.api`.

Run with ``uvicorn asgi:app`` (or ``streamlit run asgi.py``, which finds ``app`` and serves it the same way).
``streamlit run portal.py`` serves the UI only: the HTTP routes exist only when this module's ``st.App`` is
the server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import streamlit as st
from starlette.concurrency import run_in_threadpool

from mosaics_match.api import LazyRuntime, build_routes

runtime = LazyRuntime()


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    # Connect and migrate before the first request, so a misconfigured database fails the start, not a request.
    await run_in_threadpool(runtime)
    yield
    runtime.close()


app = st.App(Path(__file__).resolve().parent / "portal.py", routes=build_routes(runtime), lifespan=lifespan)
