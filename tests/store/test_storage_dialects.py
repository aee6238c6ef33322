"""The PostgreSQL pass's own check (tests/storage_dialects.py): a ``storage`` test that did not run on PostgreSQL
fails the whole run, named with what it opened; tests without the marker are not its business."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

_TESTS = '''
import pytest
from sqlalchemy import create_engine, text


@pytest.mark.storage
def test_on_sqlite():
    with create_engine("sqlite://").connect() as conn:
        assert conn.execute(text("select 1")).scalar() == 1


@pytest.mark.storage
def test_without_a_database():
    assert True


def test_unmarked_on_sqlite():
    with create_engine("sqlite://").connect() as conn:
        assert conn.execute(text("select 2")).scalar() == 2
'''


def _run(tmp_path: Path, database_url: str) -> subprocess.CompletedProcess:
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    storage: database tests\n", encoding="utf-8")
    (tmp_path / "test_inner.py").write_text(_TESTS, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(PYTHONPATH=str(REPO), DATABASE_URL=database_url)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.storage_dialects", "-p", "no:cacheprovider",
                           "-q", "test_inner.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
                          check=False)


def test_storage_tests_off_postgres_fail_the_postgres_pass(tmp_path: Path) -> None:
    # The inner tests never reach the server: the URL only says which pass this is.
    proc = _run(tmp_path, "postgresql://postgres@127.0.0.1:5432/test")
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "3 passed" in out  # every test passed; the check alone fails the run
    assert "storage tests on PostgreSQL: 0 of 2 opened a PostgreSQL connection and no SQLite one" in out
    assert "test_inner.py::test_on_sqlite (opened: sqlite; passed)" in out
    assert "test_inner.py::test_without_a_database (opened: no database; passed)" in out
    assert "test_unmarked_on_sqlite" not in out


def test_the_sqlite_pass_is_not_checked(tmp_path: Path) -> None:
    proc = _run(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "storage tests on PostgreSQL" not in proc.stdout
