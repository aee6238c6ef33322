"""HTTP routes over the ASGI app in process (Starlette TestClient): keys, status lists, public credentials, the
verification API with its size and rate limits, and problem+json errors."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from mosaics_match.credentials import StatusBits, unbake
from mosaics_match.credentials.verifier import to_wire
from mosaics_match.services import issuing
from mosaics_match.store import repo
from mosaics_match.store.models import AuditEvent, IssuedCredential, StatusList
from mosaics_match.web.api import ApiConfig, create_api_app, did_web_document_path
from mosaics_match.web.ratelimit import TokenBucketLimiter


def _client(rt, **config) -> TestClient:
    return TestClient(create_api_app(lambda: rt, ApiConfig(**config)), raise_server_exceptions=False)


def _credential(rt, fmt: str | None = None) -> IssuedCredential:
    with rt.Session() as session:
        stmt = select(IssuedCredential).where(IssuedCredential.revoked.is_(False),
                                              IssuedCredential.suspended.is_(False))
        if fmt:
            stmt = stmt.where(IssuedCredential.proof_format == fmt)
        row = session.scalars(stmt.order_by(IssuedCredential.id).limit(1)).first()
        assert row is not None
        session.expunge(row)
        return row


def _publish(rt, *rows: IssuedCredential) -> None:
    """The earner publishes these credentials (credentials are private until then)."""
    from mosaics_match.services import sharing

    with rt.Session.begin() as session:
        for row in rows:
            sharing.set_published(session, row=session.get(IssuedCredential, row.id), public=True, actor="earner")


def _is_problem(resp, status: int) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert body["status"] == status and body["type"].startswith("urn:seneca-mosaics:problem:")
    assert "Traceback" not in resp.text
    return body


def _bit(document: bytes, index: int) -> bool:
    doc = json.loads(document)
    return bool(StatusBits.decode(doc["credentialSubject"]["encodedList"]).get(index))


@pytest.mark.storage
def test_did_key_issuer_has_no_did_web_document_but_publishes_jwks(seeded_rt) -> None:
    client = _client(seeded_rt)
    body = _is_problem(client.get("/.well-known/did.json"), 404)
    assert "did:key" in body["detail"]
    jwks = client.get("/.well-known/jwks.json")
    assert jwks.status_code == 200
    with seeded_rt.Session() as session:
        issuer = repo.get_local_issuer(session)
        wanted = {k.verification_method for k in repo.issuer_keys(session, issuer=issuer)}
    kids = {k["kid"] for k in jwks.json()["keys"]}
    assert wanted <= kids
    assert all("d" not in k for k in jwks.json()["keys"])


@pytest.mark.storage
def test_did_web_document_lists_current_and_retired_keys(seeded_rt) -> None:
    from dataclasses import replace

    from mosaics_match.runtime import Runtime

    did = "did:web:portal.example"
    settings = replace(seeded_rt.settings, issuer_did=did)
    rt = Runtime(settings=settings, engine=seeded_rt.engine, Session=seeded_rt.Session)
    with rt.Session.begin() as session:
        first = issuing.rotate_key(session, settings=settings, actor="staff@test")
        second = issuing.rotate_key(session, settings=settings, actor="staff@test")
        vms = [first.verification_method, second.verification_method]
    client = _client(rt)
    resp = client.get("/.well-known/did.json")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/did+json")
    doc = resp.json()
    assert doc["id"] == did
    assert [m["id"] for m in doc["verificationMethod"]] == vms
    assert all(m["type"] == "Multikey" and m["publicKeyMultibase"].startswith("z6Mk")
               for m in doc["verificationMethod"])
    assert doc["assertionMethod"] == vms
    jwks = client.get("/.well-known/jwks.json").json()["keys"]
    assert [k["kid"] for k in jwks] == vms
    assert all(k["kty"] == "OKP" and k["crv"] == "Ed25519" and k["alg"] == "EdDSA" for k in jwks)


def test_did_web_path_mapping() -> None:
    assert did_web_document_path("did:web:example.com") == "/.well-known/did.json"
    assert did_web_document_path("did:web:example.com%3A8443") == "/.well-known/did.json"
    assert did_web_document_path("did:web:example.com:issuers:seneca") == "/issuers/seneca/did.json"
    assert did_web_document_path("did:key:z6Mkabc") is None


@pytest.mark.storage
def test_status_list_etag_304_and_revocation_visible_at_once(seeded_rt) -> None:
    row = _credential(seeded_rt)
    client = _client(seeded_rt)
    url = f"/status/revocation-{row.status_list_number}"
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert "max-age=" in first.headers["cache-control"]
    assert _bit(first.content, row.status_index) is False
    cached = client.get(url, headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.headers["etag"] == etag and cached.content == b""

    with seeded_rt.Session.begin() as session:  # what the staff console does on "Revoke"
        signer = issuing.open_signer(session, settings=seeded_rt.settings)
        credential = session.get(IssuedCredential, row.id)
        issuing.change_status(session, signer=signer, credential=credential, action="revoke",
                              reason="test", actor="staff@test")

    after = client.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    assert _bit(after.content, row.status_index) is True
    with seeded_rt.Session() as session:
        stored = session.scalars(select(StatusList).where(StatusList.number == row.status_list_number,
                                                          StatusList.purpose == "revocation")).one()
        assert after.content.decode() == stored.signed_document


@pytest.mark.storage
@pytest.mark.parametrize("name", ["revocation-0", "other-1", "revocation-999999", "revocation-1x"])
def test_unknown_status_lists_are_problems(seeded_rt, name: str) -> None:
    _is_problem(_client(seeded_rt).get(f"/status/{name}"), 404)


@pytest.mark.storage
def test_public_credential_in_every_format_and_private_is_hidden(seeded_rt) -> None:
    client = _client(seeded_rt)
    di = _credential(seeded_rt, "eddsa-rdfc-2022")
    jwt_row = _credential(seeded_rt, "vc-jwt")
    # Private by default: not served until the earner publishes it, and the answer does not say it exists.
    unpublished = _is_problem(client.get(f"/credentials/{di.credential_id}"), 404)
    assert unpublished == _is_problem(client.get("/credentials/urn:uuid:00000000-0000-0000-0000-000000000000"),
                                      404) | {"instance": unpublished["instance"]}
    _publish(seeded_rt, di, jwt_row)
    as_json = client.get(f"/credentials/{di.credential_id}")
    assert as_json.status_code == 200 and as_json.json()["id"] == di.credential_id
    bare = client.get(f"/credentials/{di.credential_id.removeprefix('urn:uuid:')}")
    assert bare.status_code == 200 and bare.json()["id"] == di.credential_id
    png = client.get(f"/credentials/{di.credential_id}", params={"format": "png"})
    assert png.headers["content-type"] == "image/png"
    assert json.loads(unbake(png.content))["id"] == di.credential_id
    svg = client.get(f"/credentials/{di.credential_id}", params={"format": "svg"})
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert json.loads(unbake(svg.content))["id"] == di.credential_id
    _is_problem(client.get(f"/credentials/{di.credential_id}", params={"format": "jwt"}), 404)
    token = client.get(f"/credentials/{jwt_row.credential_id}", params={"format": "jwt"})
    assert token.status_code == 200 and token.text == jwt_row.document.strip()
    _is_problem(client.get(f"/credentials/{di.credential_id}", params={"format": "pdf"}), 400)

    with seeded_rt.Session.begin() as session:
        session.get(IssuedCredential, di.id).public = False
    _is_problem(client.get(f"/credentials/{di.credential_id}"), 404)
    _is_problem(client.get("/credentials/urn:uuid:00000000-0000-0000-0000-000000000000"), 404)


@pytest.mark.storage
def test_verify_json_matches_cli_serialisation_and_is_audited(seeded_rt) -> None:
    from mosaics_match.credentials import verify
    from mosaics_match.services.verification import build_context

    row = _credential(seeded_rt, "eddsa-rdfc-2022")
    client = _client(seeded_rt)
    resp = client.post("/api/v1/verify", content=row.document.encode(), headers={"content-type": "application/json"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["verdict"] == "valid" and body["portal"]["verdict"] == "verified"
    assert body["credential_id"] == row.credential_id
    expected = to_wire(verify(row.document.encode(), ctx=build_context(seeded_rt, remote=False)))
    assert body["verdict"] == expected["verdict"] and body["reason"] == expected["reason"]
    assert [(c["id"], c["status"], c["message"]) for c in body["checks"]] == \
        [(c["id"], c["status"], c["message"]) for c in expected["checks"]]
    assert all(isinstance(c["problems"], list) for c in body["checks"])
    with seeded_rt.Session() as session:
        event = session.get(AuditEvent, body["portal"]["audit_id"])
        assert event.action == "verify" and event.actor == "api:testclient" and event.subject == row.credential_id


@pytest.mark.storage
def test_verify_baked_png_jwt_and_multipart_with_email(seeded_rt) -> None:
    client = _client(seeded_rt)
    di = _credential(seeded_rt, "eddsa-jcs-2022")
    jwt_row = _credential(seeded_rt, "vc-jwt")
    _publish(seeded_rt, di)
    png = client.get(f"/credentials/{di.credential_id}", params={"format": "png"}).content
    by_png = client.post("/api/v1/verify", content=png, headers={"content-type": "image/png"}).json()
    assert by_png["input_kind"] == "png" and by_png["verdict"] == "valid"
    by_jwt = client.post("/api/v1/verify", content=jwt_row.document.encode(),
                         headers={"content-type": "application/jwt"}).json()
    assert by_jwt["input_kind"] == "jws" and by_jwt["verdict"] == "valid"
    with seeded_rt.Session() as session:
        email = session.get(IssuedCredential, di.id).earner.email
    right = client.post("/api/v1/verify", files={"credential": ("badge.png", png, "image/png")},
                        data={"email": email}).json()
    assert right["recipient_match"] is True and right["portal"]["email_matches"] is True
    wrong = client.post("/api/v1/verify", files={"credential": ("badge.png", png, "image/png")},
                        data={"email": "someone.else@example.com"}).json()
    assert wrong["recipient_match"] is False and wrong["portal"]["verdict"] == "not_valid"


@pytest.mark.storage
def test_verify_rejects_tampered_and_garbage_with_a_verdict_not_an_error(seeded_rt) -> None:
    client = _client(seeded_rt)
    doc = json.loads(_credential(seeded_rt, "eddsa-rdfc-2022").document)
    doc["credentialSubject"]["achievement"]["name"] = "Brain surgery"
    tampered = client.post("/api/v1/verify", json=doc).json()
    assert tampered["verdict"] == "invalid" and tampered["portal"]["authenticity"] == "forged"
    for junk in (b"\xff\xfe\x00", b"{", b"[" * 5000, b"not a credential"):
        resp = client.post("/api/v1/verify", content=junk)
        assert resp.status_code == 200 and resp.json()["verdict"] == "invalid"


@pytest.mark.storage
def test_verify_request_errors_are_problems(seeded_rt) -> None:
    client = _client(seeded_rt, max_body_bytes=1000)
    _is_problem(client.post("/api/v1/verify", content=b""), 400)
    _is_problem(client.post("/api/v1/verify", files={"other": ("a.txt", b"x")}), 400)
    body = _is_problem(client.post("/api/v1/verify", content=b"x" * 1001), 413)
    assert body["max_bytes"] == 1000

    def chunks():  # no Content-Length: the limit applies while streaming
        for _ in range(10):
            yield b"y" * 200

    _is_problem(client.post("/api/v1/verify", content=chunks()), 413)
    _is_problem(client.post("/api/v1/verify", content=b"x", headers={"content-length": "abc"}), 400)
    _is_problem(client.get("/api/v1/verify"), 405)
    _is_problem(client.get("/api/v1/nothing-here"), 404)
    assert client.get("/api/v1/verify").headers["allow"] == "POST"


@pytest.mark.storage
def test_verify_rate_limit_answers_429_with_retry_after(seeded_rt) -> None:
    client = _client(seeded_rt, verify_rate=0.01, verify_burst=2)
    for _ in range(2):
        assert client.post("/api/v1/verify", content=b"{}").status_code == 200
    limited = client.post("/api/v1/verify", content=b"{}")
    _is_problem(limited, 429)
    assert int(limited.headers["retry-after"]) >= 1


def test_token_bucket_refills_and_is_per_client() -> None:
    now = [0.0]
    limiter = TokenBucketLimiter(rate=2.0, burst=3, clock=lambda: now[0])
    assert [limiter.take("a").allowed for _ in range(4)] == [True, True, True, False]
    assert limiter.take("b").allowed  # another client has its own bucket
    refused = limiter.take("a")
    assert not refused.allowed and refused.retry_after == 1
    now[0] += 0.5  # one token back at 2 tokens per second
    assert limiter.take("a").allowed and not limiter.take("a").allowed
    now[0] += 100
    assert limiter.take("a").remaining == 2  # refilled to the burst, not beyond


def test_token_bucket_forgets_least_recent_clients() -> None:
    limiter = TokenBucketLimiter(rate=0.001, burst=1, max_clients=2, clock=lambda: 0.0)
    for client in ("a", "b", "c"):
        assert limiter.take(client).allowed
    assert limiter.take("a").allowed  # dropped, so it starts full again
    assert not limiter.take("c").allowed


@pytest.mark.storage
def test_openapi_document_is_3_1_and_lists_every_route(seeded_rt) -> None:
    resp = _client(seeded_rt).get("/api/v1/openapi.json")
    spec = resp.json()
    assert spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == {"/.well-known/did.json", "/.well-known/jwks.json", "/status/{list}",
                                  "/credentials/{id}", "/achievements/{image}", "/api/v1/verify",
                                  "/credentials/verify", "/api/v1/openapi.json"}
    for path in spec["paths"].values():
        for op in path.values():
            errors = [code for code in op["responses"] if code[0] in "45"]
            assert errors and all("application/problem+json" in op["responses"][c]["content"] for c in errors)


@pytest.mark.storage
def test_achievement_image_named_by_issued_credentials_is_served(seeded_rt) -> None:
    client = _client(seeded_rt)
    doc = json.loads(_credential(seeded_rt, "eddsa-rdfc-2022").document)
    image = doc["credentialSubject"]["achievement"]["image"]
    image_url = image["id"] if isinstance(image, dict) else image
    path = "/" + image_url.split("/", 3)[3]
    svg = client.get(path)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content and "default-src 'none'" in svg.headers["content-security-policy"]
    png = client.get(path.removesuffix(".svg") + ".png")
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    _is_problem(client.get("/achievements/no-such-thing.svg"), 404)
    _is_problem(client.get("/achievements/../etc.svg"), 404)
