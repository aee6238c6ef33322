"""Settings come from the environment and .streamlit/secrets.toml, and every one is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from mosaics_match.settings import SETTINGS_DOC, load_settings, normalise_database_url

README = Path(__file__).resolve().parents[1] / "README.md"


def test_defaults_use_sqlite_under_data_local(tmp_path):
    s = load_settings(environ={}, secrets_path=tmp_path / "none.toml")
    assert s.database_url.startswith("sqlite:///") and s.database_url.endswith("data/local/mosaics.db")
    assert s.demo_mode is True and s.key_secret  # demo mode generates a local key secret
    assert s.base_url == "http://localhost:8501"


def test_environment_overrides_secrets_file(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('DATABASE_URL = "sqlite:////tmp/from-secrets.db"\nMOSAICS_KEY_SECRET = "from-secrets"\n')
    s = load_settings(environ={"MOSAICS_KEY_SECRET": "from-env"}, secrets_path=secrets)
    assert s.database_url == "sqlite:////tmp/from-secrets.db"
    assert s.key_secret == "from-env"


def test_postgres_urls_use_psycopg3():
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_without_demo_mode_there_is_no_generated_key_secret(tmp_path):
    s = load_settings(environ={"MOSAICS_DEMO": "0"}, secrets_path=tmp_path / "none.toml")
    assert s.demo_mode is False and s.key_secret is None


def test_bad_number_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="MOSAICS_DEMO_EARNERS"):
        load_settings(environ={"MOSAICS_DEMO_EARNERS": "lots"}, secrets_path=tmp_path / "none.toml")


def test_every_setting_is_documented_in_the_readme():
    text = README.read_text(encoding="utf-8")
    missing = [name for name in SETTINGS_DOC if f"`{name}`" not in text]
    assert missing == [], f"settings not documented in README.md: {missing}"
