"""Trust registry: identifier validation, add/annotate/remove, bounded JSON import and a round-tripping export."""

from __future__ import annotations

import json

import pytest

from mosaics_match.credentials.trust import TrustRegistry
from mosaics_match.services import issuing
from mosaics_match.store import repo


@pytest.mark.parametrize(
    ("value", "normal"),
    [("did:web:example.edu", "did:web:example.edu"), ("did:web:example.edu:dept%3A1", "did:web:example.edu:dept%3A1"),
     ("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
      "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
     (" https://badges.example.com/issuer/ ", "https://badges.example.com/issuer")],
)
def test_valid_identifiers_are_normalised(value: str, normal: str) -> None:
    assert repo.normalise_issuer_identifier(value) == normal


@pytest.mark.parametrize(
    ("value", "message"),
    [("", "empty"), ("did:", "not a valid DID"), ("did:Web:x", "not a valid DID"), ("did:web:a b", "not a valid DID"),
     ("ftp://example.com", "neither a DID"), ("https://", "neither a DID"), ("example.com", "neither a DID"),
     ("https://user:pw@example.com", "user name or password"), ("did:web:" + "a" * 600, "longer than 500")],
)
def test_invalid_identifiers_are_refused_with_a_reason(value: str, message: str) -> None:
    with pytest.raises(repo.TrustFileError, match=message):
        repo.normalise_issuer_identifier(value)


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "empty"), (b"[1]", '"issuers" list'), (b"{not json", "not valid JSON"),
     (b'{"issuers": [{"id": "did:web:a.example"}]}', 'needs a "name"'),
     (b'{"issuers": [{"id": "nope", "name": "X"}]}', "entry 1: 'nope'"),
     (b'{"issuers": [{"id": "did:web:a.example", "name": "A"}, {"id": "did:web:a.example", "name": "B"}]}', "repeats"),
     (b'{"issuers": [{"id": "did:web:a.example", "name": "A", "notes": 5}]}', '"notes" must be text')],
)
def test_bad_trust_files_import_nothing(data: bytes, message: str) -> None:
    with pytest.raises(repo.TrustFileError, match=message):
        repo.parse_trust_document(data)


def test_trust_file_bounds() -> None:
    many = {"issuers": [{"id": f"did:web:i{i}.example", "name": "I"} for i in range(6)]}
    with pytest.raises(repo.TrustFileError, match="limit is 5"):
        repo.parse_trust_document(json.dumps(many), max_entries=5)
    with pytest.raises(repo.TrustFileError, match="bytes"):
        repo.parse_trust_document(b" " * (repo.MAX_TRUST_FILE_BYTES + 1))


@pytest.mark.storage
def test_add_annotate_remove_import_export_round_trip(rt) -> None:
    with rt.Session.begin() as session:
        local = issuing.ensure_local_issuer(session, settings=rt.settings)
        local_id = local.identifier
        repo.trust_issuer(session, entry=repo.TrustEntry("did:web:college.example", "College"), actor="s")
        repo.trust_issuer(session, entry=repo.TrustEntry("did:web:college.example", "The College", "since 2024"),
                          actor="s")
    with rt.Session.begin() as session:
        with pytest.raises(repo.TrustFileError, match="own issuer"):
            repo.untrust_issuer(session, identifier=local_id, actor="s")
        with pytest.raises(repo.TrustFileError, match="not in the trust registry"):
            repo.untrust_issuer(session, identifier="did:web:unknown.example", actor="s")
        exported = repo.export_trust_registry(session)
    assert {"id": "did:web:college.example", "name": "The College", "notes": "since 2024"} in exported["issuers"]
    assert TrustRegistry.from_json(exported).is_trusted("did:web:college.example")  # the engine reads our format

    with rt.Session.begin() as session:
        repo.untrust_issuer(session, identifier="did:web:college.example", actor="s")
        assert "did:web:college.example" not in {i.identifier for i in repo.trusted_issuers(session)}
    entries = repo.parse_trust_document(json.dumps(exported))
    with rt.Session.begin() as session:
        counts = repo.import_trust_registry(session, entries=entries, actor="s")
    assert counts == {"added": 1, "updated": 0, "unchanged": 1}
    with rt.Session.begin() as session:
        assert repo.export_trust_registry(session) == exported
        assert repo.import_trust_registry(session, entries=entries, actor="s") == {"added": 0, "updated": 0,
                                                                                   "unchanged": 2}
        actions = [e.action for e in repo.list_audit(session)]
    assert {"trust_add", "trust_update", "trust_remove", "trust_import"} <= set(actions)
