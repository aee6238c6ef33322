"""The W3C VC-API verifier route ``POST /credentials/verify`` over the ASGI app in process (Starlette TestClient):
VerificationResult bodies for verified and unverified credentials, problem documents for malformed requests, and
the size bound, rate limit and audit it shares with ``POST /api/v1/verify``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from mosaics_match.services import issuing
from mosaics_match.store.models import AuditEvent, IssuedCredential
from mosaics_match.web.api import ApiConfig, create_api_app
from tests.credentials.test_verify_support import Issuer

pytestmark = pytest.mark.storage

URL = "/credentials/verify"


def _client(rt, **config) -> TestClient:
    return TestClient(create_api_app(lambda: rt, ApiConfig(**config)), raise_server_exceptions=False)


def _issued(rt, fmt: str) -> IssuedCredential:
    with rt.Session() as session:
        row = session.scalars(select(IssuedCredential).where(
            IssuedCredential.revoked.is_(False), IssuedCredential.suspended.is_(False),
            IssuedCredential.proof_format == fmt).order_by(IssuedCredential.id).limit(1)).first()
        assert row is not None
        session.expunge(row)
        return row


def _result(resp, status: int) -> dict:
    """A VC-API VerificationResult answered with ``status``."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.headers["cache-control"] == "no-store"
    body = resp.json()
    assert set(body) >= {"verified", "checks", "warnings", "errors"}
    assert all(isinstance(c, str) for c in body["checks"])
    for problem in body["errors"] + body["warnings"]:
        assert problem["type"] and problem["title"] and isinstance(problem["detail"], str)
    return body


def _problem(resp, status: int, slug: str) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert body["status"] == status and body["type"] == f"urn:seneca-mosaics:problem:{slug}", body
    assert body["instance"] == URL and "Traceback" not in resp.text
    return body


@pytest.mark.parametrize("fmt", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_portal_issued_credential_is_verified_and_audited(seeded_rt, fmt: str) -> None:
    row = _issued(seeded_rt, fmt)
    resp = _client(seeded_rt).post(URL, json={"verifiableCredential": json.loads(row.document), "options": {}})
    body = _result(resp, 200)
    assert body["verified"] is True and body["errors"] == [] and body["warnings"] == []
    assert {"proof.signature", "proof.key_binding", "proof.purpose", "issuer.trusted", "status.revocation",
            "status.suspension"} <= set(body["checks"])
    assert "credential" not in body
    assert int(resp.headers["x-ratelimit-remaining"]) >= 0
    with seeded_rt.Session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "verify")
                                .order_by(AuditEvent.id.desc()).limit(1)).one()
    assert event.actor == "api:testclient" and event.subject == row.credential_id and event.outcome == "verified"


def test_return_credential_and_unknown_options(seeded_rt) -> None:
    doc = json.loads(_issued(seeded_rt, "eddsa-rdfc-2022").document)
    resp = _client(seeded_rt).post(URL, json={"verifiableCredential": doc,
                                              "options": {"returnCredential": True, "checks": ["proof"]}})
    body = _result(resp, 200)
    assert body["verified"] is True and body["credential"] == doc
    [warning] = body["warnings"]
    assert warning["type"] == "urn:seneca-mosaics:problem:ignored-option" and "options.checks" in warning["detail"]


def test_tampered_credential_is_not_verified(seeded_rt) -> None:
    doc = json.loads(_issued(seeded_rt, "eddsa-rdfc-2022").document)
    doc["credentialSubject"]["achievement"]["name"] = "Brain surgery"
    body = _result(_client(seeded_rt).post(URL, json={"verifiableCredential": doc}), 400)
    assert body["verified"] is False
    failed = {(e["check"], e["outcome"]) for e in body["errors"]}
    assert ("proof.signature", "failure") in failed
    assert "proof.signature" not in body["checks"]


def test_tampered_proof_value_is_not_verified(seeded_rt) -> None:
    doc = json.loads(_issued(seeded_rt, "eddsa-jcs-2022").document)
    value = doc["proof"]["proofValue"]
    doc["proof"]["proofValue"] = value[:-2] + ("1" if value[-2] != "1" else "2") + value[-1]
    body = _result(_client(seeded_rt).post(URL, json={"verifiableCredential": doc}), 400)
    assert body["verified"] is False and any(e["check"].startswith("proof.") for e in body["errors"])


def test_revoked_credential_is_not_verified_though_its_signature_is(seeded_rt) -> None:
    row = _issued(seeded_rt, "eddsa-rdfc-2022")
    client = _client(seeded_rt)
    assert client.post(URL, json={"verifiableCredential": json.loads(row.document)}).status_code == 200
    with seeded_rt.Session.begin() as session:
        signer = issuing.open_signer(session, settings=seeded_rt.settings)
        issuing.change_status(session, signer=signer, credential=session.get(IssuedCredential, row.id),
                              action="revoke", reason="test", actor="staff@test")
    body = _result(client.post(URL, json={"verifiableCredential": json.loads(row.document)}), 400)
    assert body["verified"] is False
    assert [e["check"] for e in body["errors"]] == ["status.revocation"]
    assert "proof.signature" in body["checks"]


