"""A credential issued by a did:web issuer verifies end to end in an independent verifier (openbadgeslib) that
resolves the issuer's DID document and the status list from a real ``uvicorn asgi:app``; a revocation made in
the staff console is then seen by it at once.

openbadgeslib takes a ``download`` callable for every fetch (DID document and status list); did:web resolves to
``https://<host>/...`` and the test server speaks plain HTTP, so the callable maps the https URL of this host to
the server (nothing else is fetched).
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from openbadgeslib.ob3.verifier import OB3VerificationError, OB3Verifier

from mosaics_match.runtime import Runtime
from mosaics_match.services import issuing
from tests.conftest import free_port
from tests.web.test_deployment_replicas import get, issue_one, replica, revoke

pytestmark = pytest.mark.storage


def _downloader(server: str, host: str, seen: list[str]):
    def download(url: str) -> bytes:
        parts = urlsplit(url)
        assert parts.netloc == host, f"unexpected fetch of {url}"
        seen.append(parts.path)
        with urllib.request.urlopen(server + parts.path, timeout=10) as resp:
            return resp.read()

    return download


def test_did_web_credential_verifies_in_openbadgeslib_through_the_routes(rt, db_url, tmp_path) -> None:
    port = free_port()
    host = f"127.0.0.1:{port}"
    did = f"did:web:127.0.0.1%3A{port}"
    settings = replace(rt.settings, issuer_did=did, base_url=f"http://{host}")
    web_rt = Runtime(settings=settings, engine=rt.engine, Session=rt.Session)
    row = issue_one(web_rt, fmt="vc-jwt")
    assert row.document.count(".") == 2
    with web_rt.Session.begin() as session:  # a second key: the document must keep the retired one
        issuing.rotate_key(session, settings=settings, actor="staff@test")

    with replica(db_url, tmp_path / "server.log", port=port, issuer_did=did) as server:
        status, headers, body = get(server + "/.well-known/did.json")
        assert status == 200
        doc = json.loads(body)
        assert doc["id"] == did and len(doc["verificationMethod"]) == 2
        jwks = json.loads(get(server + "/.well-known/jwks.json")[2])["keys"]
        assert [k["kid"] for k in jwks] == doc["assertionMethod"]

        seen: list[str] = []
        download = _downloader(server, host, seen)
        verifier = OB3Verifier.for_issuer_did(did, download=download)
        # The recipient is a salted e-mail hash (no credentialSubject.id), which openbadgeslib does not compare.
        credential = verifier.verify(row.document, check_status=True, verify_status_list=False, download=download)
        assert credential.issuer.id == did
        assert "/.well-known/did.json" in seen
        assert f"/status/revocation-{row.status_list_number}" in seen

        revoke(web_rt, row)  # the staff console's Revoke

        with pytest.raises(OB3VerificationError, match="revocation"):
            verifier.verify(row.document, check_status=True, verify_status_list=False, download=download)

        # and the portal's own API agrees, on the same server
        request = urllib.request.Request(f"{server}/api/v1/verify", data=row.document.encode(),
                                         headers={"Content-Type": "application/jwt"})
        with urllib.request.urlopen(request, timeout=30) as resp:
            result = json.loads(resp.read())
        assert result["issuer"]["id"] == did and result["verdict"] == "invalid"
        assert {c["id"]: c["status"] for c in result["checks"]}["proof.signature"] == "success"
