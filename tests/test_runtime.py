"""Opening the runtime: a database that cannot be opened is one line for the operator, and never its password."""

from __future__ import annotations

import dataclasses

import pytest

from mosaics_match.runtime import open_runtime_or_explain
from mosaics_match.settings import SettingsError, load_settings


def test_an_unreachable_database_is_one_line_naming_the_setting(tmp_path):
    settings = load_settings({"MOSAICS_DEMO": "0", "MOSAICS_SESSION_SECRET": "s" * 32, "MOSAICS_KEY_SECRET": "k" * 32,
                              "DATABASE_URL": "postgresql://portal:hunter2-secret@127.0.0.1:1/mosaics"},
                             secrets_path=tmp_path / "none.toml")
    with pytest.raises(SettingsError) as caught:
        open_runtime_or_explain(settings)
    message = str(caught.value)
    assert message.startswith("the database at DATABASE_URL cannot be opened (")
    assert "hunter2-secret" not in message
    assert "\n" not in message and len(message) < 400


def test_a_driver_message_quoting_the_url_loses_the_password(tmp_path, monkeypatch):
    # psycopg and SQLAlchemy mask passwords in most of their messages, but not every driver or plugin does
    def fails(settings):
        raise RuntimeError("could not connect to\npostgresql://portal:hunter2-secret@db.internal:5432/mosaics")

    monkeypatch.setattr("mosaics_match.runtime.open_runtime", fails)
    settings = load_settings({"MOSAICS_DEMO": "0", "MOSAICS_SESSION_SECRET": "s" * 32, "MOSAICS_KEY_SECRET": "k" * 32,
                              "DATABASE_URL": "postgresql://portal:hunter2-secret@db.internal:5432/mosaics"},
                             secrets_path=tmp_path / "none.toml")
    with pytest.raises(SettingsError) as caught:
        open_runtime_or_explain(settings)
    assert str(caught.value) == ("the database at DATABASE_URL cannot be opened (could not connect to "
                                 "postgresql://portal:***@db.internal:5432/mosaics)")


def test_a_database_that_opens_gives_a_runtime(tmp_path):
    settings = load_settings({"DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}", "MOSAICS_DEMO": "0",
                              "MOSAICS_SESSION_SECRET": "s" * 32, "MOSAICS_KEY_SECRET": "k" * 32},
                             secrets_path=tmp_path / "none.toml")
    runtime = open_runtime_or_explain(settings)
    try:
        assert dataclasses.asdict(runtime.settings) == dataclasses.asdict(settings)
    finally:
        runtime.engine.dispose()
