"""Baking credentials into PNG / SVG badges and reading them back, including hostile images."""

from __future__ import annotations

import io
import json
import struct
import zlib

import pytest
from PIL import Image

from mosaics_match.credentials.bake import (
    OB3_NAMESPACE, BakeError, bake, bake_png, bake_svg, unbake, unbake_png, unbake_svg,
)
from mosaics_match.credentials.verify import verify

from tests.test_verify_support import Issuer

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
