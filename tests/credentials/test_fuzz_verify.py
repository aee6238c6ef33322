"""Property-based fuzzing of verify(): random and mutated JSON, tokens, PNG and SVG never escape as exceptions,
and every result explains itself."""

from __future__ import annotations

import base64
import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from mosaics_match.credentials import jsonld
from mosaics_match.credentials.bake import bake_png, bake_svg
from mosaics_match.credentials.errors import ContextError
from mosaics_match.credentials.verifier import CHECKS, VerifyContext, verify
from tests.credentials.test_verify_support import NOW, Issuer

ISSUER = Issuer()
ISSUER.publish_lists()
SIGNED = ISSUER.issue()
TOKEN = ISSUER.issue("jwt")
CTX = VerifyContext(clock=lambda: NOW, fetcher=ISSUER.fetcher)
_buf = io.BytesIO()
Image.new("RGB", (2, 2)).save(_buf, "PNG")
PNG = bake_png(_buf.getvalue(), SIGNED)
SVG = bake_svg('<svg xmlns="http://www.w3.org/2000/svg"/>', SIGNED).encode()

FUZZ = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
keys_of_interest = st.sampled_from(["@context", "type", "issuer", "credentialSubject", "proof", "validFrom",
                                    "validUntil", "issuanceDate", "credentialStatus", "id", "expirationDate"])


def _assert_explained(r) -> None:
    assert r.verdict in ("valid", "invalid", "indeterminate")
    assert [c.id for c in r.checks] == list(CHECKS)
    assert all(c.status in ("success", "failure", "indeterminate", "skipped") and c.message for c in r.checks)
    assert r.reason
    json.dumps(r.to_dict())


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    r = verify(data, ctx=CTX)
    _assert_explained(r)
    assert r.verdict != "valid"


@FUZZ
@given(json_values)
def test_random_json(value) -> None:
    _assert_explained(verify(json.dumps(value), ctx=CTX))


@FUZZ
@given(keys_of_interest, json_values)
def test_mutated_credential_field(key: str, value) -> None:
    doc = dict(SIGNED)
    doc[key] = value
    r = verify(doc, ctx=CTX)
    _assert_explained(r)
    # JSON-LD reads null, [] and [null] as "no value", so adding such a member leaves the signed RDF (and so the
    # signed view every later check reads) unchanged
    assert r.verdict != "valid" or doc == SIGNED or (_no_value(value) and key not in SIGNED)


def _no_value(value) -> bool:
    """JSON-LD's "nothing": null, or an array holding only such values (JSON-LD drops nulls in arrays)."""
    return value is None or (isinstance(value, list) and all(_no_value(v) for v in value))


def _signed_rdf(doc: dict) -> tuple[str, str] | None:
    """What an ``eddsa-rdfc-2022`` signature covers, canonicalized by pyld alone (not the verifier's fast path).

    Parameters
    ----------
    doc : dict
        A credential with a Data Integrity proof.

    Returns
    -------
    tuple of str, or None
        The canonical N-Quads of the credential without its proof and of the proof's options (the proof without
        ``proofValue``, read with the credential's contexts); ``None`` when either is not usable JSON-LD.
    """
    proof = doc.get("proof")
    if not isinstance(proof, dict):
        return None
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    options["@context"] = doc.get("@context")
    try:
        return (jsonld.canonicalize_pyld({k: v for k, v in doc.items() if k != "proof"}),
                jsonld.canonicalize_pyld(options))
    except ContextError:
        return None


SIGNED_RDF = _signed_rdf(SIGNED)


@FUZZ
@given(st.sampled_from(["credentialSubject", "issuer", "proof", "credentialStatus"]), st.text(max_size=8),
       json_values)
def test_mutated_nested_field(key: str, sub: str, value) -> None:
    doc = json.loads(json.dumps(SIGNED))
    target = doc[key]
    if isinstance(target, list):
        target = target[0]
    added = sub not in target
    target[sub] = value
    r = verify(doc, ctx=CTX)
    _assert_explained(r)
    if r.verdict == "valid":
        # Valid only when the signed RDF is what was signed: nothing changed, a new member with no value
        # (null, [], [null]: JSON-LD drops it), or a change JSON-LD does not read into the RDF at all.
        assert doc == SIGNED or (added and _no_value(value)) or _signed_rdf(doc) == SIGNED_RDF, (key, sub, value)


@FUZZ
@given(st.integers(0, 2), json_values)
def test_mutated_token(part: int, value) -> None:
    pieces = TOKEN.split(".")
    pieces[part] = base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    r = verify(".".join(pieces), ctx=CTX)
    _assert_explained(r)
    assert r.verdict != "valid"


@FUZZ
@given(st.sampled_from([PNG, SVG]), st.integers(0, 10_000), st.binary(min_size=1, max_size=8))
def test_mutated_images(image: bytes, pos: int, junk: bytes) -> None:
    pos %= len(image)
    data = image[:pos] + junk + image[pos + len(junk):]
    r = verify(data, ctx=CTX)
    _assert_explained(r)


@FUZZ
@given(st.integers(1, 200))
def test_truncated_images(cut: int) -> None:
    for image in (PNG, SVG):
        _assert_explained(verify(image[:-cut], ctx=CTX))


def test_deeply_nested_json_is_bounded() -> None:
    r = verify("[" * 100_000 + "]" * 100_000, ctx=CTX)
    assert r.verdict == "invalid" and r.check("input.limits").status == "failure"
    r = verify('{"a":' * 5000 + "1" + "}" * 5000, ctx=CTX)
    assert r.check("input.limits").status == "failure"
