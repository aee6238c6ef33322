"""Two replicas of ``uvicorn asgi:app`` on one database: a revocation made through one (the staff console's
``issuing.change_status``) is served by the other's ``/status/...`` at once. PostgreSQL when DATABASE_URL is one."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mosaics_match.credentials import StatusBits
from mosaics_match.services import issuing
from mosaics_match.store import repo
from mosaics_match.store.models import IssuedCredential
from tests.conftest import free_port, serving
from tests.pages.test_staff_bulk_issue import add_catalogue

pytestmark = pytest.mark.storage


@contextmanager
def replica(db_url: str, log: Path, *, port: int | None = None, base_url: str | None = None,
            issuer_did: str = "", streamlit_run: bool = False) -> Iterator[str]:
    """``python -m uvicorn asgi:app`` on a free port (the documented production command); yields its URL.

    ``streamlit_run=True`` starts ``streamlit run portal.py`` instead (the README's command: Streamlit finds the
    st.App in portal.py and serves it).
    """
    port = port or free_port()
    if streamlit_run:
        command = [sys.executable, "-m", "streamlit", "run", "portal.py", "--server.port", str(port),
                   "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    else:
        command = [sys.executable, "-m", "uvicorn", "asgi:app", "--host", "127.0.0.1", "--port", str(port)]
    with serving(command, port=port, ready_path="/api/v1/openapi.json", log=log, what="the replica", db_url=db_url,
                 base_url=base_url, issuer_did=issuer_did) as url:
        yield url


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET without raising on 3xx/4xx/5xx."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def issue_one(rt, *, fmt: str = "eddsa-rdfc-2022") -> IssuedCredential:
    """One credential for a new earner in a fresh database."""
    slug = add_catalogue(rt, 1)[0]
    with rt.Session.begin() as session:
        earner = repo.create_earner(session, email="ada@example.com", name="Ada Lovelace")
        signer = issuing.open_signer(session, settings=rt.settings)
        receipt = issuing.issue_credential(session, signer=signer, earner=earner,
                                           achievement=repo.get_achievement(session, slug=slug), actor="staff@test",
                                           fmt=fmt)
        row = receipt.credential
        session.flush()
        session.expunge(row)
    return row


def revoke(rt, row: IssuedCredential) -> None:
    """What the staff console's Revoke button does."""
    with rt.Session.begin() as session:
        signer = issuing.open_signer(session, settings=rt.settings)
        issuing.change_status(session, signer=signer, credential=session.get(IssuedCredential, row.id),
                              action="revoke", reason="issued in error", actor="staff@test")


def bit(document: bytes, index: int) -> bool:
    doc = json.loads(document)
    return bool(StatusBits.decode(doc["credentialSubject"]["encodedList"]).get(index))


def test_revocation_through_one_replica_is_served_by_the_other_at_once(rt, db_url, tmp_path) -> None:
    row = issue_one(rt)
    path = f"/status/revocation-{row.status_list_number}"
    with replica(db_url, tmp_path / "a.log") as a, replica(db_url, tmp_path / "b.log") as b:
        status_a, headers_a, before_a = get(a + path)
        status_b, headers_b, before_b = get(b + path)
        assert status_a == status_b == 200
        assert headers_a["etag"] == headers_b["etag"] and before_a == before_b  # same list, same version
        assert bit(before_b, row.status_index) is False
        etag = headers_b["etag"]
        assert get(b + path, {"If-None-Match": etag})[0] == 304

        revoke(rt, row)

        status, headers, after = get(b + path, {"If-None-Match": etag})
        assert status == 200 and headers["etag"] != etag
        assert bit(after, row.status_index) is True
        # and the other replica's verification API sees it too (its engine caches are keyed by list versions)
        request = urllib.request.Request(f"{a}/api/v1/verify", data=row.document.encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as resp:
            result = json.loads(resp.read())
        assert result["verdict"] == "invalid"
        failed = {c["id"] for c in result["checks"] if c["status"] == "failure"}
        assert "status.revocation" in failed


def test_real_server_serves_the_ui_and_problem_json(rt, db_url, tmp_path) -> None:
    with replica(db_url, tmp_path / "a.log") as url:
        status, headers, body = get(url + "/")
        assert status == 200 and headers["content-type"].startswith("text/html")  # Streamlit's page shell
        assert get(url + "/_stcore/health")[0] == 200
        status, headers, body = get(url + "/.well-known/did.json")
        assert status == 404 and headers["content-type"].startswith("application/problem+json")
        assert "did:key" in json.loads(body)["detail"]
        status, headers, body = get(url + "/api/v1/unknown")
        assert status == 404 and json.loads(body)["type"].endswith(":not-found")
        # A declared 50 MB body is refused from its headers alone: nothing of it is ever sent.
        import socket

        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 50000000\r\n\r\n")
            answer = sock.recv(65536).decode("latin-1")
        assert answer.startswith("HTTP/1.1 413") and "application/problem+json" in answer
        request = urllib.request.Request(url + "/status/revocation-1", method="HEAD")
        with pytest.raises(urllib.error.HTTPError) as failed:  # HEAD of a missing list: the problem's headers
            urllib.request.urlopen(request, timeout=10)
        assert failed.value.code == 404
        assert failed.value.headers["content-type"].startswith("application/problem+json")


def test_streamlit_run_portal_serves_the_routes_too(rt, db_url, tmp_path) -> None:
    from mosaics_match.services import sharing
    from mosaics_match.store.models import IssuedCredential

    row = issue_one(rt)
    with rt.Session.begin() as session:  # credentials are private until their earner publishes them
        sharing.set_published(session, row=session.get(IssuedCredential, row.id), public=True, actor="earner")
    with replica(db_url, tmp_path / "st.log", streamlit_run=True) as url:
        status, headers, body = get(f"{url}/status/revocation-{row.status_list_number}")
        assert status == 200 and headers["etag"]
        assert get(url + "/_stcore/health")[0] == 200
        status, _, body = get(f"{url}/credentials/{row.credential_id}")
        assert status == 200 and json.loads(body)["id"] == row.credential_id
