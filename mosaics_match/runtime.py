"""Process-wide runtime: settings, engine and session factory, built once and shared by the UI and the API."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mosaics_match.store import audit_chain
from mosaics_match.store import db
from mosaics_match.store import versioning
from mosaics_match.settings import Settings, load_settings


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine
    Session: sessionmaker[Session]

    def for_origin(self, origin: str | None) -> Runtime:
        """This runtime with ``settings.base_url`` set to ``origin`` when ``MOSAICS_BASE_URL`` was not configured.

        Links the portal builds (verification links, QR codes, reports, status-list URLs of credentials issued
        now) then name the origin the visitor actually reached, whatever port or host it is served on. A
        configured base URL always wins: a deployment's links must not depend on how someone reached it.

        Parameters
        ----------
        origin : str or None
            ``scheme://host[:port]`` of the current request; ``None`` keeps the settings as they are.
        """
        if self.settings.base_url_configured or not origin or origin == self.settings.base_url:
            return self
        return replace(self, settings=replace(self.settings, base_url=origin.rstrip("/")))


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
    factory = db.make_session_factory(engine)
    audit_chain.install(factory, key=audit_chain.chain_key(settings.key_secret) if settings.key_secret else None)
    versioning.install(factory)
    return Runtime(settings=settings, engine=engine, Session=factory)
