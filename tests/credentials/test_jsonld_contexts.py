"""Pinned JSON-LD contexts: integrity against the manifest, every URL resolvable, nothing else resolvable."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld import jsonld as pyld_jsonld

from mosaics_match.credentials import jsonld
from mosaics_match.credentials.errors import ContextError
from tests.conftest import shared_dir

EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"

# Copies of the same URLs in ../shared/vectors (published by the spec repos rather than npm).
VECTOR_COPIES = {
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json":
        ("1edtech-openbadges-specification", "ob_v3p0/context.json"),
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json":
        ("1edtech-openbadges-specification", "ob_v3p0/context-3.0.1.json"),
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json":
        ("1edtech-openbadges-specification", "ob_v3p0/context-3.0.2.json"),
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json":
        ("1edtech-openbadges-specification", "ob_v3p0/context-3.0.3.json"),
    "https://www.w3.org/ns/credentials/status/v1": ("w3c-vc-bitstring-status-list", "contexts/v1.jsonld"),
    "https://w3id.org/vc/status-list/2021/v1": ("w3c-vc-bitstring-status-list", "contexts/2021/v1.jsonld"),
}
# Known, documented differences (contexts/README.md): the vc-di-eddsa repo carries an older draft.
KNOWN_DIFFERENT = {
    "https://w3id.org/security/suites/ed25519-2020/v1": ("w3c-vc-di-eddsa", "contexts/lds-ed25519-2020-v1.json"),
}


def test_every_pinned_file_matches_its_manifest_hash() -> None:
    entries = jsonld.pinned_contexts()
    assert entries, "manifest lists no contexts"
    for e in entries:
        raw = (jsonld.CONTEXTS_DIR / e["file"]).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == e["sha256"], e["file"]
        for field in ("url", "file", "package", "version", "licence", "sha256"):
            assert e.get(field), (e["file"], field)


def test_manifest_urls_are_unique_and_every_file_is_listed() -> None:
    entries = jsonld.pinned_contexts()
    urls = [e["url"] for e in entries]
    assert len(urls) == len(set(urls))
    listed = {e["file"] for e in entries}
    on_disk = {p.name for p in jsonld.CONTEXTS_DIR.iterdir() if p.suffix in (".json", ".jsonld")} - {"MANIFEST.json"}
    assert on_disk == listed


def test_every_product_url_resolves_to_its_own_document() -> None:
    for e in jsonld.pinned_contexts():
        if e.get("scope", "product") != "product":
            continue
        got = jsonld.document_loader(e["url"])
        assert got["documentUrl"] == e["url"]
        assert got["document"] == json.loads((jsonld.CONTEXTS_DIR / e["file"]).read_bytes())
        assert "@context" in got["document"]


def test_ob_unversioned_and_303_urls_are_distinct_documents() -> None:
    base = jsonld.document_loader("https://purl.imsglobal.org/spec/ob/v3p0/context.json")["document"]
    v303 = jsonld.document_loader("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json")["document"]
    assert base != v303


def test_unknown_and_test_only_urls_are_refused() -> None:
    for url in (EXAMPLES_V2, "https://example.com/ctx", "https://w3id.org/citizenship/v4rc1"):
        with pytest.raises(ContextError) as info:
            jsonld.document_loader(url)
        assert info.value.code == "jsonld.context.unknown"


def test_a_tampered_pinned_file_is_rejected(tmp_path, monkeypatch) -> None:
    entry = next(e for e in jsonld.pinned_contexts() if e["url"].endswith("credentials/v2"))
    bad = dict(entry, sha256="0" * 64)
    with pytest.raises(ContextError) as info:
        jsonld._load_pinned_file(bad)
    assert info.value.code == "jsonld.context.integrity"


def test_extra_documents_cannot_replace_pinned_ones() -> None:
    with pytest.raises(ContextError):
        jsonld.document_loader_with({"https://www.w3.org/ns/credentials/v2": {"@context": {"@vocab": "urn:x#"}}})


def test_extra_contexts_are_scoped_to_the_with_block() -> None:
    doc = {"@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES_V2], "type": "VerifiableCredential",
           "credentialSubject": {"alumniOf": "x"}, "issuer": "urn:x"}
    with jsonld.extra_contexts({EXAMPLES_V2: {"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}}):
        assert "examples#alumniOf" in jsonld.canonicalize(doc)
    with pytest.raises(ContextError):
        jsonld.canonicalize(doc)


@pytest.mark.parametrize("url", sorted(VECTOR_COPIES))
def test_pinned_context_matches_the_spec_repository_copy(url: str) -> None:
    folder, rel = VECTOR_COPIES[url]
    published = json.loads((shared_dir("vectors", folder) / rel).read_text("utf-8"))
    assert jsonld.document_loader(url)["document"] == published


def test_known_difference_is_still_a_difference() -> None:
    # If this starts failing the README note about the older ed25519-2020 draft is out of date.
    for url, (folder, rel) in KNOWN_DIFFERENT.items():
        published = json.loads((shared_dir("vectors", folder) / rel).read_text("utf-8"))
        assert jsonld.document_loader(url)["document"] != published


def test_undefined_terms_reports_json_pointers() -> None:
    doc = {"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["VerifiableCredential", "Mystery"],
           "issuer": "did:example:1", "issuanceDate": "2024-01-01T00:00:00Z",
           "credentialSubject": {"id": "did:example:2", "nickname": "x"}, "extra": 1}
    assert jsonld.undefined_terms(doc) == ["/credentialSubject/nickname", "/extra", "/type/1"]
    clean = {k: v for k, v in doc.items() if k != "extra"}
    clean["type"] = ["VerifiableCredential"]
    clean["credentialSubject"] = {"id": "did:example:2"}
    assert jsonld.undefined_terms(clean) == []


# --- the fast RDFC-1.0 path and the context memo must give exactly pyld's output -------------------------------


VOCAB = {EXAMPLES_V2: {"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}}
OB_CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
              EXAMPLES_V2]

_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_scalar = st.one_of(_text, st.integers(-10**6, 10**6), st.booleans(),
                    st.floats(allow_nan=False, allow_infinity=False, width=32))
_key = st.sampled_from(["name", "description", "alumniOf", "grade", "note", "level", "score", "tag", "validFrom",
                        "image", "url", "narrative", "targetUrl", "identityHash", "salt", "email", "source",
                        "inLanguage", "tags", "@id", "@type", "@language"])


def _node(depth: int):
    leaf = st.dictionaries(_key, st.one_of(_scalar, st.lists(_scalar, max_size=3)), max_size=3)
    if depth == 0:
        return leaf
    child = _node(depth - 1)
    return st.builds(
        lambda base, kids, ident, typ: {**base, **kids, **({"id": ident} if ident else {}),
                                        **({"type": typ} if typ else {})},
        leaf,
        st.dictionaries(st.sampled_from(["knows", "part", "evidenceItem", "achievement", "criteria", "alignment",
                                         "evidence", "image", "result", "resultDescription", "identifier"]),
                        st.one_of(child, st.lists(child, max_size=3)), max_size=2),
        st.one_of(st.none(), st.sampled_from(["urn:x:1", "urn:x:2", "did:example:3"])),
        st.one_of(st.none(), st.sampled_from(["Thing", "Achievement", "Profile"])),
    )


_SHARED_LOADER = jsonld.document_loader_with(VOCAB)


def _reference(doc: dict) -> str | None:
    """Plain pyld's canonical form, or None where pyld rejects the document."""
    loader = jsonld.document_loader_with(VOCAB)
    try:
        return pyld_jsonld.normalize(doc, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                           "documentLoader": lambda url, options=None: loader(url, options)})
    except pyld_jsonld.JsonLdError:
        return None


