"""One typed settings object, read from the environment and ``.streamlit/secrets.toml``.

Nothing in the code base reads ``os.environ`` for configuration except this module, so every setting is
listed here and documented in the README (a test checks that).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "data"
DEFAULT_SQLITE_PATH = DATA_DIR / "local" / "mosaics.db"


def _truthy(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


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
        Secret used to sign browser session tokens (must be equal on every replica).
    demo_mode:
        Seed demo data on an empty database and show demo passwords on the sign-in page.
    base_url:
        Public origin of this deployment, used in credential ids, status-list URLs and verification links.
    issuer_did:
        ``did:web`` identifier for a deployment. Empty means a ``did:key`` issuer (offline / demo).
    demo_earners:
        Number of synthetic earners the demo seeding creates.
    """

    database_url: str
    key_secret: str | None
    session_secret: str
    demo_mode: bool
    base_url: str
    issuer_did: str
    demo_earners: int
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


# Every setting: environment variable -> (secrets.toml key, default, description). Documented in the README.
SETTINGS_DOC: dict[str, str] = {
    "DATABASE_URL": "SQLAlchemy database URL (default: SQLite file data/local/mosaics.db)",
    "MOSAICS_KEY_SECRET": "secret that encrypts signing keys at rest (demo mode generates one in data/local/)",
    "MOSAICS_SESSION_SECRET": "secret that signs session tokens (same on every replica)",
    "MOSAICS_DEMO": "1/0: seed demo data and show demo passwords (default 1)",
    "MOSAICS_BASE_URL": "public origin of the portal (default http://localhost:8501)",
    "MOSAICS_ISSUER_DID": "did:web identifier of the issuer for a deployment (default: did:key)",
    "MOSAICS_DEMO_EARNERS": "number of synthetic earners seeded in demo mode (default 5000)",
}


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


def load_settings(environ: dict[str, str] | None = None, secrets_path: Path | None = None) -> Settings:
    """Build the settings from the environment, falling back to ``.streamlit/secrets.toml``.

    Parameters
    ----------
    environ:
        Mapping to read instead of ``os.environ`` (tests).
    secrets_path:
        Path of the secrets file; default ``.streamlit/secrets.toml`` in the repository.
    """
    env = dict(os.environ if environ is None else environ)
    secrets = _read_secrets(secrets_path or REPO_ROOT / ".streamlit" / "secrets.toml")

    def get(name: str) -> str | None:
        value = env.get(name)
        if value not in (None, ""):
            return value
        return secrets.get(name)

    demo = _truthy(get("MOSAICS_DEMO"), True)
    url = get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"
    key_secret = get("MOSAICS_KEY_SECRET")
    if not key_secret and demo:
        key_secret = _local_secret("key-secret")
    session_secret = get("MOSAICS_SESSION_SECRET") or _local_secret("session-secret")
    try:
        demo_earners = int(get("MOSAICS_DEMO_EARNERS") or 5000)
    except ValueError as exc:
        raise ValueError("MOSAICS_DEMO_EARNERS must be a whole number") from exc
    return Settings(
        database_url=normalise_database_url(url),
        key_secret=key_secret or None,
        session_secret=session_secret,
        demo_mode=demo,
        base_url=(get("MOSAICS_BASE_URL") or "http://localhost:8501").rstrip("/"),
        issuer_did=get("MOSAICS_ISSUER_DID") or "",
        demo_earners=demo_earners,
    )
