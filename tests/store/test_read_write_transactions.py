"""Read and write transactions (``mosaics_match.store.db``): on SQLite readers never wait for, or fail because of,
a writer; writers queue; a read session that tries to write is refused with a clear error on every dialect."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text

from mosaics_match.store import repo
from mosaics_match.store.db import ReadOnlyTransactionError, writer
from mosaics_match.store.models import AppState
from tests.conftest import make_settings


@pytest.fixture
def sqlite_rt(tmp_path):
    from mosaics_match.runtime import open_runtime

    runtime = open_runtime(make_settings(f"sqlite:///{tmp_path / 'rw.db'}"))
    with runtime.Session.begin() as session:
        repo.set_state(session, key="probe", value="before")
    yield runtime
    runtime.engine.dispose()


class _Writer(threading.Thread):
    """Holds SQLite's write lock (an uncommitted write) until told to commit."""

    def __init__(self, rt) -> None:
        super().__init__(daemon=True)
        self.rt = rt
        self.holding = threading.Event()
        self.release = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.rt.Session.begin() as session:
                repo.set_state(session, key="probe", value="after")
                session.flush()  # the UPDATE is sent: this connection now holds the write lock
                self.holding.set()
                assert self.release.wait(30)
        except BaseException as exc:
            self.error = exc
            self.holding.set()


def test_reader_succeeds_while_a_writer_holds_the_sqlite_lock(sqlite_rt) -> None:
    held = _Writer(sqlite_rt)
    held.start()
    assert held.holding.wait(30) and held.error is None
    try:
        started = time.monotonic()
        with sqlite_rt.Session() as session:
            seen = repo.get_state(session, key="probe")
            trusted = list(repo.trusted_issuers(session))
        waited = time.monotonic() - started
    finally:
        held.release.set()
        held.join(30)
    assert held.error is None
    assert seen == "before"  # the snapshot from before the uncommitted write
    assert trusted is not None
    # The busy timeout is 30 s: a reader that queued behind the writer would have waited until release.
    assert waited < 2.0
    with sqlite_rt.Session() as session:
        assert repo.get_state(session, key="probe") == "after"


def test_second_writer_waits_for_the_lock_instead_of_failing(sqlite_rt) -> None:
    held = _Writer(sqlite_rt)
    held.start()
    assert held.holding.wait(30) and held.error is None
    done = threading.Event()
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with sqlite_rt.Session.begin() as session:
                # Reads first, then writes: only safe because BEGIN IMMEDIATE took the lock before the read.
                value = repo.get_state(session, key="probe")
                repo.set_state(session, key="probe2", value=f"saw {value}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=second, daemon=True)
    thread.start()
    assert not done.wait(0.5), "the second writer must wait while the first holds the lock"
    held.release.set()
    assert done.wait(30)
    held.join(30)
    assert errors == [] and held.error is None
    with sqlite_rt.Session() as session:
        assert repo.get_state(session, key="probe2") == "saw after"


@pytest.mark.storage
def test_read_session_that_writes_is_refused_with_a_clear_error(rt) -> None:
    with rt.Session() as session:
        session.scalar(select(AppState.key).limit(1))
        session.add(AppState(key="sneaky", value="1"))
        with pytest.raises(ReadOnlyTransactionError, match="Session.begin"):
            session.flush()
    with rt.Session() as session:
        assert session.get(AppState, "sneaky") is None


@pytest.mark.storage
def test_write_transactions_and_core_writers_work(rt) -> None:
    with rt.Session.begin() as session:
        repo.set_state(session, key="k", value="1")
    with writer(rt.engine).begin() as conn:
        conn.execute(select(AppState.value).where(AppState.key == "k")).scalar_one()
        conn.execute(text("UPDATE app_state SET value = '2' WHERE key = 'k'"))
    with rt.Session() as session:
        assert repo.get_state(session, key="k") == "2"


def test_core_read_then_write_without_writer_is_refused_on_sqlite(sqlite_rt) -> None:
    with sqlite_rt.engine.connect() as conn:
        conn.execute(text("SELECT value FROM app_state WHERE key = 'probe'")).scalar_one()
        with pytest.raises(ReadOnlyTransactionError):
            conn.execute(text("UPDATE app_state SET value = 'x' WHERE key = 'probe'"))


_OTHER_PROCESS = """
import sys
from mosaics_match.runtime import open_runtime
from mosaics_match.store import repo
from tests.conftest import make_settings

rt = open_runtime(make_settings(sys.argv[1]), migrate=False)
if sys.argv[2] == "read":
    with rt.Session() as session:
        print(repo.get_state(session, key="probe"))
else:
    print("ready", flush=True)
    with rt.Session.begin() as session:
        repo.set_state(session, key="probe3", value="from the other process")
    print("written")
"""


def test_other_processes_read_at_once_and_write_after_the_turn(sqlite_rt) -> None:
    import subprocess
    import sys

    from tests.conftest import REPO

    url = sqlite_rt.settings.database_url
    held = _Writer(sqlite_rt)
    held.start()
    assert held.holding.wait(30) and held.error is None
    try:
        reader = subprocess.run([sys.executable, "-c", _OTHER_PROCESS, url, "read"], cwd=REPO, capture_output=True,
                                text=True, timeout=60)
        assert reader.returncode == 0 and reader.stdout.strip() == "before", reader.stderr
        other = subprocess.Popen([sys.executable, "-c", _OTHER_PROCESS, url, "write"], cwd=REPO,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert other.stdout is not None and other.stdout.readline().strip() == "ready"
        with pytest.raises(subprocess.TimeoutExpired):
            other.wait(timeout=1.5)  # started its write transaction: it waits for the writer's turn
    finally:
        held.release.set()
        held.join(30)
    out, err = other.communicate(timeout=60)
    assert other.returncode == 0 and out.strip() == "written", err
    with sqlite_rt.Session() as session:
        assert repo.get_state(session, key="probe3") == "from the other process"
