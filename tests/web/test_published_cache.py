"""Status lists, the DID document and the JWK Set are answered from memory per data version, and a change made by
another process is served on the next (conditional) request by every worker of ``uvicorn ... --workers 2``."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from mosaics_match.services import issuing
from tests.conftest import free_port, serving
from tests.web.test_deployment_replicas import bit, get, issue_one, revoke

pytestmark = pytest.mark.storage


@contextmanager
def route_workers(db_url: str, log: Path, *, port: int, issuer_did: str = "", workers: int = 2) -> Iterator[str]:
    """``uvicorn mosaics_match.web.routes_app:app --workers N`` (the documented route pool); yields its URL."""
    command = [sys.executable, "-m", "uvicorn", "mosaics_match.web.routes_app:app", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--no-proxy-headers"]
    with serving(command, port=port, ready_path="/api/v1/health", log=log, what="the route workers", db_url=db_url,
                 issuer_did=issuer_did, stop_wait=15) as url:
        yield url


def _each_new_connection(url: str, headers: dict[str, str], times: int = 6) -> list[tuple[int, dict, bytes]]:
    # urllib opens a new connection per request, so the kernel spreads them over both workers.
    return [get(url, headers) for _ in range(times)]


def test_status_list_change_by_another_process_is_seen_on_the_next_conditional_request(rt, db_url, tmp_path) -> None:
    row = issue_one(rt)
    path = f"/status/revocation-{row.status_list_number}"
    port = free_port()
    with route_workers(db_url, tmp_path / "routes.log", port=port) as url:
        status, headers, body = get(url + path)
        assert status == 200 and bit(body, row.status_index) is False
        etag = headers["etag"]
        # Every worker now answers 304 (from memory, after the first load of its own).
        assert {s for s, _, _ in _each_new_connection(url + path, {"If-None-Match": etag})} == {304}

        revoke(rt, row)  # this test process is the "other" process: the staff console of another replica

        for status, headers, body in _each_new_connection(url + path, {"If-None-Match": etag}):
            assert status == 200 and headers["etag"] != etag
            assert bit(body, row.status_index) is True
        new_etag = headers["etag"]
        assert {s for s, _, _ in _each_new_connection(url + path, {"If-None-Match": new_etag})} == {304}


def test_did_document_and_jwks_follow_a_key_rotation_made_elsewhere(rt, db_url, tmp_path) -> None:
    port = free_port()
    did = f"did:web:127.0.0.1%3A{port}"
    rt_did = replace(rt, settings=replace(rt.settings, issuer_did=did))
    with route_workers(db_url, tmp_path / "routes.log", port=port, issuer_did=did) as url:
        assert get(url + "/.well-known/did.json")[0] == 404  # no key under the did:web yet (not cached)
        with rt_did.Session.begin() as session:
            first = issuing.rotate_key(session, settings=rt_did.settings, actor="staff@test").verification_method
        status, headers, body = get(url + "/.well-known/did.json")
        listed = json.loads(body)["assertionMethod"]
        assert status == 200 and listed[-1] == first
        etag = headers["etag"]
        jwks_etag = get(url + "/.well-known/jwks.json")[1]["etag"]
        assert {s for s, _, _ in _each_new_connection(url + "/.well-known/did.json", {"If-None-Match": etag})} == {304}

        with rt_did.Session.begin() as session:
            second = issuing.rotate_key(session, settings=rt_did.settings, actor="staff@test").verification_method

        for status, headers, body in _each_new_connection(url + "/.well-known/did.json", {"If-None-Match": etag}):
            assert status == 200 and headers["etag"] != etag
            assert json.loads(body)["assertionMethod"] == [*listed, second]  # retired keys stay listed
        status, headers, body = get(url + "/.well-known/jwks.json", {"If-None-Match": jwks_etag})
        assert status == 200 and [k["kid"] for k in json.loads(body)["keys"]] == [*listed, second]
