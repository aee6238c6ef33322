"""Process-wide runtime: settings, engine and session factory, built once and shared by the UI and the API."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from . import db
from .settings import Settings, load_settings


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine
    Session: sessionmaker[Session]


def open_runtime(settings: Settings | None = None, *, migrate: bool = True) -> Runtime:
    """Connect to the configured database and bring its schema up to date.

    Parameters
    ----------
    settings:
        Settings to use; default :func:`mosaics_match.settings.load_settings`.
    migrate:
        Run Alembic migrations to the newest revision (on an empty database this creates the schema).
    """
    settings = settings or load_settings()
    engine = db.make_engine(settings.database_url)
    if migrate:
        db.upgrade(engine)
    return Runtime(settings=settings, engine=engine, Session=db.make_session_factory(engine))