def test_untrusted_issuer_is_verified_with_a_warning_and_expiry_is_an_error(seeded_rt) -> None:
    outsider = Issuer(name="Elsewhere College")
    client = _client(seeded_rt)
    body = _result(client.post(URL, json={"verifiableCredential": outsider.issue(status=False)}), 200)
    assert body["verified"] is True and body["errors"] == []
    assert [w["check"] for w in body["warnings"]] == ["issuer.trusted"]
    assert "issuer.trusted" not in body["checks"]

    yesterday = datetime.now(UTC) - timedelta(days=1)
    expired = outsider.issue(status=False, valid_until=yesterday)
    body = _result(client.post(URL, json={"verifiableCredential": expired}), 400)
    assert body["verified"] is False and [e["check"] for e in body["errors"]] == ["time.expiry"]
    assert "proof.signature" in body["checks"]


def test_unsigned_or_proofless_credentials_are_not_verified(seeded_rt) -> None:
    client = _client(seeded_rt)
    doc = json.loads(_issued(seeded_rt, "eddsa-rdfc-2022").document)
    for proof in (None, "zzz", [], {}):
        broken = dict(doc, proof=proof)
        body = _result(client.post(URL, json={"verifiableCredential": broken}), 400)
        assert body["verified"] is False and body["errors"], proof
    without = {k: v for k, v in doc.items() if k != "proof"}
    body = _result(client.post(URL, json={"verifiableCredential": without}), 400)
    assert [e["check"] for e in body["errors"]] == ["proof.present"]


@pytest.mark.parametrize(("content", "slug", "words"), [
    (b"", "missing-credential", "no body"),
    (b"   \n", "missing-credential", "no body"),
    (b'{"verifiableCredential": {', "bad-json", "not usable JSON"),
    (b"\xff\xfe{}", "bad-json", "UTF-8"),
    (b'{"verifiableCredential": NaN}', "bad-json", "not usable JSON"),
    (b'{"verifiableCredential": ' + b"[" * 80 + b"]" * 80 + b"}", "bad-json", "nested deeper"),
    (b"[]", "bad-request", "must be a JSON object"),
    (b'"a credential"', "bad-request", "must be a JSON object"),
    (b"{}", "missing-credential", "no verifiableCredential"),
    (b'{"credential": {}}', "missing-credential", "no verifiableCredential"),
    (b'{"verifiableCredential": "eyJhbGciOiJFZERTQSJ9.e30.sig"}', "bad-request", "not a string"),
    (b'{"verifiableCredential": null}', "bad-request", "not null"),
    (b'{"verifiableCredential": [{}]}', "bad-request", "not an array"),
    (b'{"verifiableCredential": {}, "options": []}', "bad-request", "options must be a JSON object"),
    (b'{"verifiableCredential": {}, "options": {"returnCredential": "yes"}}', "bad-request", "true or false"),
])
def test_malformed_requests_are_problems(seeded_rt, content: bytes, slug: str, words: str) -> None:
    resp = _client(seeded_rt).post(URL, content=content, headers={"content-type": "application/json"})
    assert words in _problem(resp, 400, slug)["detail"]


def test_size_bound_and_method_are_those_of_the_api(seeded_rt) -> None:
    client = _client(seeded_rt, max_body_bytes=2000)
    big = json.dumps({"verifiableCredential": {"name": "x" * 3000}}).encode()
    assert _problem(client.post(URL, content=big), 413, "too-large")["max_bytes"] == 2000

    def chunks():  # no Content-Length: cut off while streaming
        yield b'{"verifiableCredential": {"name": "'
        for _ in range(20):
            yield b"y" * 200

    _problem(client.post(URL, content=chunks()), 413, "too-large")
    _problem(client.post(URL, content=b"{}", headers={"content-length": "two"}), 400, "bad-request")
    wrong = client.get(URL)
    _problem(wrong, 405, "method-not-allowed")
    assert wrong.headers["allow"] == "POST"


def test_rate_limit_is_shared_with_the_other_verify_route(seeded_rt) -> None:
    client = _client(seeded_rt, verify_rate=0.01, verify_burst=2)
    assert client.post("/api/v1/verify", content=b"{}").status_code == 200
    assert client.post(URL, json={"verifiableCredential": {}}).status_code == 400
    limited = client.post(URL, json={"verifiableCredential": {}})
    _problem(limited, 429, "rate-limited")
    assert int(limited.headers["retry-after"]) >= 1
    assert client.post("/api/v1/verify", content=b"{}").status_code == 429


def test_public_credential_route_still_answers_beside_it(seeded_rt) -> None:
    from mosaics_match.services import sharing

    row = _issued(seeded_rt, "eddsa-rdfc-2022")
    client = _client(seeded_rt)
    assert client.get(f"/credentials/{row.credential_id}").status_code == 404  # private until the earner publishes
    with seeded_rt.Session.begin() as session:
        sharing.set_published(session, row=session.get(IssuedCredential, row.id), public=True, actor="earner")
    resp = client.get(f"/credentials/{row.credential_id}")
    assert resp.status_code == 200 and resp.json()["id"] == row.credential_id


def test_openapi_documents_the_route(seeded_rt) -> None:
    spec = _client(seeded_rt).get("/api/v1/openapi.json").json()
    op = spec["paths"]["/credentials/verify"]["post"]
    request = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert spec["components"]["schemas"][request]["required"] == ["verifiableCredential"]
    assert set(op["responses"]["400"]["content"]) == {"application/json", "application/problem+json"}
    assert {"200", "413", "429"} <= set(op["responses"])