def _ours(doc: dict, loader) -> str | None:
    try:
        return jsonld.canonicalize(doc, loader=loader)
    except ContextError:
        return None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=_node(2), issuer_name=_text)
def test_fast_canonicalization_equals_pyld(subject: dict, issuer_name: str) -> None:
    doc = {"@context": OB_CONTEXT, "type": ["VerifiableCredential", "OpenBadgeCredential"],
           "issuer": {"id": "did:example:issuer", "type": "Profile", "name": issuer_name},
           "credentialSubject": subject}
    # One loader for all examples, so later examples run on memoized contexts.
    assert _ours(doc, _SHARED_LOADER) == _reference(doc)


def test_identical_blank_nodes_take_the_full_algorithm(monkeypatch) -> None:
    doc = {"@context": OB_CONTEXT, "type": "VerifiableCredential", "issuer": "did:example:i",
           "credentialSubject": {"knows": [{"name": "twin"}, {"name": "twin"}, {"knows": {"name": "twin"}}]}}
    calls = []
    original = jsonld.URDNA2015.main

    def spy(self, dataset, options):
        calls.append(1)
        return original(self, dataset, options)

    monkeypatch.setattr(jsonld.URDNA2015, "main", spy)
    loader = jsonld.document_loader_with(VOCAB)
    assert jsonld.canonicalize(doc, loader=loader) == _reference(doc)
    assert calls, "shared first-degree hashes must fall back to the full RDFC-1.0 algorithm"


