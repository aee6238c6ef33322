"""The admin CLI, ``python -m mosaics_match``, run as a subprocess on a temporary database: schema upgrades, demo
data, issuing and status changes (with what the status lists and the audit log say afterwards), and one clear line
with a non-zero exit, never a traceback, for every bad argument or setting.

The database tests are ``storage`` tests: on the PostgreSQL pass the CLI works in a schema of that server and the
test opens the same schema here to check what the CLI did."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from mosaics_match.credentials import StatusBits
from mosaics_match.services import verification
from mosaics_match.services.auth import PUBLIC
from mosaics_match.settings import normalise_database_url
from mosaics_match.store import db, repo
from mosaics_match.store.models import Achievement, AuditEvent, Earner, IssuedCredential, StatusList
from tests.conftest import BASE_URL, REPO, TEST_KEY_SECRET, TEST_SESSION_SECRET, free_port
from tests.pages.test_staff_bulk_issue import add_catalogue

DEMO_EARNER = "earner@mosaics.example"  # the earner of the demo's earner account, seeded besides the synthetic ones


def cli(*args: str, db_url: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m mosaics_match *args`` against ``db_url`` with the test secrets (``env`` overrides)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MOSAICS_") and k != "DATABASE_URL"}
    environ.update({"PYTHONPATH": str(REPO), "DATABASE_URL": db_url, "MOSAICS_KEY_SECRET": TEST_KEY_SECRET,
                    "MOSAICS_SESSION_SECRET": TEST_SESSION_SECRET, "MOSAICS_BASE_URL": BASE_URL,
                    "MOSAICS_DEMO": "0"})
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "mosaics_match", *args], cwd=cwd, env=environ, capture_output=True,
                          text=True, timeout=300, check=False)


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    """The single ``error: ...`` line a refused command printed on standard error (nothing on standard output)."""
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert proc.stdout == "", proc.stdout
    return lines[0]


def _counts(url: str) -> dict[str, int]:
    engine = db.make_engine(normalise_database_url(url))
    try:
        with engine.connect() as conn:
            return {model.__tablename__: conn.scalar(select(func.count()).select_from(model))
                    for model in (Achievement, Earner, IssuedCredential, AuditEvent)}
    finally:
        engine.dispose()


def _credentials_by_earner(url: str) -> dict[str, int]:
    """Every earner's e-mail address and how many credentials the earner holds."""
    engine = db.make_engine(normalise_database_url(url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(Earner.email, func.count(IssuedCredential.id))
                                .outerjoin(IssuedCredential, IssuedCredential.earner_id == Earner.id)
                                .group_by(Earner.email))
            return {email: n for email, n in rows}
    finally:
        engine.dispose()


# --- db upgrade --------------------------------------------------------------------------------------------------

@pytest.mark.storage
def test_db_upgrade_builds_the_newest_schema_and_a_second_run_keeps_it_and_its_data(db_url: str,
                                                                                     tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(db.alembic_config(db_url)).get_current_head()
    engine = db.make_engine(normalise_database_url(db_url))
    try:
        assert db.table_names(engine) == []
        first = cli("db", "upgrade", db_url=db_url, cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        assert first.stdout == f"database at revision {head}\n"
        schema = {t: sorted(c["name"] for c in inspect(engine).get_columns(t)) for t in db.table_names(engine)}
        assert {"alembic_version", "issued_credential", "status_list", "audit_event"} <= set(schema)
        session = db.make_session_factory(engine)
        with session.begin() as s:
            repo.set_state(s, key="kept-across-upgrades", value="yes")

        second = cli("db", "upgrade", db_url=db_url, cwd=tmp_path)
        assert second.returncode == 0, second.stderr
        assert second.stdout == first.stdout
        assert {t: sorted(c["name"] for c in inspect(engine).get_columns(t)) for t in db.table_names(engine)} == schema
        assert db.current_revision(engine) == head
        with session() as s:
            assert repo.get_state(s, key="kept-across-upgrades") == "yes"

        current = cli("db", "current", db_url=db_url, cwd=tmp_path)
        assert current.returncode == 0 and current.stdout == first.stdout
    finally:
        engine.dispose()


# --- demo --------------------------------------------------------------------------------------------------------

_SUMMARY = re.compile(r"^(\d+) micro-credentials, (\d+) postings, (\d+) earners, (\d+) credentials "
                      r"\(0 revoked, 0 suspended\), (\d+) accounts, (\d+) credentials from a second issuer$")


@pytest.mark.storage
def test_demo_seeds_the_earners_asked_for_once_and_only_adds_what_is_missing(db_url: str, tmp_path: Path) -> None:
    small = {"MOSAICS_DEMO_EARNERS": "3"}
    first = cli("demo", db_url=db_url, cwd=tmp_path, env=small)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    summary = _SUMMARY.match(first.stdout.strip())
    assert summary, first.stdout
    achievements, _postings, earners, credentials, _accounts, _peer = map(int, summary.groups())
    assert earners == 3 and achievements > 0 and credentials > 0
    counts = _counts(db_url)
    held = _credentials_by_earner(db_url)
    assert counts["achievement"] == achievements
    assert DEMO_EARNER in held and len(held) == earners + 1
    assert sum(n for email, n in held.items() if email != DEMO_EARNER) == credentials

    again = cli("demo", db_url=db_url, cwd=tmp_path, env=small)
    assert again.returncode == 0, again.stderr
    assert again.stdout == "demo data already present: nothing changed\n"
    assert {k: v for k, v in _counts(db_url).items() if k != "audit_event"} == {
        k: v for k, v in counts.items() if k != "audit_event"}

    more = cli("demo", "--earners", "5", db_url=db_url, cwd=tmp_path, env=small)
    assert more.returncode == 0, more.stderr
    added = _SUMMARY.match(more.stdout.strip())
    assert added and added.group(1) == "0" and added.group(3) == "2", more.stdout
    held = _credentials_by_earner(db_url)
    assert len(held) == 5 + 1 and all(held.values())  # the two added earners hold credentials too


# --- issue and status changes ------------------------------------------------------------------------------------

def _status(rt, credential_id: str) -> dict:
    """What the database says about a credential: its row, the bits of both signed status lists, its audit."""
    with rt.Session() as session:
        row = repo.get_credential(session, credential_id=credential_id)
        bits = {}
        for lst in session.scalars(select(StatusList).where(StatusList.issuer_id == row.issuer_id,
                                                            StatusList.number == row.status_list_number)):
            signed = json.loads(lst.signed_document)
            bits[lst.purpose] = StatusBits.decode(signed["credentialSubject"]["encodedList"]).get(row.status_index)
        audit = [(e.action, e.actor, e.details.get("reason")) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.subject == credential_id).order_by(AuditEvent.id))]
        return {"revoked": row.revoked, "suspended": row.suspended, "revocation_bit": bits["revocation"],
                "suspension_bit": bits["suspension"], "audit": audit}


def _verdict(rt, document: str) -> verification.PortalVerification:
    return verification.verify_submission(rt, document, email=None, viewer=PUBLIC, source="paste", remote=False,
                                          audit=False)


@pytest.mark.storage
def test_issue_then_suspend_reinstate_and_revoke_change_the_status_lists_and_are_audited(rt, tmp_path: Path) -> None:
    url = rt.settings.database_url
    [slug] = add_catalogue(rt, 1)
    out = tmp_path / "credential.json"
    issued = cli("issue", "--email", "dee@example.org", "--name", "Dee Issue", "--achievement", slug,
                 "--out", str(out), db_url=url, cwd=tmp_path)
    assert issued.returncode == 0, issued.stderr
    assert issued.stdout == ""  # the credential went to --out
    match = re.fullmatch(r"issued (urn:uuid:[0-9a-f-]{36}); claim code \S+", issued.stderr.strip())
    assert match, issued.stderr
    cid = match.group(1)
    document = out.read_text(encoding="utf-8")
    assert json.loads(document)["id"] == cid
    assert _status(rt, cid) == {"revoked": False, "suspended": False, "revocation_bit": False,
                                "suspension_bit": False, "audit": [("issue", "cli", None)]}
    assert _verdict(rt, document).verdict == verification.VERIFIED

    refused = cli("suspend", cid, db_url=url, cwd=tmp_path)
    assert refused.returncode == 1
    assert one_error_line(refused) == "error: Give a reason: it is kept in the audit log."
    assert _status(rt, cid)["audit"] == [("issue", "cli", None)]

    suspended = cli("suspend", cid, "--reason", "checking the transcript", db_url=url, cwd=tmp_path)
    assert suspended.returncode == 0, suspended.stderr
    assert suspended.stdout == f"suspend: {cid}\n"
    state = _status(rt, cid)
    assert (state["suspended"], state["suspension_bit"], state["revocation_bit"]) == (True, True, False)
    assert state["audit"][-1] == ("suspend", "cli", "checking the transcript")
    assert _verdict(rt, document).verdict != verification.VERIFIED

    reinstated = cli("reinstate", cid, db_url=url, cwd=tmp_path)
    assert reinstated.returncode == 0, reinstated.stderr
    state = _status(rt, cid)
    assert (state["suspended"], state["suspension_bit"], state["revocation_bit"]) == (False, False, False)
    assert state["audit"][-1] == ("reinstate", "cli", "")
    assert _verdict(rt, document).verdict == verification.VERIFIED

    revoked = cli("revoke", cid, "--reason", "issued in error", db_url=url, cwd=tmp_path)
    assert revoked.returncode == 0, revoked.stderr
    state = _status(rt, cid)
    assert (state["revoked"], state["revocation_bit"], state["suspension_bit"]) == (True, True, False)
    assert [a for a, _, _ in state["audit"]] == ["issue", "suspend", "reinstate", "revoke"]
    pv = _verdict(rt, document)
    assert pv.verdict == verification.NOT_VALID and pv.failing_check_id == "status.revocation"

    final = cli("reinstate", cid, db_url=url, cwd=tmp_path)
    assert final.returncode == 1
    assert one_error_line(final) == "error: This credential is revoked; revocation is permanent."
    assert _status(rt, cid) == state

    chain = cli("audit", "verify", db_url=url, cwd=tmp_path)
    assert chain.returncode == 0, chain.stdout + chain.stderr
    assert chain.stdout.startswith("The audit log is intact")


@pytest.mark.storage
@pytest.mark.parametrize("args,expected", [
    (["issue", "--email", "dee@example.org", "--name", "Dee", "--achievement", "no-such-skill"],
     "error: no micro-credential with slug 'no-such-skill'"),
    (["issue", "--email", "new@example.org", "--achievement", "skill-0"], "error: new earner: give --name"),
    (["issue", "--email", "dee@example.org", "--name", "Dee", "--achievement", "skill-0", "--valid-until",
      "next week"], "error: --valid-until 'next week' is not an ISO-8601 date"),
    (["revoke", "urn:uuid:00000000-0000-4000-8000-000000000000", "--reason", "x"],
     "error: no credential 'urn:uuid:00000000-0000-4000-8000-000000000000' was issued here"),
], ids=["unknown-slug", "new-earner-without-name", "bad-date", "unknown-credential"])
def test_refused_database_commands_say_why_in_one_line_and_change_nothing(rt, tmp_path: Path, args: list[str],
                                                                          expected: str) -> None:
    url = rt.settings.database_url
    add_catalogue(rt, 1)
    before = _counts(url)
    proc = cli(*args, db_url=url, cwd=tmp_path)
    assert proc.returncode == 2
    assert one_error_line(proc) == expected
    assert _counts(url) == before


# --- arguments and settings --------------------------------------------------------------------------------------

@pytest.mark.parametrize("args,env,expected", [
    ([], {}, "the following arguments are required: COMMAND"),
    (["frobnicate"], {}, "invalid choice: 'frobnicate'"),
    (["db", "downgrade"], {}, "argument action: invalid choice: 'downgrade'"),
    (["demo", "--earners", "many"], {}, "argument --earners: invalid int value: 'many'"),
    (["issue", "--achievement", "skill-0"], {}, "the following arguments are required: --email"),
    (["issue", "--email", "a@example.org", "--achievement", "skill-0", "--format", "pdf"], {},
     "argument --format: invalid choice: 'pdf'"),
    (["revoke"], {}, "the following arguments are required: credential_id"),
    (["verify"], {}, "the following arguments are required: FILE"),
    (["keys", "generate", "--out", "k.pem"], {}, "--out needs --passphrase-env"),
    (["demo"], {"MOSAICS_DEMO_EARNERS": "a few"}, "MOSAICS_DEMO_EARNERS must be a whole number"),
    (["db", "current"], {"MOSAICS_BASE_URL": "ftp://portal.example"}, "MOSAICS_BASE_URL must be"),
    (["demo"], {"MOSAICS_KEY_SECRET": ""}, "demo data needs MOSAICS_SESSION_SECRET and MOSAICS_KEY_SECRET"),
    (["db", "upgrade"], {"DATABASE_URL": "nosuchdb://somewhere/x"}, "the database at DATABASE_URL cannot be opened"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_bad_arguments_and_settings_are_one_line_and_a_non_zero_exit(tmp_path: Path, args: list[str],
                                                                     env: dict[str, str], expected: str) -> None:
    database = tmp_path / "never.db"
    proc = cli(*args, db_url=f"sqlite:///{database}", cwd=tmp_path, env=env)
    assert proc.returncode == 2
    assert expected in one_error_line(proc)
    assert not (tmp_path / "k.pem").exists()
    if args[:1] != ["demo"] or "MOSAICS_KEY_SECRET" not in env:  # the secret is checked on the opened database
        assert not database.exists()


def test_an_unreachable_database_is_one_line_without_its_password(tmp_path: Path) -> None:
    url = f"postgresql://mosaics:hunter2secret@127.0.0.1:{free_port()}/nothing"
    proc = cli("db", "upgrade", db_url=url, cwd=tmp_path)
    assert proc.returncode == 2
    line = one_error_line(proc)
    assert line.startswith("error: the database at DATABASE_URL cannot be opened (")
    assert "hunter2secret" not in proc.stderr


def test_help_lists_every_command(tmp_path: Path) -> None:
    proc = cli("--help", db_url=f"sqlite:///{tmp_path / 'never.db'}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for command in ("db", "audit", "demo", "issue", "revoke", "suspend", "reinstate", "verify", "bake", "unbake",
                    "keys"):
        assert re.search(rf"^\s+{command}\s", proc.stdout, re.MULTILINE), command


def test_keys_generate_through_the_main_command(tmp_path: Path) -> None:
    proc = cli("keys", "generate", "--json", db_url=f"sqlite:///{tmp_path / 'never.db'}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["did"].startswith("did:key:z6Mk") and info["verification_method"].startswith(info["did"] + "#")
