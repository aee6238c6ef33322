"""Baking credentials into PNG / SVG badges and reading them back, including hostile images."""

from __future__ import annotations

import io
import json
import struct
import zlib
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from PIL import Image

from mosaics_match.credentials.bake import (
    OB3_NAMESPACE,
    BakeError,
    bake,
    bake_png,
    bake_svg,
    unbake,
    unbake_png,
    unbake_svg,
)
from mosaics_match.credentials.verifier import verify
from tests.credentials.test_verify_support import EMAIL, NOW, Issuer

SVG = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>'
CRED = {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x", "name": "Tricky ]]> & <b>"}


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def _chunks(png: bytes) -> list[bytes]:
    out, pos = [], 8
    while pos < len(png):
        (n,) = struct.unpack(">I", png[pos:pos + 4])
        out.append(png[pos + 4:pos + 8])
        pos += 12 + n
    return out


def test_png_round_trip_and_replacement() -> None:
    baked = bake_png(_png(), CRED)
    assert json.loads(unbake_png(baked)) == CRED
    assert _chunks(baked)[:2] == [b"IHDR", b"iTXt"]
    rebaked = bake_png(baked, "aaa.bbb.ccc")
    assert unbake_png(rebaked) == "aaa.bbb.ccc"
    assert _chunks(rebaked).count(b"iTXt") == 1
    Image.open(io.BytesIO(rebaked)).load()  # still a valid image


def test_png_chunk_is_uncompressed_itxt() -> None:
    baked = bake_png(_png(), CRED)
    pos = baked.index(b"iTXt") + 4
    assert baked[pos:pos + len(b"openbadgecredential\x00\x00\x00")] == b"openbadgecredential\x00\x00\x00"


def test_png_crc_mismatch_is_detected() -> None:
    baked = bytearray(bake_png(_png(), CRED))
    pos = baked.index(b"Tricky")
    baked[pos] ^= 0x01
    with pytest.raises(BakeError) as e:
        unbake_png(bytes(baked))
    assert e.value.code == "bad-crc"


@pytest.mark.parametrize("mutate", [
    lambda b: b[:30],                               # truncated
    lambda b: b[:8] + b"\xff\xff\xff\xff" + b[12:],  # huge chunk length
    lambda b: b"\x89PNG\r\n\x1a\n",                  # no chunks, no IEND
])
def test_png_malformed_is_rejected(mutate) -> None:
    with pytest.raises(BakeError):
        unbake_png(mutate(bake_png(_png(), CRED)))


def test_png_without_credential() -> None:
    with pytest.raises(BakeError) as e:
        unbake_png(_png())
    assert e.value.code == "no-credential"


def test_png_compressed_itxt_is_read_with_bound() -> None:
    text = json.dumps(CRED).encode()
    body = b"openbadgecredential\x00\x01\x00\x00\x00" + zlib.compress(text)
    chunk = struct.pack(">I", len(body)) + b"iTXt" + body + struct.pack(">I", zlib.crc32(b"iTXt" + body))
    png = _png()
    png = png[:33] + chunk + png[33:]
    assert json.loads(unbake_png(png)) == CRED
    bomb = b"openbadgecredential\x00\x01\x00\x00\x00" + zlib.compress(b" " * 5_000_000)
    chunk = struct.pack(">I", len(bomb)) + b"iTXt" + bomb + struct.pack(">I", zlib.crc32(b"iTXt" + bomb))
    with pytest.raises(BakeError):
        unbake_png(_png()[:33] + chunk + _png()[33:], max_bytes=1_000_000)


def test_svg_round_trip_with_cdata_escape() -> None:
    baked = bake_svg(SVG, CRED)
    assert f'xmlns:openbadges="{OB3_NAMESPACE}"' in baked
    assert json.loads(unbake_svg(baked)) == CRED
    rebaked = bake_svg(baked, {"id": "urn:y"})
    assert rebaked.count("<openbadges:credential>") == 1
    assert json.loads(unbake_svg(rebaked)) == {"id": "urn:y"}


def test_svg_accepts_last_child_escaped_json_and_jws() -> None:
    escaped = json.dumps(CRED).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{OB3_NAMESPACE}"><rect/>'
           f"<openbadges:credential>{escaped}</openbadges:credential></svg>")
    assert json.loads(unbake_svg(svg)) == CRED
    # A JWS as the element's text is no longer what bake_svg writes (it uses the verify attribute), but badges
    # the portal baked before that change carry it there and must still be read.
    svg_jws = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:ob="{OB3_NAMESPACE}"><rect/>'
               "<ob:credential> aaa.bbb.ccc </ob:credential></svg>")
    assert unbake_svg(svg_jws) == "aaa.bbb.ccc"


