"""Interoperability with the Digital Credentials Consortium's verifier, ``@digitalcredentials/verifier-core``.

Credentials issued by the portal's own issuing code (``mosaics_match.services.issuing``) are verified by verifier-core
under Node (``tests/interop/dcc/verify.mjs``), offline and in one Node process for all of them.

Status lists come from the portal itself: the module starts ``streamlit run portal.py`` (the README's command,
through ``running_portal``) on a free loopback port, with ``MOSAICS_BASE_URL`` set to that address before
anything is issued, so the credentials' ``statusListCredential`` URLs point at the running portal and
verifier-core fetches the lists the portal's ``GET /status/{purpose}-{n}`` route serves after a revocation or
suspension made with ``issuing.change_status``. Handing verifier-core a copy of the list instead would not show
that the route's answer (media type, body) is one verifier-core accepts. Every other request verifier-core makes
is answered from a local map or refused (and listed), so nothing leaves the machine.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mosaics_match.credentials.build import sign_credential
from mosaics_match.runtime import open_runtime
from mosaics_match.services import demo, issuing
from mosaics_match.store.models import Achievement, Earner, IssuedCredential, utcnow
from tests.conftest import free_port, make_settings, running_portal

DCC_DIR = Path(__file__).resolve().parents[1] / "interop" / "dcc"
SCRIPT = DCC_DIR / "verify.mjs"
PACKAGE = "@digitalcredentials/verifier-core"
# A made-up registry location under the reserved .test TLD: verify.mjs answers it from the --documents map.
REGISTRY_URL = "https://registry.mosaics.test/dcc-legacy-registry.json"
OB3_SCHEMA_URL = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"


def _require_node_packages() -> str:
    """Path of ``node`` once ``npm ci`` has installed verifier-core; skips locally, fails under CI."""
    node = shutil.which("node")
    installed = DCC_DIR / "node_modules" / PACKAGE / "package.json"
    problem = None
    if node is None:
        problem = "node is not installed (Node 20 is needed for the DCC interop test)"
    elif not installed.exists():
        problem = f"{PACKAGE} is not installed: run `npm ci` in {DCC_DIR} (scripts/test does)"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    return node


def _log(result: dict) -> dict[str, dict]:
    """verifier-core's log entries by step id; a fatal result (``errors`` and no log) fails the calling test."""
    assert "errors" not in result, json.dumps(result["errors"], indent=1)[:4000]
    return {entry["id"]: entry for entry in result["log"]}


