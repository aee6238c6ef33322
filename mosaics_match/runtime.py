"""Process-wide runtime: settings, engine and session factory, built once and shared by the UI and the API."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mosaics_match.settings import Settings, SettingsError, load_settings
from mosaics_match.store import audit_chain, db, versioning


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


_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


def open_runtime_or_explain(settings: Settings) -> Runtime:
    """:func:`open_runtime`, with a failure to open the database turned into one line for the operator.

    The server's start and the command line both use it, so the message, and what it hides, are the same.

    Raises
    ------
    SettingsError
        ``the database at DATABASE_URL cannot be opened (<driver's reason>)``, the reason on one line, cut at
        300 characters, with any password in a URL replaced by ``***``.
    """
    try:
        return open_runtime(settings)
    except Exception as exc:
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        reason = _URL_PASSWORD.sub(r"\1***@", reason)
        raise SettingsError(f"the database at DATABASE_URL cannot be opened ({reason})") from None
