"""The signed view: the credential rebuilt from the canonical N-Quads an RDF signature covers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mosaics_match.credentials import jsonld, proofs
from mosaics_match.credentials.signed_view import SignedViewError, parse_nquads, signed_view
from tests.credentials.test_verify_support import Issuer


def _same_facts(value: Any) -> Any:
    """JSON as RDF sees it: one-element lists are their element, lists are unordered."""
    if isinstance(value, dict):
        return {k: _same_facts(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_same_facts(v) for v in value]
        return items[0] if len(items) == 1 else sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


@pytest.mark.parametrize("fmt", ["eddsa-rdfc-2022", "Ed25519Signature2020"])
def test_view_of_an_issued_credential_holds_exactly_its_json_facts(fmt: str) -> None:
    issuer = Issuer()
    issuer.publish_lists()
    doc = proofs.unsecured_document(issuer.issue(fmt, index=3))
    view = signed_view(jsonld.canonicalize(doc), context=doc["@context"])
    expected = _same_facts(doc)
    got = _same_facts(view)
    # a class IRI is named by every term the contexts give it (OpenBadgeCredential = AchievementCredential)
    assert set(_listed(got.pop("type"))) >= set(_listed(expected.pop("type")))
    assert got == expected


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def test_typed_literals_become_values_and_escapes_are_read() -> None:
    nq = ('<urn:c> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
          '<https://www.w3.org/2018/credentials#VerifiableCredential> .\n'
          '<urn:c> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#hashed> '
          '"false"^^<https://www.w3.org/2001/XMLSchema#boolean> .\n'
          '<urn:c> <https://www.w3.org/ns/credentials/status#statusSize> '
          '"8"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
          '<urn:c> <https://schema.org/name> "say \\"hi\\"\\n\\u00e9"@en .\n')
    view = signed_view(nq)
    assert view["id"] == "urn:c" and view["type"] == "VerifiableCredential"
    assert view["hashed"] is False and view["statusSize"] == 8
    assert view["name"] == 'say "hi"\n\u00e9'


def test_a_graph_with_two_root_credentials_is_refused() -> None:
    line = ('<urn:{n}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
            '<https://www.w3.org/2018/credentials#VerifiableCredential> .\n')
    with pytest.raises(SignedViewError, match="2 top-level credentials"):
        signed_view(line.format(n="a") + line.format(n="b"))
    with pytest.raises(SignedViewError, match="0 top-level"):
        signed_view('<urn:a> <https://schema.org/name> "x" .\n')


def test_facts_in_named_graphs_and_unreadable_lines() -> None:
    nq = ('<urn:c> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> '
          '<https://www.w3.org/2018/credentials#VerifiableCredential> .\n'
          '<urn:c> <https://schema.org/name> "in a proof graph" _:g .\n')
    assert "name" not in signed_view(nq)
    with pytest.raises(SignedViewError):
        parse_nquads("not an n-quad\n")