@pytest.mark.parametrize("svg", [
    '<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg">'
    "&b;</svg>",
    '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>',
    "<svg><unclosed></svg>",
    '<html xmlns="http://www.w3.org/1999/xhtml"/>',
])
def test_svg_hostile_or_invalid_is_rejected(svg: str) -> None:
    with pytest.raises(BakeError):
        unbake_svg(svg)


def test_svg_size_bound() -> None:
    with pytest.raises(BakeError) as e:
        unbake_svg(SVG + " " * 2000, max_bytes=1000)
    assert e.value.code == "too-large"


def test_baked_badges_verify_end_to_end() -> None:
    issuer = Issuer()
    issuer.publish_lists()
    cred = issuer.issue()
    for image in (_png(), SVG.encode()):
        baked = bake(image, cred)
        assert json.loads(unbake(baked)) == cred
        r = verify(baked, ctx=issuer.ctx())
        assert r.verdict == "valid", [(c.id, c.problems) for c in r.checks if c.status != "success"]
        assert r.input_kind in ("png", "svg")
    token = issuer.issue("jwt")
    r = verify(bake(_png(), token), ctx=issuer.ctx())
    assert r.verdict == "valid"


def test_baked_then_tampered_badge_is_invalid() -> None:
    issuer = Issuer()
    cred = issuer.issue(status=False)
    baked = bake_svg(SVG, cred).replace("Data Visualisation Fundamentals", "Data Visualisation Mastery")
    r = verify(baked.encode(), ctx=issuer.ctx())
    assert r.verdict == "invalid" and r.check("proof.signature").status == "failure"


# --- OB 3.0 section 5.3.2.1: a VC-JWT travels in the verify attribute of an empty <openbadges:credential> ---

def _credential_elements(svg: str | bytes) -> list[ET.Element]:
    root = ET.fromstring(svg.encode() if isinstance(svg, str) else svg)
    return list(root.iter("{" + OB3_NAMESPACE + "}credential"))


def _verify_attribute_svg(verify: str, text: str = "", *, prefix: str = "openbadges") -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:{prefix}="{OB3_NAMESPACE}" viewBox="0 0 10 10">'
            f'<{prefix}:credential verify="{verify}">{text}</{prefix}:credential><rect/></svg>')


def _openbadgeslib_signer(issuer: Issuer):
    from cryptography.hazmat.primitives import serialization
    from openbadgeslib import ob3

    pem = issuer.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption())
    return ob3, ob3.OB3Signer(pem, "EdDSA")


def test_svg_baked_by_openbadgeslib_with_jwt_in_verify_attribute_is_read_and_verifies() -> None:
    issuer = Issuer()
    ob3, signer = _openbadgeslib_signer(issuer)
    credential = ob3.OpenBadgeCredential(
        issuer=ob3.Issuer(id=issuer.did, name="Seneca Polytechnic", url="https://www.senecapolytechnic.ca"),
        recipient_id=None,
        achievement=ob3.Achievement(id="https://mosaics.example/achievements/intro", name="Intro to Data",
                                    description="Basics.", criteria_narrative="Pass the quiz."),
        issuance_date=NOW - timedelta(days=1), expiration_date=NOW + timedelta(days=365),
        identifiers=[ob3.IdentityObject.create(EMAIL, salt="s3cr3t-salt")])
    baked = signer.sign_into_svg(credential, SVG.encode())
    (element,) = _credential_elements(baked)
    assert element.get("verify") and not (element.text or "").strip()  # the form this test is about
    token = unbake_svg(baked)
    assert token == element.get("verify")
    r = verify(baked, ctx=issuer.ctx(email=EMAIL))
    assert r.verdict == "valid", [(c.id, c.status, c.problems) for c in r.checks if c.status != "success"]
    assert r.input_kind == "svg" and r.recipient_match is True


@pytest.mark.parametrize("prefix", ["openbadges", "ob"])
def test_svg_hand_built_per_spec_with_empty_element_and_verify_attribute(prefix: str) -> None:
    issuer = Issuer()
    issuer.publish_lists()
    token = issuer.issue("jwt")
    svg = _verify_attribute_svg(token, prefix=prefix)
    assert unbake_svg(svg) == token
    self_closing = svg.replace(f'"></{prefix}:credential>', '"/>')
    assert f'verify="{token}"/>' in self_closing
    assert unbake_svg(self_closing) == token
    r = verify(self_closing.encode(), ctx=issuer.ctx())
    assert r.verdict == "valid", [(c.id, c.status, c.problems) for c in r.checks if c.status != "success"]


