"""Proof that the PostgreSQL pass really runs the ``storage`` tests on PostgreSQL.

Every SQLAlchemy connection opened in this process (``Engine.connect``, which sessions and migrations use too) is
recorded against the test that is running, fixtures included. When ``DATABASE_URL`` names PostgreSQL, a
``storage`` test that opened no PostgreSQL connection, or opened a SQLite one, is a failure of the whole run: the
PostgreSQL pass would otherwise report tests as passing on PostgreSQL that never reached it.

Tests whose database work happens in a subprocess (the CLI, a live portal) still count only through what they
check in this process, so they open the same database here to look at its contents.

The hooks are imported by ``tests/conftest.py``.
"""

from __future__ import annotations

import os
from collections import defaultdict

import pytest
from sqlalchemy import Engine, event

_current: list[str | None] = [None]
_dialects: defaultdict[str, set[str]] = defaultdict(set)
_storage: dict[str, str] = {}
_SUMMARY = pytest.StashKey[list[str]]()


def postgres_requested() -> bool:
    """True when ``DATABASE_URL`` names a PostgreSQL database (the CI's second pass)."""
    return os.environ.get("DATABASE_URL", "").startswith(("postgresql", "postgres"))


@event.listens_for(Engine, "engine_connect")
def _record_connection(conn) -> None:
    nodeid = _current[0]
    if nodeid is not None:
        _dialects[nodeid].add(conn.dialect.name)


def dialects_seen(nodeid: str) -> set[str]:
    """Dialect names of the connections a test opened so far (setup, call and teardown).

    Parameters
    ----------
    nodeid : str
        The test's pytest node id.

    Returns
    -------
    set of str
        SQLAlchemy dialect names, such as ``{"postgresql"}``.
    """
    return set(_dialects.get(nodeid, ()))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    _current[0] = item.nodeid
    if item.get_closest_marker("storage") is not None:
        _storage[item.nodeid] = "not run"
    try:
        yield
    finally:
        _current[0] = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if item.nodeid in _storage and report.when == "call":
        _storage[item.nodeid] = report.outcome
    elif item.nodeid in _storage and report.skipped:
        _storage[item.nodeid] = "skipped"


def storage_report() -> tuple[list[str], list[str]]:
    """The storage tests of this run, split by the databases they opened.

    A test is on PostgreSQL when it opened at least one PostgreSQL connection and no SQLite one; a skipped
    storage test is not on PostgreSQL.

    Returns
    -------
    on_postgres : list of str
        Node ids of the storage tests that ran on PostgreSQL.
    not_on_postgres : list of str
        One line per other storage test: its node id, the dialects it opened and its outcome.
    """
    on_pg, off_pg = [], []
    for nodeid, outcome in _storage.items():
        seen = _dialects.get(nodeid, set())
        if outcome != "skipped" and "postgresql" in seen and "sqlite" not in seen:
            on_pg.append(nodeid)
        else:
            off_pg.append(f"{nodeid} (opened: {', '.join(sorted(seen)) or 'no database'}; {outcome})")
    return on_pg, off_pg


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not postgres_requested() or not _storage:
        return
    on_pg, off_pg = storage_report()
    lines = [(f"storage tests on PostgreSQL: {len(on_pg)} of {len(_storage)} opened a PostgreSQL connection "
              "and no SQLite one")]
    if off_pg:
        lines.append(f"{len(off_pg)} storage tests did not run on PostgreSQL:")
        lines.extend(f"  {line}" for line in off_pg)
        if session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    session.config.stash[_SUMMARY] = lines


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    lines = config.stash.get(_SUMMARY, None)
    if lines:
        terminalreporter.section("storage tests on PostgreSQL")
        for line in lines:
            terminalreporter.write_line(line)
