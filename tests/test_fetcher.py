"""Fetchers: offline mapping, chaining, caching, and the HTTPS address policy (no network is touched)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mosaics_match.credentials import fetcher as fm
from mosaics_match.credentials.fetcher import (
    CachingFetcher, ChainFetcher, DictFetcher, FetchError, HttpsFetcher, OfflineFetcher, is_public_address,
)


@pytest.mark.parametrize("address,public", [
    ("93.184.215.14", True), ("2606:4700::6810:84e5", True),
    ("10.0.0.1", False), ("172.16.5.4", False), ("192.168.1.1", False), ("127.0.0.1", False),
    ("169.254.169.254", False), ("224.0.0.1", False), ("0.0.0.0", False), ("100.64.0.1", False),
    ("::1", False), ("fe80::1", False), ("fc00::1", False), ("ff02::1", False), ("::ffff:127.0.0.1", False),
    ("::ffff:10.1.2.3", False), ("not-an-ip", False),
])
def test_address_policy(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def _resolver(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("unknown host")
        return table[host]
    return resolve


def test_check_url_refuses_non_https_and_private_hosts() -> None:
    f = HttpsFetcher(resolver=_resolver({"good.example": ["93.184.215.14"], "evil.example": ["93.184.215.14",
                                                                                               "10.0.0.7"],
                                         "meta.example": ["169.254.169.254"]}))
    assert f.check_url("https://good.example/a?b=1")[2] == "/a?b=1"
    for url in ("http://good.example/", "https://evil.example/", "https://meta.example/latest",
                "https://user:pw@good.example/", "https://nowhere.example/", "file:///etc/passwd",
                "https://good.example:99999/"):
        with pytest.raises(FetchError):
            f.check_url(url)


class _FakeResponse:
    def __init__(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.status = status
        self._body = body
        self._headers = headers or {}

    def getheader(self, name: str):
        return self._headers.get(name)

    def read(self, n: int) -> bytes:
        chunk, self._body = self._body[:n], self._body[n:]
        return chunk


def _fake_connections(monkeypatch, script: dict[str, _FakeResponse], seen: list):
    class FakeConn:
        def __init__(self, host, ip, port, timeout, context) -> None:
            self.host, self.ip = host, ip

        def request(self, method, path, headers=None) -> None:
            self.key = f"{self.host}{path}"
            seen.append((self.key, self.ip))

        def getresponse(self):
            return script[self.key]

        def close(self) -> None:
            pass

    monkeypatch.setattr(fm, "_PinnedHTTPSConnection", FakeConn)


def test_redirect_hops_are_rechecked(monkeypatch) -> None:
    seen: list = []
    _fake_connections(monkeypatch, {
        "a.example/doc": _FakeResponse(302, headers={"Location": "https://b.example/next"}),
        "b.example/next": _FakeResponse(301, headers={"Location": "https://internal.example/secret"}),
    }, seen)
    f = HttpsFetcher(resolver=_resolver({"a.example": ["93.184.215.14"], "b.example": ["93.184.215.15"],
                                         "internal.example": ["10.1.1.1"]}))
    with pytest.raises(FetchError) as e:
        f.fetch("https://a.example/doc")
    assert "non-public" in e.value.reason
    assert [k for k, _ in seen] == ["a.example/doc", "b.example/next"]


def test_redirect_limit_and_byte_cap(monkeypatch) -> None:
    seen: list = []
    _fake_connections(monkeypatch, {
        "a.example/loop": _FakeResponse(302, headers={"Location": "/loop"}),
        "a.example/big": _FakeResponse(200, b"x" * 5000),
        "a.example/ok": _FakeResponse(200, b'{"ok": true}'),
        "a.example/404": _FakeResponse(404),
    }, seen)
    f = HttpsFetcher(resolver=_resolver({"a.example": ["93.184.215.14"]}), max_bytes=1000, max_redirects=2)
    with pytest.raises(FetchError, match="redirects"):
        f.fetch("https://a.example/loop")
    with pytest.raises(FetchError, match="larger"):
        f.fetch("https://a.example/big")
    with pytest.raises(FetchError, match="404"):
        f.fetch("https://a.example/404")
    assert f.fetch("https://a.example/ok#frag") == b'{"ok": true}'
    n = len(seen)
    assert f.fetch("https://a.example/ok") == b'{"ok": true}'  # served from the TTL cache
    assert len(seen) == n
    # the connection went to the checked address, not to a second lookup
    assert seen[-1][1] == "93.184.215.14"


def test_caching_fetcher_ttl() -> None:
    now = [0.0]
    inner = DictFetcher({"https://x/a": b"1"})
    f = CachingFetcher(inner, ttl=10, clock=lambda: now[0])
    assert f.fetch("https://x/a") == b"1" and f.fetch("https://x/a#y") == b"1"
    assert inner.calls == ["https://x/a"]
    now[0] = 11
    f.fetch("https://x/a")
    assert len(inner.calls) == 2
    with pytest.raises(FetchError):
        f.fetch("https://x/missing")


def test_offline_fetcher_from_documents_file(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "did.json").write_text('{"id": "did:web:x"}')
    (tmp_path / "map.json").write_text(json.dumps({"https://x/.well-known/did.json": "docs/did.json",
                                                   "https://x/missing": "docs/nope.json"}))
    f = OfflineFetcher.from_documents_file(tmp_path / "map.json")
    assert json.loads(f.fetch("https://x/.well-known/did.json#key")) == {"id": "did:web:x"}
    with pytest.raises(FetchError):
        f.fetch("https://x/missing")
    with pytest.raises(FetchError):
        f.fetch("https://other/")
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(FetchError):
        OfflineFetcher.from_documents_file(tmp_path / "bad.json")


def test_chain_fetcher_falls_through() -> None:
    f = ChainFetcher(DictFetcher({"https://a/": "A"}), DictFetcher({"https://b/": {"b": 1}}))
    assert f.fetch("https://a/") == b"A"
    assert json.loads(f.fetch("https://b/")) == {"b": 1}
    with pytest.raises(FetchError):
        f.fetch("https://c/")
