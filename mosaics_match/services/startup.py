"""Getting a server ready: a refusal in one line, the first start's demo data seeded at start with progress in the
log, and a readiness answer for load balancers and for visitors who arrive meanwhile.

The server (``portal.py``) checks the settings and opens the database when it is imported, before it listens:
a configuration that cannot serve ends the process with one line on stderr naming what to set
(:func:`refuse`). Then :func:`ensure_started` prepares the database in a background thread (demo mode: the demo
accounts' passwords, and the demo data on an empty database), logging its progress, while the server already
answers: pages show visitors the same progress (``pages.common.ensure_demo_data``) and ``GET /api/v1/health``
says ``503 starting`` with the progress until everything is in place, then ``200 ready``.
"""

from __future__ import annotations

import logging
import sys
import threading
from dataclasses import dataclass
from typing import Any, NoReturn

from mosaics_match.runtime import Runtime

__all__ = ["Readiness", "StartupJob", "ensure_started", "current_job", "refuse", "configure_logging",
           "health_route", "served_mismatch"]

LOG = logging.getLogger("mosaics_match.services.startup")


def configure_logging() -> None:
    """Send the portal's own INFO messages (``mosaics_match.*``) to stderr, beside Streamlit's and uvicorn's."""
    logger = logging.getLogger("mosaics_match")
    if any(getattr(h, "_mosaics", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S"))
    handler._mosaics = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def refuse(message: str) -> NoReturn:
    """End the process before it serves: ``message`` on one line on stderr, exit status 2, no traceback."""
    print(" ".join(message.split()), file=sys.stderr, flush=True)
    raise SystemExit(2)


def open_or_refuse(what: str) -> Runtime:
    """What every server process does before it listens: read the settings, check them, connect and migrate.

    Any problem ends the process with one line naming ``what`` (``"Seneca Mosaics"``, ``"Seneca Mosaics routes"``)
    and the reason, never a traceback or a database password (:func:`refuse`).
    """
    from mosaics_match.runtime import open_runtime_or_explain
    from mosaics_match.settings import SettingsError, load_settings, startup_problem

    try:
        settings = load_settings()
    except SettingsError as exc:
        refuse(f"{what} will not start: {exc}")
    problem = startup_problem(settings)
    if problem:
        refuse(problem)
    try:
        # Connect and migrate now, so a misconfigured database ends the start with one line.
        return open_runtime_or_explain(settings)
    except SettingsError as exc:
        refuse(f"{what} will not start: {exc}.")


@dataclass(frozen=True)
class Readiness:
    """Where getting ready stands.

    Attributes
    ----------
    state : str
        ``"starting"``, ``"ready"`` or ``"failed"``.
    progress : float
        0 to 1.
    message : str
        What is happening, for the log, the health answer and the waiting page.
    """

    state: str
    progress: float
    message: str

    @property
    def ready(self) -> bool:
        return self.state == "ready"


class StartupJob:
    """Prepares one database for serving in a background thread, logging progress.

    Parameters
    ----------
    rt : Runtime
        The runtime of the database to prepare.
    """

    def __init__(self, rt: Runtime) -> None:
        self.rt: Runtime | None = rt
        self._cond = threading.Condition()
        self._now = Readiness("starting", 0.0, "Starting")
        self._thread: threading.Thread | None = None
        self._logged_decile = -1

    def start(self) -> None:
        """Start the work (once)."""
        with self._cond:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="mosaics-startup", daemon=True)
            self._thread.start()

    def snapshot(self) -> Readiness:
        """The current state."""
        with self._cond:
            return self._now

    def wait_for_change(self, seen: Readiness, timeout: float) -> Readiness:
        """Block until the state differs from ``seen`` (or ``timeout`` seconds pass); return the state."""
        with self._cond:
            self._cond.wait_for(lambda: self._now != seen, timeout=timeout)
            return self._now

    def _set(self, state: str, progress: float, message: str) -> None:
        with self._cond:
            self._now = Readiness(state, max(0.0, min(1.0, progress)), message)
            self._cond.notify_all()

    def _progress(self, done: float, message: str) -> None:
        self._set("starting", done, message)
        decile = int(done * 10)
        if decile > self._logged_decile or not message.startswith("Signed"):
            self._logged_decile = max(decile, self._logged_decile)
            LOG.info("Demo data: %3d%% %s", int(done * 100), message)

    def _run(self) -> None:
        from mosaics_match.services import demo

        rt = self.rt
        assert rt is not None
        try:
            if rt.settings.demo_mode:
                with rt.Session.begin() as session:
                    reset = demo.sync_demo_passwords(session, settings=rt.settings)
                if reset:
                    LOG.info("Demo accounts: %d password(s) reset to the ones derived from the session secret", reset)
                if demo.needs_seeding(rt):
                    LOG.info("First start: creating the demo data (%s earners); the portal answers meanwhile",
                             f"{rt.settings.demo_earners:,}")
                    self._set("starting", 0.0, "Creating the demo data")
                    report = demo.seed(rt, progress=self._progress)
                    LOG.info("Demo data ready: %s", report.summary())
            self._set("ready", 1.0, "Ready")
            LOG.info("Ready to serve")
        except Exception as exc:
            LOG.error("Getting ready failed: %s", " ".join(str(exc).split()) or type(exc).__name__)
            LOG.debug("details", exc_info=True)
            self._set("failed", self.snapshot().progress, "Getting ready failed; see the server log")
        finally:
            # The registry outlives the work: holding the runtime would keep its connection pool open for good.
            self.rt = None


_JOBS: dict[str, StartupJob] = {}
_JOBS_LOCK = threading.Lock()


def ensure_started(rt: Runtime) -> StartupJob:
    """The process's job for ``rt``'s database, started on first call (one per database per process)."""
    with _JOBS_LOCK:
        job = _JOBS.get(rt.settings.database_url)
        if job is None or job.snapshot().state == "failed":
            job = _JOBS[rt.settings.database_url] = StartupJob(rt)
        job.start()
        return job


def current_job(rt: Runtime) -> StartupJob | None:
    """The job for ``rt``'s database if one was started in this process."""
    with _JOBS_LOCK:
        return _JOBS.get(rt.settings.database_url)


def health_route(runtime: Any) -> Any:
    """``GET /api/v1/health``: ``200 {"status": "ready"}`` once the database is prepared, else ``503`` with the
    state, progress and message. ``runtime`` returns the process runtime."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def health(_request: Any) -> JSONResponse:
        rt = await run_in_threadpool(runtime)
        job = current_job(rt)
        now = job.snapshot() if job is not None else Readiness("starting", 0.0, "Starting")
        body = {"status": now.state, "progress": round(now.progress, 3), "message": now.message,
                "demo": rt.settings.demo_mode}
        return JSONResponse(body, status_code=200 if now.ready else 503, headers={"Cache-Control": "no-store"})

    return Route("/api/v1/health", health, methods=["GET", "HEAD"], name="health")


def served_mismatch(base_url: str, served_origin: str | None) -> str | None:
    """A warning when ``MOSAICS_BASE_URL`` names another place than where the portal is being reached.

    Parameters
    ----------
    base_url : str
        The configured ``MOSAICS_BASE_URL``.
    served_origin : str or None
        ``scheme://host[:port]`` the portal is served at or was reached through; ``None`` when unknown.
    """
    from urllib.parse import urlsplit

    if not served_origin:
        return None
    want, got = urlsplit(base_url), urlsplit(served_origin)
    default = {"http": 80, "https": 443}

    def where(parts: Any) -> tuple[str, str, int | None]:
        return parts.scheme, (parts.hostname or "").lower(), parts.port or default.get(parts.scheme)

    if where(want) == where(got):
        return None
    return (f"MOSAICS_BASE_URL is {base_url}, but the portal is served at {served_origin}: verification links, "
            f"QR codes, reports and new credentials name {base_url}, which may not reach this portal.")


_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "::"}


def served_origin() -> str | None:
    """``http://<address>:<port>`` this process serves, when Streamlit started it (``streamlit run``); else ``None``
    (under ``uvicorn portal:app`` only uvicorn knows its port)."""
    try:
        from streamlit import config

        if getattr(config, "_server_mode", None) not in ("starlette-app", "starlette-app-direct"):
            return None
        port = int(config.get_option("server.port"))
        address = (config.get_option("server.address") or "").strip()
    except Exception:
        return None
    host = "localhost" if address in ("", "0.0.0.0", "::") else (f"[{address}]" if ":" in address else address)
    scheme = "https" if _streamlit_tls() else "http"
    return f"{scheme}://{host}:{port}"


def _streamlit_tls() -> bool:
    try:
        from streamlit import config

        return bool(config.get_option("server.sslCertFile"))
    except Exception:
        return False


def local_base_url_mismatch(base_url: str, served: str | None) -> str | None:
    """At start: a warning when ``MOSAICS_BASE_URL`` names this machine but another port than the one served.

    A public base URL (a proxy's host) is not compared: it differs from the local port by design, and the staff
    keys page compares it with the address browsers actually use.

    Parameters
    ----------
    base_url : str
        The configured ``MOSAICS_BASE_URL``.
    served : str or None
        From :func:`served_origin`.
    """
    from urllib.parse import urlsplit

    if not served:
        return None
    want, got = urlsplit(base_url), urlsplit(served)
    if (want.hostname or "").lower() not in _LOCAL_HOSTS:
        return None
    default = {"http": 80, "https": 443}
    if (want.port or default.get(want.scheme)) == got.port and want.scheme == got.scheme:
        return None
    return served_mismatch(base_url, served)
