"""Engine and session factory; schema upgrades through Alembic.

Read and write transactions
---------------------------
Services own their transactions and say which kind they open: ``with Session.begin() as session:`` is a *write*
transaction, ``with Session() as session:`` a *read* one (nothing in the code base commits a plain session).

On SQLite (WAL) the difference decides who waits. A write transaction begins ``BEGIN IMMEDIATE``: it takes the
database's single write lock at its first statement, waiting up to the busy timeout for another writer, so two
writers queue instead of failing. A read transaction begins ``BEGIN`` (deferred): it takes no lock, reads a
snapshot, never waits for a writer and never makes one wait. (Until this split every transaction began
``IMMEDIATE``, so readers queued behind writers and behind each other.)

A deferred transaction that has read and then tries to write would have to *upgrade* its snapshot to the write
lock, and SQLite refuses that at once (``database is locked``, no busy wait) whenever another writer committed
in between: it would work in tests and fail under load. So a read session that is about to write raises
:class:`ReadOnlyTransactionError` naming the fix, on every dialect, before anything is sent; a Core connection
(no ORM session) whose first statement writes is begun ``IMMEDIATE``, and one that writes after reading on
SQLite gets the same error. PostgreSQL needs no lock mode (MVCC readers never block), but the same rule holds
there so that code written against one database behaves the same on the other.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, SessionTransactionOrigin, sessionmaker

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: writers then queue within the process only
    fcntl = None  # type: ignore[assignment]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

__all__ = ["MIGRATIONS_DIR", "ReadOnlyTransactionError", "make_engine", "make_session_factory", "upgrade",
           "downgrade", "current_revision", "table_names", "writer"]

#: ``Connection.info`` key of the current transaction's state on SQLite: ``None`` (no BEGIN sent yet),
#: ``"read"`` (deferred BEGIN sent) or ``"write"`` (BEGIN IMMEDIATE sent, or a write already made).
_TXN = "mosaics_txn"
#: ``Connection.info`` key: the transaction was opened for writing (``Session.begin()`` or :func:`writer`).
_WANTS_WRITE = "mosaics_wants_write"
#: ``Connection.info`` key: this connection holds its engine's in-process writer lock.
_HOLDS = "mosaics_holds_writer_lock"
_WRITE_SQL = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


class ReadOnlyTransactionError(RuntimeError):
    """A transaction opened for reading tried to write; open it with ``Session.begin()`` instead."""


class _WriterQueue:
    """The queue of SQLite write transactions on one database file, in this process and across processes.

    SQLite lets one writer in at a time, and a writer that finds the lock taken waits in its busy handler, which
    sleeps in growing steps (up to 100 ms) between tries: under concurrent verifications, each writing its audit
    event, that sleeping made the long latency tails. Here writers queue instead on a thread lock (this process)
    and an ``flock`` on ``<database>-writer`` (other processes on the machine, such as route workers), both of
    which wake the next writer the moment the previous one commits. Either lock that cannot be had (no file
    locking, a thread lock still held after the busy timeout) leaves the writer to SQLite's own lock as before.

    Parameters
    ----------
    path : str or None
        The database file; ``None`` (in-memory) queues within the process only.
    """

    def __init__(self, path: str | None) -> None:
        self._thread = threading.Lock()
        self._path = f"{path}-writer" if path else None
        self._fd: int | None = None
        self._pid = os.getpid()
        self._locked = False

    def acquire(self) -> bool:
        """Wait for this database's writer turn; ``False`` if the in-process turn did not come within 30 s."""
        if self._pid != os.getpid():
            # A forked child starts its own queue: the parent's thread lock may have been held at the fork, and
            # flock belongs to the open file, which a child would share with its parent.
            self._thread, self._fd, self._pid, self._locked = threading.Lock(), None, os.getpid(), False
        if not self._thread.acquire(timeout=30):
            return False
        if self._path is not None and fcntl is not None:
            try:
                if self._fd is None:
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                # The holder is inside one write transaction, which SQLite's busy timeout bounds.
                fcntl.flock(self._fd, fcntl.LOCK_EX)
                self._locked = True
            except OSError:
                self._locked = False
        return True

    def release(self) -> None:
        if self._locked and self._fd is not None and fcntl is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            except OSError:
                pass
        self._locked = False
        self._thread.release()


