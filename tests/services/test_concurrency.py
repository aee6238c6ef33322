"""Concurrent issuing and status changes from several threads (each with its own sessions) lose nothing.

Run on PostgreSQL too: ``DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test pytest -m storage
tests/services/test_concurrency.py``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select

from mosaics_match.credentials import status as cs
from mosaics_match.services import bulk_issue, issuing
from mosaics_match.store import repo
from mosaics_match.store.models import AuditEvent, Earner, IssuedCredential, StatusList
from tests.pages.test_staff_bulk_issue import add_catalogue

THREADS = 4
PER_THREAD = 5

pytestmark = pytest.mark.storage


def _run_threads(work: list[Callable[[], None]]) -> list[BaseException]:
    """Start every callable at the same moment; return the exceptions they raised."""
    barrier = threading.Barrier(len(work))
    errors: list[BaseException] = []
    lock = threading.Lock()

    def wrap(fn: Callable[[], None]) -> None:
        barrier.wait()
        try:
            fn()
        except BaseException as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(fn,)) for fn in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung (deadlock?)"
    return errors


def _issue_many(rt, earner_ids: list[int], n: int, fmt: str) -> Callable[[], None]:
    def work() -> None:
        cache = bulk_issue.SignerCache(rt.settings)  # one decrypted key per worker, sessions per issuance
        for i in range(n):
            with rt.Session.begin() as session:
                issuing.issue_credential(
                    session, signer=cache.signer(session), earner=session.get(Earner, earner_ids[i % len(earner_ids)]),
                    achievement=repo.list_achievements(session)[0], actor="staff@x", fmt=fmt,
                )
    return work


def _flip_many(rt, credential_ids: list[str], action: str) -> Callable[[], None]:
    def work() -> None:
        cache = bulk_issue.SignerCache(rt.settings)
        for cid in credential_ids:
            with rt.Session.begin() as session:
                cred = repo.get_credential(session, credential_id=cid)
                issuing.change_status(session, signer=cache.signer(session), credential=cred, action=action,
                                      reason=f"concurrency {action}", actor="staff@x")
    return work


def _earners(rt, n: int) -> list[int]:
    with rt.Session.begin() as session:
        return [repo.create_earner(session, email=f"c{i}@example.org", name=f"C {i}").id for i in range(n)]


def _check_lists(rt) -> dict[tuple[int, str], StatusList]:
    """Stored bits, the signed list documents and the credential flags all agree."""
    with rt.Session() as session:
        lists = {(s.number, s.purpose): s for s in session.scalars(select(StatusList))}
        creds = list(session.scalars(select(IssuedCredential)))
    decoded = {}
    for key, lst in lists.items():
        doc = json.loads(lst.signed_document)
        assert "proof" in doc
        signed_bits = cs.StatusBits.decode(doc["credentialSubject"]["encodedList"])
        assert signed_bits.to_bytes() == lst.bits, f"the signed {key} list lags behind its stored bits"
        decoded[key] = cs.StatusBits(lst.size, data=lst.bits)
    for c in creds:
        assert decoded[(c.status_list_number, "revocation")].get(c.status_index) == int(c.revoked)
        assert decoded[(c.status_list_number, "suspension")].get(c.status_index) == int(c.suspended)
    return lists


def test_concurrent_first_issuances_get_unique_status_indexes(rt) -> None:
    """No status list exists yet: every worker races to create it and to take indexes."""
    add_catalogue(rt, 1)
    earner_ids = _earners(rt, 3)
    with rt.Session.begin() as session:
        issuing.ensure_local_issuer(session, settings=rt.settings)
    fmts = ["eddsa-jcs-2022", "vc-jwt", "eddsa-jcs-2022", "vc-jwt"]
    errors = _run_threads([_issue_many(rt, earner_ids, PER_THREAD, fmts[i]) for i in range(THREADS)])
    assert not errors, errors
    with rt.Session() as session:
        slots = [(c.status_list_number, c.status_index) for c in session.scalars(select(IssuedCredential))]
        audits = session.scalars(select(AuditEvent).where(AuditEvent.action == "issue")).all()
        version = repo.data_version(session)
    assert len(slots) == THREADS * PER_THREAD == len(set(slots)) == len(audits)
    assert sorted(i for _, i in slots) == list(range(THREADS * PER_THREAD))  # nothing skipped or doubled
    assert version >= THREADS * PER_THREAD  # every issuance bumped the data version
    lists = _check_lists(rt)
    assert sorted(lists) == [(1, "revocation"), (1, "suspension")]
    assert lists[(1, "revocation")].next_index == THREADS * PER_THREAD


def test_concurrent_issuing_and_revoking_lose_no_flip(rt) -> None:
    add_catalogue(rt, 1)
    earner_ids = _earners(rt, 4)
    _issue_many(rt, earner_ids, 16, "eddsa-jcs-2022")()
    with rt.Session() as session:
        ids = [c.credential_id for c in session.scalars(select(IssuedCredential).order_by(IssuedCredential.id))]
        versions = {(s.number, s.purpose): s.version for s in session.scalars(select(StatusList))}
        data_version = repo.data_version(session)
    revoke, suspend = ids[:8], ids[8:]
    work = [
        _flip_many(rt, revoke[:4], "revoke"), _flip_many(rt, revoke[4:], "revoke"),
        _flip_many(rt, suspend[:4], "suspend"), _flip_many(rt, suspend[4:], "suspend"),
        _issue_many(rt, earner_ids, PER_THREAD, "vc-jwt"), _issue_many(rt, earner_ids, PER_THREAD, "eddsa-jcs-2022"),
    ]
    errors = _run_threads(work)
    assert not errors, errors
    with rt.Session() as session:
        creds = {c.credential_id: c for c in session.scalars(select(IssuedCredential))}
        assert repo.data_version(session) == data_version + 16 + 2 * PER_THREAD
    assert all(creds[c].revoked for c in revoke) and all(creds[c].suspended for c in suspend)
    assert sum(c.revoked or c.suspended for c in creds.values()) == 16
    slots = [(c.status_list_number, c.status_index) for c in creds.values()]
    assert len(creds) == 16 + 2 * PER_THREAD == len(set(slots))
    lists = _check_lists(rt)
    # Every flip re-signed its list once: no re-signing was lost to a concurrent one.
    assert lists[(1, "revocation")].version == versions[(1, "revocation")] + 8
    assert lists[(1, "suspension")].version == versions[(1, "suspension")] + 8


def test_concurrent_suspend_and_revoke_of_one_credential_stay_consistent(rt) -> None:
    add_catalogue(rt, 1)
    earner_ids = _earners(rt, 1)
    _issue_many(rt, earner_ids, 1, "eddsa-jcs-2022")()
    with rt.Session() as session:
        cid = session.scalars(select(IssuedCredential.credential_id)).one()

    outcomes: list[str] = []

    def attempt(action: str) -> Callable[[], None]:
        def work() -> None:
            try:
                _flip_many(rt, [cid], action)()
                outcomes.append(action)
            except issuing.IssuingError:
                outcomes.append(f"refused {action}")
        return work

    errors = _run_threads([attempt("revoke"), attempt("revoke"), attempt("suspend")])
    assert not errors, errors
    with rt.Session() as session:
        cred = repo.get_credential(session, credential_id=cid)
        revocations = session.scalars(select(AuditEvent).where(AuditEvent.action == "revoke")).all()
    assert cred.revoked
    # Revocation is final: exactly one revoke went through, the other was refused after seeing it.
    assert outcomes.count("revoke") == 1 and outcomes.count("refused revoke") == 1 and len(revocations) == 1
    _check_lists(rt)
