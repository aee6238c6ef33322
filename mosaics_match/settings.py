"""One typed settings object, read from the environment and ``.streamlit/secrets.toml``.

Nothing in the code base reads ``os.environ`` for configuration except this module, so every setting is
listed here and documented in the README (a test checks that): :func:`load_settings` refuses to read a name
that is not in :data:`SETTINGS_DOC`.

Demo mode is on by default only for the embedded default database (no ``DATABASE_URL``). Everything else is a
deployment, and :func:`startup_problem` says what is missing before the server starts.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "data"
DEFAULT_SQLITE_PATH = DATA_DIR / "local" / "mosaics.db"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one line saying what to set."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _flag(name: str, value: str) -> bool:
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise SettingsError(f"{name} must be 1 or 0 (got {value!r}).")


@dataclass(frozen=True)
class Settings:
    """Runtime configuration of the portal.

    Attributes
    ----------
    database_url:
        SQLAlchemy URL. Default: a SQLite file under ``data/local/`` (ignored by git).
        ``postgresql://`` URLs are rewritten to use psycopg 3.
    key_secret:
        Secret used to encrypt signing keys at rest. Without it the portal refuses to sign.
    session_secret:
        Secret used to sign browser session tokens (must be equal on every replica). ``None`` only outside demo
        mode when it is not configured, and then the server refuses to start.
    demo_mode:
        Seed demo data on an empty database and show demo passwords on the sign-in page.
    base_url:
        Public origin of this deployment, used in credential ids, status-list URLs and verification links.
    issuer_did:
        ``did:web`` identifier for a deployment. Empty means a ``did:key`` issuer (offline / demo).
    demo_earners:
        Number of synthetic earners the demo seeding creates.
    base_url_configured:
        ``MOSAICS_BASE_URL`` was set. When it was not, ``base_url`` is only the fallback and pages and routes use
        the origin the visitor's request came to.
    demo_explicit:
        ``MOSAICS_DEMO`` was set (rather than demo mode following from the embedded default database).
    trusted_proxies:
        Addresses or networks (``10.0.0.5``, ``10.0.0.0/8``) of reverse proxies whose ``X-Forwarded-For`` and
        ``X-Forwarded-Proto`` the portal believes. Empty: no proxy is trusted.
    """

    database_url: str
    key_secret: str | None
    session_secret: str | None
    demo_mode: bool
    base_url: str
    issuer_did: str
    demo_earners: int
    extra: dict[str, str] = field(default_factory=dict)
    base_url_configured: bool = True
    demo_explicit: bool = True
    trusted_proxies: tuple[str, ...] = ()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


# Every setting (environment variable or secrets.toml key) and what it means. The README's configuration table
# lists exactly these (tests/test_settings.py), and load_settings reads no other name.
SETTINGS_DOC: dict[str, str] = {
    "DATABASE_URL": "SQLAlchemy database URL (default: SQLite file data/local/mosaics.db, in demo mode)",
    "MOSAICS_KEY_SECRET": "secret that encrypts signing keys at rest and seals the audit log; required without "
                          "demo mode (demo mode generates one in data/local/)",
    "MOSAICS_SESSION_SECRET": "secret that signs session tokens (same on every replica); required without demo mode",
    "MOSAICS_DEMO": "1/0: seed demo data and show demo passwords (default 1 only without DATABASE_URL)",
    "MOSAICS_BASE_URL": "public origin of the portal (default: the origin each request came to)",
    "MOSAICS_ISSUER_DID": "did:web identifier of the issuer for a deployment (default: did:key)",
    "MOSAICS_DEMO_EARNERS": "number of synthetic earners seeded in demo mode (default 5000)",
    "MOSAICS_TRUSTED_PROXIES": "comma-separated addresses or networks of reverse proxies whose X-Forwarded-For "
                               "is believed (default: none)",
}
DEFAULT_BASE_URL = "http://localhost:8501"


def _read_secrets(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    flat: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, (str, int, float, bool)):
            flat[key.upper()] = str(value)
    return flat


def _local_secret(name: str) -> str:
    """Return a per-installation random secret kept in ``data/local`` (demo mode only)."""
    import secrets as _secrets

    path = DATA_DIR / "local" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(_secrets.token_urlsafe(32))
    return path.read_text().strip()


def normalise_database_url(url: str) -> str:
    """Make ``postgresql://`` and ``postgres://`` URLs use the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _base_url(value: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError(f"MOSAICS_BASE_URL must be the portal's public http(s) origin, such as "
                            f"https://portal.example.ca (got {value!r}).")
    return value.strip().rstrip("/")