def writer(engine: Engine) -> Engine:
    """``engine`` whose Core transactions are write transactions (``BEGIN IMMEDIATE`` on SQLite).

    For Core code that reads before it writes (``with writer(engine).begin() as conn: ...``); ORM code uses
    ``Session.begin()``.
    """
    return engine.execution_options(mosaics_write=True)


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout, enforced foreign keys and read/write transactions.

    Parameters
    ----------
    url:
        SQLAlchemy URL (already normalised by :func:`mosaics_match.settings.normalise_database_url`).
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        writers = _WriterQueue(path if path and path != ":memory:" else None)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
            # pysqlite would otherwise send its own deferred BEGIN before the first write only; the BEGIN is ours.
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn) -> None:
            # The BEGIN itself waits for the first statement, when it is known whether this transaction writes.
            conn.info[_TXN] = None
            conn.info[_WANTS_WRITE] = bool(conn.get_execution_options().get("mosaics_write"))

        @event.listens_for(engine, "before_cursor_execute")
        def _begin_for_statement(conn, cursor, statement, _params, _context, _many) -> None:
            if not conn.in_transaction():
                return
            state = conn.info.get(_TXN)
            writes = bool(_WRITE_SQL.match(statement))
            if state is None:
                if conn.info.get(_WANTS_WRITE) or writes:
                    if writers.acquire():
                        conn.info[_HOLDS] = True
                    cursor.execute("BEGIN IMMEDIATE")
                    conn.info[_TXN] = "write"
                else:
                    cursor.execute("BEGIN")
                    conn.info[_TXN] = "read"
            elif state == "read" and writes:
                raise ReadOnlyTransactionError(
                    "A read transaction tried to write after reading (SQLite would refuse the upgrade whenever "
                    "another writer got in first): open it for writing with Session.begin() or "
                    "mosaics_match.store.db.writer(engine).begin().")

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _end(conn) -> None:
            conn.info[_TXN] = None
            conn.info[_WANTS_WRITE] = False
            if conn.info.pop(_HOLDS, False):
                writers.release()

        @event.listens_for(engine, "checkin")
        @event.listens_for(engine, "invalidate")
        def _release_on_return(_dbapi_conn, record, *_exc) -> None:
            # A connection returned or discarded without a commit or rollback event must not keep the lock.
            if record is not None and record.info.pop(_HOLDS, False):
                writers.release()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _mark_writer(session: Session, transaction: Any, connection: Any) -> None:
    root = transaction
    while root.parent is not None:
        root = root.parent
    if root.origin is not SessionTransactionOrigin.AUTOBEGIN:
        connection.info[_WANTS_WRITE] = True


def _refuse_write_in_read_session(session: Session, _flush_context: Any, _instances: Any) -> None:
    transaction = session.get_transaction()
    if transaction is None or transaction.origin is not SessionTransactionOrigin.AUTOBEGIN:
        return
    if session.new or session.deleted or any(session.is_modified(obj) for obj in session.dirty):
        raise ReadOnlyTransactionError(
            "This session was opened for reading (Session()) and is about to write: open it with "
            "Session.begin() so the write transaction takes its lock before it reads.")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (pages render after the transaction).

    ``factory()`` opens a read session, ``factory.begin()`` a write transaction (see the module docstring).
    """
    factory = sessionmaker(engine, expire_on_commit=False)
    event.listen(factory, "after_begin", _mark_writer)
    event.listen(factory, "before_flush", _refuse_write_in_read_session)
    return factory


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


#: Key of the PostgreSQL advisory lock that serialises migrations of processes starting together.
_MIGRATION_LOCK = 0x5E4E_CA_01


def _migration_transaction(engine: Engine) -> Any:
    """A write transaction that no other process migrates in at the same time.

    Worker processes (``uvicorn --workers N``) and replicas start together and each brings the schema up to date:
    on SQLite ``BEGIN IMMEDIATE`` makes the second wait and then find the schema current; on PostgreSQL a
    transaction-scoped advisory lock does the same (its DDL is transactional).
    """
    from contextlib import contextmanager

    from sqlalchemy import text

    @contextmanager
    def scope():
        with writer(engine).begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
            yield conn

    return scope()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` (default: the newest); safe when several processes start at once."""
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with _migration_transaction(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with _migration_transaction(engine) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def table_names(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())
