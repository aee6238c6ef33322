"""Bitstring Status List v1.0 / StatusList2021 / 1EdTech revocation list reading and writing."""

from __future__ import annotations

import base64
import gzip
from datetime import UTC, datetime

import pytest

from mosaics_match.credentials.status import (
    MIN_LIST_BITS,
    StatusBits,
    StatusEntry,
    StatusError,
    build_status_list_credential,
    parse_revocation_list,
    parse_status_entries,
    parse_status_list,
    read_status,
    status_entry,
)
from mosaics_match.credentials.verifier import parse_datetime

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ISSUER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def test_bits_round_trip_and_bit_order() -> None:
    bits = StatusBits()
    assert bits.length == MIN_LIST_BITS
    for i in (0, 7, 8, 131_071):
        bits.set(i)
    raw = bits.to_bytes()
    assert raw[0] == 0b1000_0001 and raw[1] == 0b1000_0000 and raw[-1] == 1
    enc = bits.encode()
    assert enc.startswith("u") and "=" not in enc
    back = StatusBits.decode(enc)
    assert back.length == MIN_LIST_BITS
    assert [i for i in (0, 1, 7, 8, 9, 131_071) if back.get(i)] == [0, 7, 8, 131_071]
    bits.set(7, False)
    assert StatusBits.decode(bits.encode()).get(7) == 0


def test_multi_bit_entries() -> None:
    bits = StatusBits(MIN_LIST_BITS, status_size=2)
    bits.set(3, 2)
    assert bits.get(3) == 2 and bits.get(2) == 0
    with pytest.raises(ValueError):
        bits.set(3, 4)


def test_index_bounds() -> None:
    with pytest.raises(IndexError):
        StatusBits(16).get(16)
    with pytest.raises(IndexError):
        StatusBits(16).set(-1)


def test_decode_refuses_decompression_bomb() -> None:
    bomb = gzip.compress(b"\x00" * (4 * 1024 * 1024))
    enc = "u" + base64.urlsafe_b64encode(bomb).rstrip(b"=").decode()
    with pytest.raises(StatusError) as e:
        StatusBits.decode(enc, max_bits=1024 * 1024 * 8)
    assert e.value.code == "list-too-large"


@pytest.mark.parametrize("value", ["", "u!!!", "uH4sIAAAAAAAAA-I-CHANGED-THISAAwFwBZnztF9QwAAA", "uAAAA"])
def test_decode_rejects_garbage(value: str) -> None:
    with pytest.raises(StatusError):
        StatusBits.decode(value)


def test_statuslist2021_plain_base64_is_accepted() -> None:
    bits = StatusBits()
    bits.set(42)
    plain = base64.b64encode(gzip.compress(bits.to_bytes())).decode()
    assert StatusBits.decode(plain).get(42) == 1


def _list(purpose: str = "revocation", bits: StatusBits | None = None, **kw) -> dict:
    return build_status_list_credential(list_url="https://x.example/status/1", issuer=ISSUER, purpose=purpose,
                                        bits=bits or StatusBits(), valid_from=T0, **kw)


def test_build_refuses_short_lists() -> None:
    with pytest.raises(ValueError):
        _list(bits=StatusBits(1000))


def test_read_status_checks() -> None:
    bits = StatusBits()
    bits.set(5)
    lst = parse_status_list("https://x.example/status/1", _list(bits=bits), entry_type="BitstringStatusListEntry",
                            max_bits=1 << 24, parse_date=parse_datetime)
    entry = parse_status_entries({"credentialStatus": status_entry(list_url=lst.url, index=5,
                                                                   purpose="revocation")})[0]
    assert read_status(entry, lst, credential_issuer=ISSUER) == 1
    other = parse_status_entries({"credentialStatus": status_entry(list_url=lst.url, index=6,
                                                                   purpose="revocation")})[0]
    assert read_status(other, lst, credential_issuer=ISSUER) == 0
    with pytest.raises(StatusError) as e:
        read_status(entry, lst, credential_issuer="did:example:someone-else")
    assert e.value.code == "list-issuer-mismatch"
    suspension = parse_status_entries({"credentialStatus": status_entry(list_url=lst.url, index=5,
                                                                        purpose="suspension")})[0]
    with pytest.raises(StatusError) as e:
        read_status(suspension, lst, credential_issuer=ISSUER)
    assert e.value.code == "purpose-mismatch"
    far = StatusEntry("BitstringStatusListEntry", "revocation", MIN_LIST_BITS, lst.url)
    with pytest.raises(StatusError) as e:
        read_status(far, lst, credential_issuer=ISSUER)
    assert e.value.code == "index-out-of-range"


def test_list_validity_window() -> None:
    lst = parse_status_list("u", _list(valid_until=datetime(2026, 2, 1, tzinfo=UTC)),
                            entry_type="BitstringStatusListEntry", max_bits=1 << 24, parse_date=parse_datetime)
    entry = StatusEntry("BitstringStatusListEntry", "revocation", 1, "u")
    assert read_status(entry, lst, credential_issuer=ISSUER, now=datetime(2026, 1, 15, tzinfo=UTC)) == 0
    with pytest.raises(StatusError) as e:
        read_status(entry, lst, credential_issuer=ISSUER, now=datetime(2026, 3, 1, tzinfo=UTC))
    assert e.value.code == "list-expired"
    with pytest.raises(StatusError) as e:
        read_status(entry, lst, credential_issuer=ISSUER, now=datetime(2025, 3, 1, tzinfo=UTC))
    assert e.value.code == "list-not-yet-valid"


def test_wrong_list_type_is_rejected() -> None:
    doc = _list()
    doc["type"] = ["VerifiableCredential"]
    with pytest.raises(StatusError) as e:
        parse_status_list("u", doc, entry_type="BitstringStatusListEntry", max_bits=1 << 24,
                          parse_date=parse_datetime)
    assert e.value.code == "wrong-list-type"


def test_entry_parsing_flags_malformed_entries() -> None:
    entries = parse_status_entries({"credentialStatus": [
        {"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "-3",
         "statusListCredential": "https://x"},
        {"type": "BitstringStatusListEntry", "statusListIndex": "3", "statusListCredential": "https://x"},
        "nonsense",
        {"id": "https://issuer.example/revocations", "type": "1EdTechRevocationList"},
    ]})
    assert entries[0].problem and entries[1].problem and entries[2].problem
    assert entries[3].type == "1EdTechRevocationList" and entries[3].purpose == "revocation"
    assert entries[0].pointer == "/credentialStatus/0"


def test_1edtech_revocation_list() -> None:
    lst = parse_revocation_list("https://issuer.example/revocations", {
        "id": "https://issuer.example/revocations", "issuer": ISSUER,
        "revokedCredentials": [{"id": "urn:uuid:1", "revocationReason": "Issued in error"}, {"id": "urn:uuid:3",
                                                                                              "revoked": False}]})
    entry = parse_status_entries({"credentialStatus": {"id": lst.url, "type": "1EdTechRevocationList"}})[0]
    assert read_status(entry, lst, credential_issuer=ISSUER, credential_id="urn:uuid:1") == 1
    assert read_status(entry, lst, credential_issuer=ISSUER, credential_id="urn:uuid:2") == 0
    assert read_status(entry, lst, credential_issuer=ISSUER, credential_id="urn:uuid:3") == 0
    with pytest.raises(StatusError):
        read_status(entry, lst, credential_issuer="did:example:other", credential_id="urn:uuid:1")