def _proxies(value: str) -> tuple[str, ...]:
    import ipaddress

    out = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            out.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise SettingsError(f"MOSAICS_TRUSTED_PROXIES: {item!r} is not an IP address or network "
                                "(use addresses such as 127.0.0.1 or networks such as 10.0.0.0/8).") from None
    return tuple(out)


def load_settings(environ: dict[str, str] | None = None, secrets_path: Path | None = None) -> Settings:
    """Build the settings from the environment, falling back to ``.streamlit/secrets.toml``.

    Parameters
    ----------
    environ:
        Mapping to read instead of ``os.environ`` (tests).
    secrets_path:
        Path of the secrets file; default ``.streamlit/secrets.toml`` in the repository.

    Raises
    ------
    SettingsError
        A value is malformed; the message names the setting and what it should look like.
    """
    env = dict(os.environ if environ is None else environ)
    secrets = _read_secrets(secrets_path or REPO_ROOT / ".streamlit" / "secrets.toml")

    def get(name: str) -> str | None:
        if name not in SETTINGS_DOC:
            raise KeyError(f"{name} is not a documented setting (add it to SETTINGS_DOC and the README)")
        value = env.get(name)
        if value not in (None, ""):
            return value
        return secrets.get(name) or None

    database_url = get("DATABASE_URL")
    demo_word = get("MOSAICS_DEMO")
    # Only the embedded default database is a demo unless asked: a deployment that forgets MOSAICS_DEMO=0 must
    # not publish demo passwords or generate its secrets beside the database.
    demo = _flag("MOSAICS_DEMO", demo_word) if demo_word is not None else database_url is None
    key_secret = get("MOSAICS_KEY_SECRET")
    session_secret = get("MOSAICS_SESSION_SECRET")
    if demo:
        key_secret = key_secret or _local_secret("key-secret")
        session_secret = session_secret or _local_secret("session-secret")
    try:
        demo_earners = int(get("MOSAICS_DEMO_EARNERS") or 5000)
    except ValueError:
        raise SettingsError("MOSAICS_DEMO_EARNERS must be a whole number") from None
    base_url = get("MOSAICS_BASE_URL")
    return Settings(
        database_url=normalise_database_url(database_url or f"sqlite:///{DEFAULT_SQLITE_PATH}"),
        key_secret=key_secret or None,
        session_secret=session_secret or None,
        demo_mode=demo,
        base_url=_base_url(base_url) if base_url else DEFAULT_BASE_URL,
        issuer_did=get("MOSAICS_ISSUER_DID") or "",
        demo_earners=demo_earners,
        base_url_configured=base_url is not None,
        demo_explicit=demo_word is not None,
        trusted_proxies=_proxies(get("MOSAICS_TRUSTED_PROXIES") or ""),
    )


def startup_problem(settings: Settings) -> str | None:
    """What stops this configuration from serving, as one line naming what to set; ``None`` when it can serve.

    Parameters
    ----------
    settings:
        The loaded settings.
    """
    if settings.demo_mode and not settings.is_sqlite and not settings.demo_explicit:
        return ("Seneca Mosaics will not start: demo mode on a shared database must be asked for. Set "
                "MOSAICS_DEMO=0 for a deployment, or MOSAICS_DEMO=1 for a throwaway demo on this database.")
    if not settings.demo_mode:
        missing = [name for name, value in (("MOSAICS_SESSION_SECRET", settings.session_secret),
                                            ("MOSAICS_KEY_SECRET", settings.key_secret)) if not value]
        if missing:
            return (f"Seneca Mosaics will not start: set {' and '.join(missing)} (long random values, the same on "
                    "every replica; demo mode is off because DATABASE_URL is set or MOSAICS_DEMO=0).")
    return None
