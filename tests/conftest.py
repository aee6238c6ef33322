"""Shared fixtures: fresh databases (SQLite, or PostgreSQL when DATABASE_URL says so), a seeded demo database,
AppTest helpers and a live portal on a free port for browser tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from tests.storage_dialects import (  # noqa: F401 - pytest hooks: the PostgreSQL pass fails a storage test off it
    pytest_runtest_makereport,
    pytest_runtest_protocol,
    pytest_sessionfinish,
    pytest_terminal_summary,
)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TEST_KEY_SECRET = "test-key-secret-" + "x" * 16
TEST_SESSION_SECRET = "test-session-secret-" + "y" * 16
BASE_URL = "http://localhost:8501"


def shared_dir(*parts: str) -> Path:
    """Path under ../shared; fails in CI (CI set) and skips elsewhere when it is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: conformance material must be present in CI")
        pytest.skip(f"{path} not present")
    return path


@pytest.fixture(autouse=True)
def _apptest_runs_portal_navigation(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest runs ``portal.py`` every time, as the server does (see :mod:`pages.streamlit_compat`)."""
    from pages import streamlit_compat

    streamlit_compat.apptest_runs_portal_navigation(monkeypatch)


def _pg_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgresql", "postgres")) else None


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new schema in the PostgreSQL named by DATABASE_URL."""
    with fresh_database_url(tmp_path / "test.db") as url:
        yield url


@contextmanager
def fresh_database_url(sqlite_path: Path) -> Iterator[str]:
    """A fresh, empty database for the length of the ``with`` block.

    Parameters
    ----------
    sqlite_path : Path
        Where the SQLite file goes when DATABASE_URL does not name PostgreSQL.

    Yields
    ------
    str
        ``sqlite:///sqlite_path``, or the URL of a new schema in DATABASE_URL's PostgreSQL (dropped on exit).
    """
    pg = _pg_url()
    if pg is None:
        yield f"sqlite:///{sqlite_path}"
        return
    from sqlalchemy import create_engine, text

    from mosaics_match.settings import normalise_database_url

    base = normalise_database_url(pg)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def make_settings(db_url: str, **overrides):
    from mosaics_match.settings import Settings, normalise_database_url

    settings = Settings(
        database_url=normalise_database_url(db_url), key_secret=TEST_KEY_SECRET, session_secret=TEST_SESSION_SECRET,
        demo_mode=True, base_url=BASE_URL, issuer_did="", demo_earners=40,
    )
    return replace(settings, **overrides)


@pytest.fixture
def rt(db_url: str):
    """A runtime on a fresh, migrated, empty database."""
    from mosaics_match.runtime import open_runtime

    runtime = open_runtime(make_settings(db_url))
    yield runtime
    runtime.engine.dispose()


SEEDED_EARNERS = 60


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the demo data with a small number of earners, seeded once per test run."""
    from mosaics_match.runtime import open_runtime
    from mosaics_match.services import demo

    path = tmp_path_factory.mktemp("seeded") / "demo.db"
    runtime = open_runtime(make_settings(f"sqlite:///{path}"))
    demo.seed(runtime, earners=SEEDED_EARNERS, workers=1)
    # Outside any transaction: the engine opens every transaction with BEGIN IMMEDIATE, and a checkpoint inside
    # one fails with "database table is locked".
    raw = runtime.engine.raw_connection()
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
    runtime.engine.dispose()
    return path


def _pg_admin():
    """An autocommit engine on DATABASE_URL's PostgreSQL (CREATE/DROP DATABASE refuse to run in a transaction)."""
    from sqlalchemy import create_engine

    from mosaics_match.settings import normalise_database_url

    return create_engine(normalise_database_url(_pg_url() or ""), isolation_level="AUTOCOMMIT")


def _pg_database_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    from mosaics_match.settings import normalise_database_url

    return make_url(normalise_database_url(_pg_url() or "")).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def seeded_postgres() -> Iterator[str]:
    """Name of a PostgreSQL database (beside DATABASE_URL's) holding the demo data, seeded once per test run.

    Tests never open it: ``seeded_url`` clones it with ``CREATE DATABASE ... TEMPLATE``, which needs the
    template to have no connections.
    """
    from sqlalchemy import text

    from mosaics_match.runtime import open_runtime
    from mosaics_match.services import demo

    name = f"mosaics_seeded_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        runtime = open_runtime(make_settings(_pg_database_url(name)))
        demo.seed(runtime, earners=SEEDED_EARNERS, workers=1)
        runtime.engine.dispose()
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def seeded_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a private copy of the seeded demo database (tests may write to it).

    A copy of the seeded SQLite file, or, when DATABASE_URL names PostgreSQL, a new database cloned from the
    seeded PostgreSQL one and dropped afterwards.
    """
    if _pg_url() is None:
        target = tmp_path / "demo.db"
        shutil.copy(request.getfixturevalue("seeded_sqlite"), target)
        yield f"sqlite:///{target}"
        return
    from sqlalchemy import text

    template = request.getfixturevalue("seeded_postgres")
    name = f"mosaics_copy_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield _pg_database_url(name)
    finally:
        # FORCE: engines a test left open (a page's cached runtime) would otherwise block the drop.
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def seeded_rt(seeded_url: str):
    from mosaics_match.runtime import open_runtime

    runtime = open_runtime(make_settings(seeded_url))
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def portal_env(seeded_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Environment for AppTest runs of the portal against a private seeded database."""
    import streamlit as st

    monkeypatch.setenv("DATABASE_URL", seeded_url)
    monkeypatch.setenv("MOSAICS_KEY_SECRET", TEST_KEY_SECRET)
    monkeypatch.setenv("MOSAICS_SESSION_SECRET", TEST_SESSION_SECRET)
    monkeypatch.setenv("MOSAICS_BASE_URL", BASE_URL)
    monkeypatch.setenv("MOSAICS_DEMO", "1")
    monkeypatch.setenv("MOSAICS_DEMO_EARNERS", str(SEEDED_EARNERS))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield seeded_url
    st.cache_resource.clear()
    st.cache_data.clear()


def session_token_for(db_url: str, email: str) -> str:
    """A valid signed session token for the account ``email`` (for AppTest: session_state['session_token'])."""
    from mosaics_match.runtime import open_runtime
    from mosaics_match.services import auth
    from mosaics_match.store import repo

    runtime = open_runtime(make_settings(db_url), migrate=False)
    with runtime.Session() as session:
        account = repo.get_account(session, email=email)
        assert account is not None, email
        token = auth.issue_session_token(account, secret=TEST_SESSION_SECRET)
    runtime.engine.dispose()
    return token


def app_test(page: str | None = None, *, token: str | None = None, timeout: float = 60):
    """An AppTest of ``portal.py``, optionally signed in and switched to ``page`` (e.g. "pages/verify.py")."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "portal.py"), default_timeout=timeout)
    if token:
        at.session_state["session_token"] = token
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


# --- live portal for browser tests -----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is not installed; browser tests must run in CI")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return path


@contextmanager
def running_portal(work: Path, seeded_sqlite: Path | None, *, port: int | None = None,
                   extra_args: tuple[str, ...] = (), env: dict[str, str | None] | None = None) -> Iterator[dict]:
    """``streamlit run portal.py`` (the README's command) on a free port against a copy of the seeded database.

    ``url`` is known before the server starts (``portal_url(port)``), so callers can write files that name it.
    ``seeded_sqlite=None`` starts on an empty database. ``env`` overrides the environment (``None`` removes a
    variable). Streamlit's options come from the shipped ``.streamlit/config.toml``, as in production.
    """
    work.mkdir(parents=True, exist_ok=True)
    db = work / "live.db"
    if seeded_sqlite is not None:
        shutil.copy(seeded_sqlite, db)
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MOSAICS_")}
    environ.update({
        "DATABASE_URL": f"sqlite:///{db}", "MOSAICS_KEY_SECRET": TEST_KEY_SECRET,
        "MOSAICS_SESSION_SECRET": TEST_SESSION_SECRET, "MOSAICS_BASE_URL": url,
        "MOSAICS_DEMO": "1", "MOSAICS_DEMO_EARNERS": str(SEEDED_EARNERS),
    })
    for name, value in (env or {}).items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    log_path = work / "streamlit.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(REPO / "portal.py"), "--server.port", str(port),
             "--server.address", "127.0.0.1", *extra_args],
            cwd=work, env=environ, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    pytest.fail(f"streamlit exited ({proc.returncode}); log: {log_path.read_text()[-2000:]}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    try:  # not listening yet: wait for the process to exit (reported above), at most 0.3 s
                        proc.wait(timeout=0.3)
                    except subprocess.TimeoutExpired:
                        pass
            else:
                pytest.fail(f"streamlit did not start; log: {log_path.read_text()[-2000:]}")
            yield {"url": url, "db_url": f"sqlite:///{db}", "log": log_path, "port": port}
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def live_portal(tmp_path_factory: pytest.TempPathFactory, seeded_sqlite: Path) -> Iterator[dict]:
    """The real portal on a free port against a copy of the seeded database (session-scoped)."""
    with running_portal(tmp_path_factory.mktemp("live"), seeded_sqlite) as portal:
        yield portal


@contextmanager
def serving(command: list[str], *, port: int, ready_path: str, log: Path, what: str, db_url: str,
            base_url: str | None = None, issuer_did: str = "", stop_wait: float = 10) -> Iterator[str]:
    """Run a server ``command`` (started from the repository) against ``db_url`` until it answers ``ready_path``;
    yields its URL and stops it afterwards. The environment is the portal's production one, without demo mode.
    """
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": db_url, "MOSAICS_KEY_SECRET": TEST_KEY_SECRET, "MOSAICS_SESSION_SECRET": TEST_SESSION_SECRET,
        "MOSAICS_BASE_URL": base_url or f"http://127.0.0.1:{port}", "MOSAICS_DEMO": "0",
        "MOSAICS_ISSUER_DID": issuer_did,
    })
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}{ready_path}", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{what} did not start: {log.read_text()[-3000:]}")
            try:  # not answering yet: wait for the process to exit (reported above), at most 0.2 s
                proc.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=stop_wait)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def browser():
    """Debian chromium driven by Playwright (never ``playwright install``)."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=path, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield b
        b.close()


ARTIFACTS = REPO / "test-artifacts"


def screenshot(page, name: str) -> Path:
    """Save a screenshot under test-artifacts/ (kept by CI as a test artifact)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