@pytest.fixture(scope="module")
def dcc(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Issue credentials with the running portal's issuing code, then verify them all in one verifier-core run.

    Returns
    -------
    dict
        ``results`` (credential name -> verifier-core's result), ``requests`` (every HTTP request verifier-core
        made and how it was answered), ``versions`` (installed package versions), ``portal_url``, ``issuer``
        (the portal's DID), ``status`` (credential name -> (list number, index)).
    """
    node = _require_node_packages()
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    # Seeded with the portal's URL as its base URL, so every status list and credential names the server below.
    seed_db = tmp_path_factory.mktemp("dcc-seed") / "seed.db"
    seed_rt = open_runtime(make_settings(f"sqlite:///{seed_db}", base_url=url))
    demo.seed(seed_rt, earners=1, workers=1)
    raw = seed_rt.engine.raw_connection()
    try:
        # running_portal copies the file: the WAL's pages must be in it first
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
    seed_rt.engine.dispose()

    work = tmp_path_factory.mktemp("dcc-portal")
    with running_portal(work, seed_db, port=port) as portal:
        rt = open_runtime(make_settings(portal["db_url"], base_url=url), migrate=False)
        try:
            documents, rows = {}, {}
            with rt.Session.begin() as session:
                signer = issuing.open_signer(session, settings=rt.settings)
                issuer_did = signer.issuer_id
                earner = session.scalars(select(Earner).order_by(Earner.id).limit(1)).one()
                achievement = session.scalars(select(Achievement).order_by(Achievement.id).limit(1)).one()
                now = utcnow()
                plans = {
                    "genuine": {},
                    "revoked": {},
                    "suspended": {},
                    "expired": {"valid_from": now - timedelta(days=60), "valid_until": now - timedelta(days=1)},
                    "jcs": {"fmt": "eddsa-jcs-2022"},
                }
                for name, extra in plans.items():
                    receipt = issuing.issue_credential(session, signer=signer, earner=earner,
                                                       achievement=achievement, actor="staff@test", **extra)
                    documents[name] = receipt.document
                    rows[name] = receipt.credential.id
                unsigned = {k: v for k, v in documents["genuine"].items() if k != "proof"}
                # issuing.py offers no Ed25519Signature2020, but the engine it calls signs it: the same credential
                # re-signed in the legacy suite by the portal's key
                documents["ed25519-2020"] = sign_credential(unsigned, signer.private_key,
                                                            verification_method=signer.verification_method,
                                                            fmt="Ed25519Signature2020", created=now)
            for name, action in (("revoked", "revoke"), ("suspended", "suspend")):
                with rt.Session.begin() as session:
                    signer = issuing.open_signer(session, settings=rt.settings)
                    issuing.change_status(session, signer=signer, credential=session.get(IssuedCredential, rows[name]),
                                          action=action, reason="interop test", actor="staff@test")
            with rt.Session() as session:
                status = {name: (session.get(IssuedCredential, row).status_list_number,
                                 session.get(IssuedCredential, row).status_index) for name, row in rows.items()}
        finally:
            rt.engine.dispose()

        tampered = copy.deepcopy(documents["genuine"])
        tampered["credentialSubject"]["achievement"]["name"] = "Advanced " + tampered["credentialSubject"][
            "achievement"]["name"]
        documents["tampered"] = tampered

        names = list(documents)
        inputs = work / "credentials.json"
        inputs.write_text(json.dumps([documents[n] for n in names]), encoding="utf-8")
        local_documents = work / "documents.json"
        local_documents.write_text(json.dumps({REGISTRY_URL: {"registry": {issuer_did: {
            "name": "Seneca Polytechnic", "url": "https://www.senecapolytechnic.ca", "location": "Toronto, Canada"}}}}),
            encoding="utf-8")
        registries = work / "registries.json"
        registries.write_text(json.dumps([{"name": "Mosaics test registry", "type": "dcc-legacy",
                                           "url": REGISTRY_URL}]), encoding="utf-8")
        run = subprocess.run(
            [node, str(SCRIPT), "--allow-origin", url, "--documents", str(local_documents),
             "--registries", str(registries), str(inputs)],
            cwd=DCC_DIR, capture_output=True, text=True, timeout=180,
        )
    assert run.returncode == 0, run.stderr[-4000:]
    out = json.loads(run.stdout)
    assert len(out["results"]) == len(names)
    return {
        "results": {name: entry["result"] for name, entry in zip(names, out["results"])},
        "requests": out["requests"], "versions": out["versions"], "portal_url": url, "issuer": issuer_did,
        "status": status,
    }


def test_the_verifier_that_ran_is_the_version_pinned_in_the_lock_file(dcc: dict) -> None:
    lock = json.loads((DCC_DIR / "package-lock.json").read_text(encoding="utf-8"))
    pinned = json.loads((DCC_DIR / "package.json").read_text(encoding="utf-8"))["dependencies"][PACKAGE]
    assert lock["packages"][f"node_modules/{PACKAGE}"]["version"] == pinned
    assert dcc["versions"][PACKAGE] == pinned


def test_genuine_portal_credential_passes_every_verifier_core_step(dcc: dict) -> None:
    result = dcc["results"]["genuine"]
    log = _log(result)
    assert log["valid_signature"]["valid"] is True
    assert log["expiration"]["valid"] is True
    assert log["revocation_status"]["valid"] is True
    assert log["suspension_status"]["valid"] is True
    registered = log["registered_issuer"]
    assert registered["valid"] is True and registered["uncheckedRegistries"] == []
    assert registered["matchingIssuers"][0]["issuer"]["federation_entity"]["organization_name"] == "Seneca Polytechnic"
    assert result["credential"]["issuer"]["id"] == dcc["issuer"] and dcc["issuer"].startswith("did:key:z6Mk")


def test_status_lists_were_fetched_from_the_running_portal_and_nothing_else_left_the_machine(dcc: dict) -> None:
    number, _ = dcc["status"]["genuine"]
    served = {r["url"] for r in dcc["requests"] if r["via"] == "origin" and r["status"] == 200}
    assert {f"{dcc['portal_url']}/status/revocation-{number}",
            f"{dcc['portal_url']}/status/suspension-{number}"} <= served
    assert {r["url"] for r in dcc["requests"] if r["via"] == "documents"} == {REGISTRY_URL}
    # contexts come from DCC's npm packages and did:key is resolved in process; the only request refused is the
    # OB 3.0 JSON Schema verifier-core's additional schema check downloads (it is in no npm package)
    assert {r["url"] for r in dcc["requests"] if r["via"] == "refused"} <= {OB3_SCHEMA_URL}


def test_tampered_achievement_name_is_an_invalid_signature(dcc: dict) -> None:
    result = dcc["results"]["tampered"]
    assert "log" not in result
    assert [e["name"] for e in result["errors"]] == ["invalid_signature"]


def test_revoked_credential_is_reported_revoked_with_a_valid_signature(dcc: dict) -> None:
    log = _log(dcc["results"]["revoked"])
    assert log["valid_signature"]["valid"] is True
    assert log["revocation_status"]["valid"] is False
    assert log["suspension_status"]["valid"] is True


def test_suspended_credential_fails_the_suspension_step_only(dcc: dict) -> None:
    # verifier-core's README names a revocation_status step only; the vc library under it logs one
    # "<statusPurpose>_status" step per BitstringStatusListEntry, and verifier-core passes them through
    log = _log(dcc["results"]["suspended"])
    assert log["valid_signature"]["valid"] is True
    assert log["suspension_status"]["valid"] is False
    assert log["revocation_status"]["valid"] is True


def test_expired_credential_fails_only_the_expiration_step(dcc: dict) -> None:
    log = _log(dcc["results"]["expired"])
    assert log["valid_signature"]["valid"] is True
    assert log["expiration"]["valid"] is False
    assert log["revocation_status"]["valid"] is True


def test_ed25519signature2020_from_the_portal_engine_verifies(dcc: dict) -> None:
    log = _log(dcc["results"]["ed25519-2020"])
    assert log["valid_signature"]["valid"] is True
    assert log["revocation_status"]["valid"] is True


def test_eddsa_jcs_2022_is_not_a_suite_verifier_core_accepts(dcc: dict) -> None:
    """verifier-core registers Ed25519Signature2020 and DataIntegrityProof with the eddsa-rdfc-2022 cryptosuite
    only; a proof whose ``cryptosuite`` is ``eddsa-jcs-2022`` matches neither, so jsonld-signatures reports that
    no proof matched and verifier-core calls that an invalid signature. When this starts failing, verifier-core
    has gained eddsa-jcs-2022 and the portal's JCS credentials verify there too."""
    result = dcc["results"]["jcs"]
    assert result["credential"]["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert [e["name"] for e in result["errors"]] == ["invalid_signature"]