def test_svg_verify_attribute_and_text_rule() -> None:
    token = Issuer().issue("jwt", status=False)
    other = Issuer().issue("jwt", status=False)
    # the same token in both places is one credential
    assert unbake_svg(_verify_attribute_svg(token, f" {token} ")) == token
    # an empty or blank attribute is no credential: the text is read
    assert unbake_svg(_verify_attribute_svg("  ", token)) == token
    plain = {"id": "urn:x"}  # CRED itself holds "]]>", which cannot sit in hand-written CDATA
    assert json.loads(unbake_svg(_verify_attribute_svg("", f"<![CDATA[{json.dumps(plain)}]]>"))) == plain
    # two different credentials: refused rather than silently picking one another reader would not pick
    for text in (other, f"<![CDATA[{json.dumps(plain)}]]>"):
        with pytest.raises(BakeError) as e:
            unbake_svg(_verify_attribute_svg(token, text))
        assert e.value.code == "ambiguous" and "verify attribute" in e.value.detail


@pytest.mark.parametrize("value", ["https://badges.example/assertions/1", "aaa.bbb.ccc", "{&quot;id&quot;: 1}"])
def test_svg_verify_attribute_that_is_not_a_compact_jws_is_refused_clearly(value: str) -> None:
    with pytest.raises(BakeError) as e:
        unbake_svg(_verify_attribute_svg(value))
    assert e.value.code == "not-jws" and "compact JWS" in e.value.detail
    r = verify(_verify_attribute_svg(value).encode(), ctx=Issuer().ctx())
    assert r.verdict == "invalid" and r.check("input.format").status == "failure"
    assert any("compact JWS" in p["detail"] for p in r.check("input.format").problems)


def test_svg_empty_element_without_verify_attribute_says_so() -> None:
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{OB3_NAMESPACE}"><openbadges:credential/></svg>'
    with pytest.raises(BakeError) as e:
        unbake_svg(svg)
    assert e.value.code == "no-credential" and "verify attribute" in e.value.detail


def test_svg_verify_attribute_is_within_the_node_and_size_bounds() -> None:
    token = Issuer().issue("jwt", status=False)
    with pytest.raises(BakeError) as e:
        unbake_svg(_verify_attribute_svg(token), max_bytes=len(token) // 2)
    assert e.value.code == "too-large"
    crowded = _verify_attribute_svg(token).replace("<rect/>", "<rect/>" * 50)
    with pytest.raises(BakeError) as e:
        unbake_svg(crowded, max_nodes=20)
    assert e.value.code == "too-large"


@pytest.mark.parametrize("svg", [SVG, '<svg xmlns="http://www.w3.org/2000/svg"/>'])
def test_jwt_is_baked_into_the_verify_attribute_of_an_empty_element(svg: str) -> None:
    issuer = Issuer()
    issuer.publish_lists()
    token = issuer.issue("jwt")
    baked = bake_svg(svg, token)
    (element,) = _credential_elements(baked)
    assert element.get("verify") == token
    assert element.text is None and len(element) == 0  # empty, as section 5.3.2.1 asks
    assert unbake_svg(baked) == token
    r = verify(baked.encode(), ctx=issuer.ctx())
    assert r.verdict == "valid", [(c.id, c.status, c.problems) for c in r.checks if c.status != "success"]
    # rebaking replaces, whichever form was there before
    as_json = bake_svg(baked, CRED)
    (element,) = _credential_elements(as_json)
    assert element.get("verify") is None and json.loads(unbake_svg(as_json)) == CRED
    back = bake_svg(as_json, token)
    assert len(_credential_elements(back)) == 1 and unbake_svg(back) == token
    assert len(_credential_elements(bake_svg(back, token))) == 1


def test_json_is_still_baked_as_cdata_text() -> None:
    baked = bake_svg(SVG, CRED)
    (element,) = _credential_elements(baked)
    assert element.get("verify") is None
    assert "<openbadges:credential><![CDATA[" in baked
    assert json.loads(element.text or "") == CRED


def test_our_jwt_baked_svg_is_read_and_verified_by_openbadgeslib() -> None:
    from cryptography.hazmat.primitives import serialization
    from openbadgeslib import ob3
    from openbadgeslib.verify import verify_badge

    issuer = Issuer()
    token = issuer.issue("jwt", status=False)
    baked = bake_svg(SVG, token).encode()
    assert ob3.OB3Verifier.extract_token_from_svg(baked) == token
    pub = issuer.private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)
    result = verify_badge(baked, "3", pubkey_pem=pub)
    assert result.valid, result


def test_baking_a_string_that_is_not_a_compact_jws_into_svg_is_refused() -> None:
    with pytest.raises(BakeError) as e:
        bake_svg(SVG, "not a token")
    assert e.value.code == "not-jws" and "compact JWS" in e.value.detail
