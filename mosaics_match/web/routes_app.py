"""The HTTP routes alone, for worker processes: ``uvicorn mosaics_match.web.routes_app:app --workers N``.

The UI (``portal.py``) must stay one process per replica: a Streamlit session lives in the process holding its
websocket. The routes (:mod:`mosaics_match.web.api`: DID document, JWKS, status lists, public credentials,
``/api/v1/verify``, the VC-API verifier) keep nothing between requests, so this app serves them from as many
processes as there are cores; a reverse proxy sends their paths here and everything else to the UI process
(docs/deployment.md). Each worker checks the settings and opens the database when it imports this module, as
``portal.py`` does: a worker that cannot serve ends the start with one line.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mosaics_match.runtime import Runtime
from mosaics_match.services import startup
from mosaics_match.web.api import LazyRuntime, build_routes, problem_response
from mosaics_match.web.proxies import ForwardedClientMiddleware, TrustedProxies
from mosaics_match.web.serving import nodelay_listening_sockets

__all__ = ["app", "create_routes_app"]


def _health_route(runtime: LazyRuntime) -> Route:
    async def health(_request: Request) -> Response:
        def ping() -> None:
            from sqlalchemy import text

            with runtime().engine.connect() as conn:
                conn.execute(text("SELECT 1"))

        try:
            await run_in_threadpool(ping)
        except Exception:
            startup.LOG.warning("health: the database does not answer", exc_info=True)
            return JSONResponse({"status": "failed", "progress": 0.0, "message": "The database does not answer."},
                                status_code=503, headers={"Cache-Control": "no-store"})
        return JSONResponse({"status": "ready", "progress": 1.0, "message": "Ready"},
                            headers={"Cache-Control": "no-store"})

    return Route("/api/v1/health", health, methods=["GET", "HEAD"], name="health")


def create_routes_app(rt: Runtime) -> Starlette:
    """The route-only ASGI app on an opened runtime.

    Parameters
    ----------
    rt : Runtime
        The process runtime (settings, engine, sessions).
    """
    runtime = LazyRuntime(lambda: rt)

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        nodelay_listening_sockets()  # uvicorn --workers binds the socket itself: see web/serving.py
        yield
        runtime.close()

    async def not_found(request: Request, _exc: Exception) -> Response:
        return problem_response(404, "not-found", "Not found", "Nothing is published at this path.",
                                instance=request.url.path)

    return Starlette(
        routes=[_health_route(runtime), *build_routes(runtime)],
        middleware=[Middleware(ForwardedClientMiddleware, trusted=TrustedProxies.parse(rt.settings.trusted_proxies))],
        exception_handlers={404: not_found},
        lifespan=lifespan,
    )


def _open() -> Runtime:
    startup.configure_logging()
    return startup.open_or_refuse("Seneca Mosaics routes")


app = create_routes_app(_open())