def test_blank_node_limit() -> None:
    doc = {"@context": OB_CONTEXT, "type": "VerifiableCredential", "issuer": "did:example:i",
           "credentialSubject": {"knows": [{"name": str(i)} for i in range(jsonld.MAX_BLANK_NODES + 5)]}}
    with pytest.raises(ContextError) as info:
        jsonld.canonicalize(doc, loader=jsonld.document_loader_with(VOCAB))
    assert info.value.code == "jsonld.too_complex"


# Strings that stress the shape templates: IRIs, compact IRIs, keywords, blank node ids, duplicates.
_tricky = st.one_of(_text, st.sampled_from([
    "", "a", "a", "did:example:1", "urn:x:1", "xsd:string", "_:b0", "@id", "http://example.org/base/x",
    "Achievement", "Profile", "en", "2024-01-01T00:00:00Z", "rel/path", "\u00e9", "line\nbreak", "\\\"",
])),


def _with_strings(node, values: list[str], pos: list[int]):
    if isinstance(node, str):
        v = values[pos[0] % len(values)]
        pos[0] += 1
        return v
    if isinstance(node, dict):
        return {k: (v if k == "@context" else _with_strings(v, values, pos)) for k, v in node.items()}
    if isinstance(node, list):
        return [_with_strings(v, values, pos) for v in node]
    return node


_SHAPE_LOADER = jsonld.document_loader_with(VOCAB)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=_node(2), variants=st.lists(st.lists(_tricky[0], min_size=1, max_size=6), min_size=2, max_size=4))
def test_same_shape_documents_canonicalize_like_pyld(subject: dict, variants: list[list[str]]) -> None:
    base = {"@context": OB_CONTEXT, "id": "urn:uuid:1", "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {"id": "did:example:issuer", "type": "Profile", "name": "Issuer"},
            "name": "Badge", "credentialSubject": {"type": "AchievementSubject", "name": "Ada", **subject}}
    for values in variants:
        doc = _with_strings(base, values, [0])
        expected = _reference(doc)
        assert _ours(doc, _SHAPE_LOADER) == expected
        if expected is not None:
            assert jsonld.undefined_terms(doc, loader=_SHAPE_LOADER) == jsonld.undefined_terms(
                doc, loader=jsonld.document_loader_with(VOCAB))


def test_shape_templates_are_used_for_same_shape_documents(monkeypatch) -> None:
    loader = jsonld.document_loader_with(VOCAB)
    docs = [{"@context": OB_CONTEXT, "id": f"urn:uuid:{i}", "type": ["VerifiableCredential"],
             "issuer": "did:example:issuer", "name": f"Badge {i}",
             "credentialSubject": {"id": f"did:example:{i}", "name": ["same", "same", f"n{i}"]}}
            for i in range(4)]
    jsonld.canonicalize(docs[0], loader=loader)
    calls = []
    original = jsonld._dataset
    monkeypatch.setattr(jsonld, "_dataset", lambda *a, **k: calls.append(1) or original(*a, **k))
    for d in docs[1:]:
        assert jsonld.canonicalize(d, loader=loader) == _reference(d)
    assert calls == [], "documents of the same shape must not be expanded again"


# --- shape templates on the credentials this portal issues ---------------------------------------------------------

from datetime import UTC, datetime, timedelta  # noqa: E402

from mosaics_match.credentials.build import build_credential, ob3_jwt_payload  # noqa: E402
from mosaics_match.credentials.status import StatusBits, build_status_list_credential, status_entry  # noqa: E402

# Small pools, so that values often coincide (equal ids merge nodes; equal literals collapse triples).
_iri = st.one_of(
    st.sampled_from(["urn:uuid:1", "did:example:issuer", "https://mosaics.example/a/1", "https://mosaics.example/a/1",
                     "http://data.europa.eu/esco/skill/1", "did:key:z6Mk1", "xsd:string", "schema:Thing",
                     "urn:x:\u00e9"]),
    st.builds(lambda scheme, tail: f"{scheme}:{tail}", st.sampled_from(["urn", "did", "https", "mailto", "tag"]),
              st.text(alphabet="abcXYZ019-._~/#:%", min_size=1, max_size=10)),
)
_words = st.one_of(_text.filter(str.strip), st.sampled_from(["Achievement", "Profile", "en", "hours:40", "@id",
                                                             "_:b0", "2024-01-01T00:00:00Z", "a", "a",
                                                             "\ue0020\ue003", "{0}", "x}{"]))
_when = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1),
                     timezones=st.just(UTC))


