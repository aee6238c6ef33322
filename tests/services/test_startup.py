"""Starting the real server: a deployment without its secrets is refused in one line; a first start seeds the demo
data at start with progress in the log while /api/v1/health says 503, then 200; a base URL that names another
port than the one served is reported in the log."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO, TEST_KEY_SECRET, TEST_SESSION_SECRET, free_port, running_portal

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _start_and_wait_for_exit(command: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout + proc.stderr


def _bare_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOSAICS_") and k != "DATABASE_URL"}
    env.update(extra)
    return env


@pytest.mark.parametrize("server", ["streamlit", "uvicorn"])
@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_a_deployment_without_secrets_refuses_to_start_in_one_line(tmp_path, server, database) -> None:
    db_file = tmp_path / "fresh.db"
    url = PG_URL if database == "postgresql" else f"sqlite:///{db_file}"
    port = str(free_port())
    command = ([sys.executable, "-m", "streamlit", "run", str(REPO / "portal.py"), "--server.port", port,
                "--server.address", "127.0.0.1"] if server == "streamlit" else
               [sys.executable, "-m", "uvicorn", "portal:app", "--host", "127.0.0.1", "--port", port])
    code, output = _start_and_wait_for_exit(command, _bare_env(DATABASE_URL=url), cwd=REPO if server == "uvicorn"
                                            else tmp_path)
    assert code == 2, output
    assert "Traceback" not in output
    expected = ("Seneca Mosaics will not start: set MOSAICS_SESSION_SECRET and MOSAICS_KEY_SECRET (long random "
                "values, the same on every replica; demo mode is off because DATABASE_URL is set or MOSAICS_DEMO=0).")
    assert [line for line in output.splitlines() if "Seneca Mosaics" in line] == [expected]
    assert not db_file.exists()  # refused before anything was created


def test_a_malformed_setting_and_an_unreachable_database_are_one_line_each(tmp_path) -> None:
    command = [sys.executable, "-m", "uvicorn", "portal:app", "--host", "127.0.0.1", "--port", str(free_port())]
    code, output = _start_and_wait_for_exit(command, _bare_env(MOSAICS_TRUSTED_PROXIES="the-balancer"), cwd=REPO)
    assert code == 2 and "Traceback" not in output
    assert "Seneca Mosaics will not start: MOSAICS_TRUSTED_PROXIES: 'the-balancer' is not an IP address" in output
    code, output = _start_and_wait_for_exit(command, _bare_env(
        DATABASE_URL=f"postgresql://postgres:hunter2secret@127.0.0.1:{free_port()}/nothing",
        MOSAICS_KEY_SECRET=TEST_KEY_SECRET,
        MOSAICS_SESSION_SECRET=TEST_SESSION_SECRET), cwd=REPO)
    assert code == 2 and "Traceback" not in output
    lines = [line for line in output.splitlines() if "Seneca Mosaics" in line]
    assert len(lines) == 1 and "the database at DATABASE_URL cannot be opened" in lines[0]
    assert "hunter2secret" not in output


def _health(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{url}/api/v1/health", timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def wait_until_ready(url: str, timeout: float = 240) -> list[tuple[int, dict]]:
    """Poll the readiness route until it says ready; returns every answer seen."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = _health(url)
        seen.append((status, body))
        if status == 200:
            return seen
        time.sleep(0.25)
    pytest.fail(f"never ready: {seen[-3:]}")


@pytest.mark.slow
def test_a_first_start_seeds_at_start_with_progress_in_the_log_and_health_says_when_ready(tmp_path) -> None:
    from sqlalchemy import create_engine, text

    # No browser ever visits: the seeding must happen anyway.
    with running_portal(tmp_path, None, env={"MOSAICS_DEMO_EARNERS": "400", "MOSAICS_BASE_URL": None}) as portal:
        answers = wait_until_ready(portal["url"])
        log = portal["log"].read_text()
        engine = create_engine(portal["db_url"])
        with engine.connect() as conn:
            earners = conn.execute(text("SELECT COUNT(*) FROM earner")).scalar_one()
            status_url = conn.execute(text("SELECT document FROM issued_credential LIMIT 1")).scalar_one()
        engine.dispose()
    first_status, first = answers[0]
    assert first_status == 503 and first["status"] == "starting" and first["demo"] is True, answers[:3]
    assert answers[-1] == (200, {"status": "ready", "progress": 1.0, "message": "Ready", "demo": True})
    assert earners >= 400
    assert "First start: creating the demo data (400 earners)" in log
    progress = [int(p) for p in re.findall(r"Demo data: +(\d+)% ", log)]
    assert len(progress) >= 5 and progress == sorted(progress) and progress[-1] == 100
    assert "Demo data ready: " in log and "Ready to serve" in log
    assert log.index("Demo data ready") < log.index("Ready to serve")
    # Without MOSAICS_BASE_URL, the seeded credentials name where this server is, not port 8501.
    assert f"data created at start names http://127.0.0.1:{portal['port']}" in log
    assert f"http://127.0.0.1:{portal['port']}/status/" in status_url and "localhost:8501" not in status_url


def test_a_base_url_naming_another_local_port_is_reported_at_start(tmp_path, seeded_sqlite) -> None:
    with running_portal(tmp_path, seeded_sqlite, env={"MOSAICS_BASE_URL": "http://localhost:8501"}) as portal:
        wait_until_ready(portal["url"])
        log = portal["log"].read_text()
    assert (f"MOSAICS_BASE_URL is http://localhost:8501, but the portal is served at "
            f"http://127.0.0.1:{portal['port']}") in log


@pytest.mark.storage
def test_a_failed_preparation_is_reported_and_retried(rt, caplog) -> None:
    from dataclasses import replace

    from mosaics_match.services import startup

    broken = replace(rt, settings=replace(rt.settings, session_secret=None))  # demo accounts need it
    job = startup.ensure_started(broken)
    now = job.snapshot()
    while now.state == "starting":
        now = job.wait_for_change(now, timeout=30)
    assert now.state == "failed" and "see the server log" in now.message
    assert job.rt is None  # no runtime kept alive by the registry
    assert any("Getting ready failed: Demo accounts need a session secret" in r.getMessage() for r in caplog.records)
    again = startup.ensure_started(rt)
    assert again is not job
    now = again.snapshot()
    while now.state == "starting":
        now = again.wait_for_change(now, timeout=120)
    assert now.ready


def test_seeding_demo_data_from_the_cli_without_secrets_is_one_line(tmp_path) -> None:
    code, output = _start_and_wait_for_exit([sys.executable, "-m", "mosaics_match", "demo", "--earners", "1"],
                                            _bare_env(DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}"), cwd=REPO)
    assert code == 2 and "Traceback" not in output
    assert output.strip().splitlines()[-1].startswith("error: demo data needs MOSAICS_SESSION_SECRET and "
                                                      "MOSAICS_KEY_SECRET")
