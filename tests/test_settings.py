"""Settings come from the environment and .streamlit/secrets.toml; demo mode is only the embedded default's; a
deployment without its secrets is refused in one line; and every setting is in the README's configuration table."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from mosaics_match import settings as settings_module
from mosaics_match.settings import (
    SETTINGS_DOC,
    SettingsError,
    load_settings,
    normalise_database_url,
    startup_problem,
)

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DEPLOYMENT = REPO / "docs" / "deployment.md"
PG = "postgresql://portal@db.example.ca:5432/mosaics"


def _load(tmp_path: Path, **env: str):
    return load_settings(environ=env, secrets_path=tmp_path / "none.toml")


def test_defaults_are_the_embedded_demo(tmp_path):
    s = _load(tmp_path)
    assert s.database_url.startswith("sqlite:///") and s.database_url.endswith("data/local/mosaics.db")
    assert s.demo_mode is True and not s.demo_explicit
    assert s.key_secret and s.session_secret  # demo mode generates local secrets
    assert s.base_url == "http://localhost:8501" and not s.base_url_configured
    assert s.trusted_proxies == ()
    assert startup_problem(s) is None


def test_a_database_url_turns_demo_mode_off_by_default(tmp_path):
    for url in (PG, f"sqlite:///{tmp_path / 'own.db'}"):
        s = _load(tmp_path, DATABASE_URL=url)
        assert s.demo_mode is False
        # Nothing is generated beside the database: replicas would silently disagree.
        assert s.key_secret is None and s.session_secret is None


def test_without_demo_mode_both_secrets_are_required_in_one_line(tmp_path):
    problem = startup_problem(_load(tmp_path, DATABASE_URL=PG))
    assert problem is not None and "\n" not in problem
    assert "set MOSAICS_SESSION_SECRET and MOSAICS_KEY_SECRET" in problem
    only_key = startup_problem(_load(tmp_path, DATABASE_URL=PG, MOSAICS_SESSION_SECRET="s" * 32))
    assert "set MOSAICS_KEY_SECRET (" in only_key and "MOSAICS_SESSION_SECRET" not in only_key
    ready = _load(tmp_path, DATABASE_URL=PG, MOSAICS_SESSION_SECRET="s" * 32, MOSAICS_KEY_SECRET="k" * 32)
    assert startup_problem(ready) is None
    # MOSAICS_DEMO=0 on the embedded database is a deployment too.
    assert "MOSAICS_SESSION_SECRET" in startup_problem(_load(tmp_path, MOSAICS_DEMO="0"))


def test_demo_mode_on_a_shared_database_must_be_asked_for(tmp_path):
    asked = _load(tmp_path, DATABASE_URL=PG, MOSAICS_DEMO="1")
    assert asked.demo_mode and asked.demo_explicit and startup_problem(asked) is None
    implicit = replace(asked, demo_explicit=False)
    assert "MOSAICS_DEMO=0" in startup_problem(implicit) and "MOSAICS_DEMO=1" in startup_problem(implicit)
    on_sqlite = replace(implicit, database_url="sqlite:///x.db")
    assert startup_problem(on_sqlite) is None


def test_environment_overrides_secrets_file(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('DATABASE_URL = "sqlite:////tmp/from-secrets.db"\nMOSAICS_KEY_SECRET = "from-secrets"\n')
    s = load_settings(environ={"MOSAICS_KEY_SECRET": "from-env"}, secrets_path=secrets)
    assert s.database_url == "sqlite:////tmp/from-secrets.db"
    assert s.key_secret == "from-env"
    assert s.demo_mode is False  # DATABASE_URL came from the secrets file: still a deployment


def test_postgres_urls_use_psycopg3():
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_without_demo_mode_there_is_no_generated_key_secret(tmp_path):
    s = _load(tmp_path, MOSAICS_DEMO="0")
    assert s.demo_mode is False and s.key_secret is None and s.session_secret is None


@pytest.mark.parametrize(("name", "value", "needle"), [
    ("MOSAICS_DEMO_EARNERS", "lots", "MOSAICS_DEMO_EARNERS must be a whole number"),
    ("MOSAICS_DEMO", "maybe", "MOSAICS_DEMO must be 1 or 0"),
    ("MOSAICS_BASE_URL", "portal.example.ca", "MOSAICS_BASE_URL must be the portal's public http(s) origin"),
    ("MOSAICS_BASE_URL", "ftp://portal.example.ca", "MOSAICS_BASE_URL must be"),
    ("MOSAICS_TRUSTED_PROXIES", "10.0.0.5, the-balancer", "'the-balancer' is not an IP address or network"),
])
def test_a_bad_value_is_one_clear_line(tmp_path, name, value, needle):
    with pytest.raises(SettingsError, match=re.escape(needle)) as info:
        _load(tmp_path, **{name: value})
    assert "\n" not in str(info.value)


def test_base_url_and_trusted_proxies_are_read(tmp_path):
    s = _load(tmp_path, MOSAICS_BASE_URL="https://portal.example.ca/",
              MOSAICS_TRUSTED_PROXIES="10.0.0.5, 172.16.0.0/12,::1")
    assert s.base_url == "https://portal.example.ca" and s.base_url_configured
    assert s.trusted_proxies == ("10.0.0.5/32", "172.16.0.0/12", "::1/128")


def test_no_undocumented_setting_can_be_read(tmp_path, monkeypatch):
    monkeypatch.delitem(settings_module.SETTINGS_DOC, "MOSAICS_TRUSTED_PROXIES")
    with pytest.raises(KeyError, match="MOSAICS_TRUSTED_PROXIES is not a documented setting"):
        _load(tmp_path)


def test_every_name_settings_reads_is_in_settings_doc():
    source = (REPO / "mosaics_match" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r'\bget\("([A-Z_]+)"\)', source))
    assert read and read <= set(SETTINGS_DOC), sorted(read - set(SETTINGS_DOC))


def _configuration_table() -> set[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z_]+)` \|", section, flags=re.MULTILINE))


def test_the_readme_configuration_table_lists_exactly_the_settings():
    assert _configuration_table() == set(SETTINGS_DOC), (
        f"undocumented: {sorted(set(SETTINGS_DOC) - _configuration_table())}; "
        f"not settings: {sorted(_configuration_table() - set(SETTINGS_DOC))}")


def test_the_readme_configuration_is_an_operators_checklist():
    section = README.read_text(encoding="utf-8").split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    first_example = section.split("```", 2)[1]
    assert "MOSAICS_ISSUER_DID=did:web:" in first_example and "MOSAICS_BASE_URL=https://" in first_example
    for needle in ("MOSAICS_SESSION_SECRET", "MOSAICS_KEY_SECRET", "MOSAICS_DEMO", "MOSAICS_TRUSTED_PROXIES"):
        assert needle in first_example


def test_deployment_doc_covers_trusted_proxies_and_health():
    text = DEPLOYMENT.read_text(encoding="utf-8")
    assert "MOSAICS_TRUSTED_PROXIES" in text and "X-Forwarded-For" in text
    assert "/api/v1/health" in text