@st.composite
def _issued(draw) -> dict:
    valid_from = draw(_when)
    alignments = draw(st.lists(st.fixed_dictionaries(
        {"targetName": _words, "targetUrl": _iri},
        optional={"targetFramework": _words, "targetCode": _words, "targetDescription": _words}), max_size=2))
    achievement = {"id": draw(_iri), "name": draw(_words), "description": draw(_words), "criteria": draw(_words),
                   "alignments": alignments, "hours": draw(st.integers(1, 400)), "level": draw(_words)}
    status = [status_entry(list_url=draw(_iri), index=draw(st.integers(0, 10**6)), purpose=p)
              for p in draw(st.sampled_from([(), ("revocation",), ("revocation", "suspension")]))]
    return build_credential(
        credential_id=draw(_iri), issuer={"id": draw(_iri), "name": draw(_words), "url": draw(_iri)},
        achievement=achievement, recipient_email=draw(_words) + "@example.com",
        salt=draw(st.text(alphabet="0123456789abcdef", min_size=8, max_size=16)), earner_name=draw(_words),
        valid_from=valid_from,
        valid_until=draw(st.one_of(st.none(), st.just(valid_from + timedelta(days=draw(st.integers(1, 2000)))))),
        status=status)


def _pyld_only(doc: dict) -> str:
    return jsonld.canonicalize_pyld(doc, loader=jsonld.document_loader_with({}))


_ISSUED_LOADER = jsonld.document_loader_with({})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cred=_issued())
def test_issued_credentials_canonicalize_like_pyld(cred: dict) -> None:
    # One loader for all examples: later examples run on templates made by earlier ones.
    assert jsonld.canonicalize(cred, loader=_ISSUED_LOADER) == _pyld_only(cred)
    assert jsonld.undefined_terms(cred, loader=_ISSUED_LOADER) == jsonld.undefined_terms(
        cred, loader=jsonld.document_loader_with({}))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cred=_issued())
def test_vc11_jwt_payloads_canonicalize_like_pyld(cred: dict) -> None:
    # iss/jti/nbf/exp are not JSON-LD terms: dropped, and reported as undefined, whatever their values.
    payload = ob3_jwt_payload(cred)
    assert jsonld.canonicalize(payload, loader=_ISSUED_LOADER) == _pyld_only(payload)
    assert jsonld.undefined_terms(payload, loader=_ISSUED_LOADER) == jsonld.undefined_terms(
        payload, loader=jsonld.document_loader_with({}))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(url=_iri, issuer=_iri, purpose=st.sampled_from(["revocation", "suspension", "message"]),
       set_bits=st.lists(st.integers(0, 131071), max_size=5), when=_when)
def test_status_list_credentials_canonicalize_like_pyld(url: str, issuer: str, purpose: str, set_bits: list[int],
                                                        when: datetime) -> None:
    bits = StatusBits()
    for i in set_bits:
        bits.set(i)
    doc = build_status_list_credential(list_url=url, issuer=issuer, purpose=purpose, bits=bits, valid_from=when,
                                       valid_until=when + timedelta(days=1))
    assert jsonld.canonicalize(doc, loader=_ISSUED_LOADER) == _pyld_only(doc)


def test_issued_credentials_share_one_template(monkeypatch) -> None:
    loader = jsonld.document_loader_with({})
    base = datetime(2025, 3, 1, tzinfo=UTC)

    def cred(n: int) -> dict:
        return build_credential(
            credential_id=f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
            issuer={"id": "did:key:z6MkTest", "name": "Seneca Polytechnic", "url": "https://example.edu"},
            achievement={"id": f"https://mosaics.example/achievements/a{n % 3}", "name": f"Badge {n % 3}",
                         "description": f"About {n}", "criteria": "Passed.", "hours": n, "level": "Intro",
                         "alignments": [{"targetName": f"skill {n}", "targetUrl": f"http://esco.example/s/{n}"}]},
            recipient_email=f"e{n}@example.com", salt=f"salt{n:08d}", earner_name=f"Earner {n}",
            valid_from=base + timedelta(days=n), valid_until=base + timedelta(days=900 + n),
            status=[status_entry(list_url=f"https://mosaics.example/status/{p}-{n % 2}", index=n, purpose=p)
                    for p in ("revocation", "suspension")])

    jsonld.canonicalize(cred(0), loader=loader)
    calls = []
    original = jsonld._dataset
    monkeypatch.setattr(jsonld, "_dataset", lambda *a, **k: calls.append(1) or original(*a, **k))
    for n in range(1, 8):
        assert jsonld.canonicalize(cred(n), loader=loader) == _pyld_only(cred(n))
    assert calls == [], "credentials that differ only in values must reuse one template"
    assert len(loader.shape_templates) == 1


