"""Bounded input handling before parsing: size, nesting depth, and content-based kind detection."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from mosaics_match.credentials.inputs import (
    InputError,
    Limits,
    detect_kind,
    is_compact_jws,
    json_depth_exceeds,
    parse_json_bounded,
)
from mosaics_match.credentials.verifier import VerifyContext, verify
from tests.credentials.test_verify_support import NOW, Issuer

JWS = "eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.c2ln"


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("data,kind", [
    (b'{"a": 1}', "json"), (b"\xef\xbb\xbf  \n[1]", "json"), (JWS.encode(), "jws"),
    (b" " + JWS.encode() + b"\n", "jws"),
    (json.dumps(JWS).encode(), "jws"), (b'<?xml version="1.0"?><!-- c --><svg xmlns="x"/>', "svg"),
    (b"<svg:svg xmlns:svg='http://www.w3.org/2000/svg'/>", "svg"), (b"<html/>", "unknown"),
    (b"hello world", "unknown"), (b"a.b.c", "unknown"), (b"\x00\x01\x02", "unknown"), (b"", "unknown"),
])
def test_detect_kind_by_content(data: bytes, kind: str) -> None:
    assert detect_kind(data) == kind


def test_png_detected_regardless_of_name() -> None:
    assert detect_kind(_png()) == "png"


def test_jws_header_must_be_json_with_alg() -> None:
    assert is_compact_jws(JWS)
    assert not is_compact_jws("eyJhIjoxfQ.eyJhIjoxfQ.c2ln")  # header without alg


def test_depth_scan_ignores_brackets_in_strings() -> None:
    assert not json_depth_exceeds(json.dumps({"a": "[[[[[[[[[[{{{{{{{{"}).encode(), 3)
    assert json_depth_exceeds(b"[[[[1]]]]", 3)
    assert not json_depth_exceeds(b"[[[1]]]", 3)
    assert not json_depth_exceeds(json.dumps({"a": 'x\\"[[[[[['}).encode(), 2)


def test_parse_json_bounded_errors() -> None:
    with pytest.raises(InputError) as e:
        parse_json_bounded(b"[1]" * 10, max_bytes=5, max_depth=10)
    assert e.value.code == "too-large"
    with pytest.raises(InputError) as e:
        parse_json_bounded(b"[" * 50 + b"]" * 50, max_bytes=1000, max_depth=10)
    assert e.value.code == "too-deep"
    for bad in (b"{", b"NaN", b'{"a": Infinity}', b"\xff\xfe"):
        with pytest.raises(InputError) as e:
            parse_json_bounded(bad, max_bytes=1000, max_depth=10)
        assert e.value.code == "invalid-json"


def test_verify_reports_limits_before_parsing() -> None:
    ctx = VerifyContext(clock=lambda: NOW, limits=Limits(max_bytes=2000))
    r = verify(b'{"a": "' + b"x" * 5000 + b'"}', ctx=ctx)
    assert r.check("input.limits").status == "failure" and r.verdict == "invalid"
    assert r.check("input.format").status == "skipped"
    r = verify({"a": [[[[[[[[[[[[1]]]]]]]]]]]]}, ctx=VerifyContext(limits=Limits(max_json_depth=5)))
    assert r.check("input.limits").status == "failure"


@pytest.mark.parametrize("data,problem", [
    (b"[1, 2]", "not-an-object"), (b"{oops", "invalid-json"), (b"plain text", "unknown-format"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "bake-no-credential"),
])
def test_unreadable_inputs_have_reasons(data: bytes, problem: str) -> None:
    r = verify(data)
    assert r.verdict == "invalid"
    fmt = r.check("input.format")
    assert fmt.status == "failure" and fmt.problems[0]["type"].endswith(problem)
    assert all(c.status == "skipped" for c in r.checks if not c.id.startswith("input."))


def test_json_string_holding_a_token_is_read_as_a_token() -> None:
    issuer = Issuer()
    token = issuer.issue("jwt", status=False)
    r = verify(json.dumps(token), ctx=VerifyContext(clock=lambda: NOW))
    assert r.verdict == "valid" and r.input_kind == "jws"


def test_presentation_and_ob2_assertion_get_clear_reasons() -> None:
    issuer = Issuer()
    vp = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"],
          "verifiableCredential": [issuer.issue(status=False)]}
    r = verify(vp)
    assert r.verdict == "invalid" and "presentation holding 1 credential" in r.reason
    ob2 = {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": "https://x.example/a/1"}
    r = verify(ob2)
    assert r.verdict == "invalid" and "Open Badges 2.0" in r.reason
