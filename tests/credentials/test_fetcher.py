"""Fetchers: offline mapping, chaining, caching, the HTTPS address policy (IPv4 embedded in IPv6 included) and the
total deadline, the last against real TLS servers on 127.0.0.1 (no outside network is touched)."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from mosaics_match.credentials import fetcher as fm
from mosaics_match.credentials.fetcher import (
    CachingFetcher,
    ChainFetcher,
    DictFetcher,
    FetchError,
    HttpsFetcher,
    OfflineFetcher,
    is_public_address,
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


def _teredo(server: str, client: str) -> str:
    """Teredo address 2001:0:<server>:<flags>:<port>:<client>, the client IPv4 stored bit-inverted (RFC 4380)."""
    flags_and_port = 0x8000_63BF  # cone flag and an obfuscated UDP port: any value, they carry no address
    value = (0x2001_0000 << 96 | int(ipaddress.IPv4Address(server)) << 64 | flags_and_port << 32
             | (~int(ipaddress.IPv4Address(client)) & 0xFFFF_FFFF))
    return str(ipaddress.IPv6Address(value))


PUBLIC_V4, OTHER_PUBLIC_V4 = "93.184.215.14", "65.54.227.120"


@pytest.mark.parametrize("address,public", [
    # 6to4 2002:AABB:CCDD::/48 carries AA.BB.CC.DD
    ("2002:5db8:d70e::1", True), ("2002:7f00:1::", False), ("2002:a00:1::1", False), ("2002:a9fe:a9fe::", False),
    ("2002:c0a8:101:1::1", False), ("2002:6440:1::", False),
    # NAT64 well-known prefix 64:ff9b::/96: the last 32 bits
    ("64:ff9b::5db8:d70e", True), ("64:ff9b::93.184.215.14", True), ("64:ff9b::7f00:1", False),
    ("64:ff9b::10.0.0.1", False), ("64:ff9b::169.254.169.254", False), ("64:ff9b::", False),
    # NAT64 local-use 64:ff9b:1::/48: the translator's prefix length is local configuration the fetcher cannot
    # see, so the embedded IPv4 must be public under every RFC 6052 layout (/48, /56, /64, /96)
    ("64:ff9b:1:5db8:d7:e01:808:808", True), ("64:ff9b:1::10.0.0.1", False), ("64:ff9b:1:a00:0:100::", False),
    ("64:ff9b:1:5db8:d7:e01:7f00:1", False), ("64:ff9b:1:5db8:d7:e01:a9fe:a9fe", False),
    ("64:ff9b:1::93.184.215.14", False),  # public as /96, but 0.0.0.0 as /48: ambiguous, refused
    # IPv4-mapped ::ffff:0:0/96
    ("::ffff:93.184.215.14", True), ("::ffff:7f00:1", False), ("::ffff:192.168.0.1", False),
    ("::ffff:169.254.169.254", False),
    # IPv4-compatible ::/96 (deprecated, but still an IPv4 address in disguise)
    ("::93.184.215.14", True), ("::127.0.0.1", False), ("::10.0.0.1", False), ("::169.254.169.254", False),
    ("::", False), ("::1", False),
    # Teredo 2001::/32: server IPv4 in bits 32-63, client IPv4 inverted in the last 32 bits; both must be public
    (_teredo(OTHER_PUBLIC_V4, PUBLIC_V4), True), (_teredo(OTHER_PUBLIC_V4, "127.0.0.1"), False),
    (_teredo(OTHER_PUBLIC_V4, "10.0.0.1"), False), (_teredo(OTHER_PUBLIC_V4, "169.254.169.254"), False),
    (_teredo("10.0.0.1", PUBLIC_V4), False), (_teredo("127.0.0.1", PUBLIC_V4), False),
])
def test_address_policy_judges_ipv6_by_the_ipv4_it_embeds(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_check_url_refuses_a_host_whose_aaaa_embeds_loopback() -> None:
    f = HttpsFetcher(resolver=_resolver({"sixtofour.example": ["2002:7f00:1::"],
                                         "nat64.example": ["64:ff9b::a9fe:a9fe"],
                                         "teredo.example": [_teredo(OTHER_PUBLIC_V4, "127.0.0.1")]}))
    for host in ("sixtofour.example", "nat64.example", "teredo.example"):
        with pytest.raises(FetchError, match="non-public"):
            f.check_url(f"https://{host}/.well-known/did.json")


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

    def close(self) -> None:
        pass


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


# --- the total deadline, against a real TLS server on 127.0.0.1 -----------------------------------------------

HOST = "slow.test"
DEADLINE = 1.0
SLACK = 1.5  # scheduling on a busy 2-core machine; every unfixed behaviour below takes 3 s or more
SERVER_CAP = 6.0  # no server connection lives longer than this, so a test cannot hang whatever the fetcher does


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for ``slow.test`` and its key (PEM files)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


class _Server:
    """A TLS server on 127.0.0.1 whose routes write raw HTTP, as slowly as they like (one thread per connection).

    ``routes`` maps a request path to ``route(send)``; ``send(data, pause)`` writes ``data`` one byte at a time
    with ``pause`` seconds between bytes (all at once when ``pause`` is 0) and gives up at :data:`SERVER_CAP`.
    """

    def __init__(self, cert_file: Path, key_file: Path, routes: dict, *, handshake: bool = True) -> None:
        import socket
        import ssl
        import threading

        self.routes = routes
        self.handshake = handshake
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert_file, key_file)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self) -> None:
        import threading

        while not self.stop.is_set():
            try:
                raw, _ = self.listener.accept()
            except OSError:
                continue
            t = threading.Thread(target=self._serve, args=(raw,), daemon=True)
            self.threads.append(t)
            t.start()

    def _serve(self, raw) -> None:
        import time

        started = time.monotonic()
        conn = raw
        try:
            if not self.handshake:  # accept the TCP connection, then say nothing at all
                self.stop.wait(SERVER_CAP)
                return
            raw.settimeout(SERVER_CAP)
            conn = self.context.wrap_socket(raw, server_side=True)
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            path = request.split(b" ", 2)[1].decode()

            def send(data: bytes, pause: float = 0.0) -> None:
                if not pause:
                    conn.sendall(data)
                    return
                for i in range(len(data)):
                    if self.stop.is_set() or time.monotonic() - started > SERVER_CAP:
                        return
                    conn.sendall(data[i:i + 1])
                    time.sleep(pause)

            self.routes[path](send)
        except OSError:
            pass  # the client gave up: that is what these tests want
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.listener.close()
        for t in self.threads:
            t.join(timeout=SERVER_CAP + 1)


def _fetcher(tls_files: tuple[Path, Path], **kwargs) -> HttpsFetcher:
    """A fetcher that trusts the test certificate and reaches ``slow.test`` at 127.0.0.1.

    ``allow_private`` is the fetcher's existing switch for local servers; production code never sets it.
    """
    import ssl

    context = ssl.create_default_context(cafile=str(tls_files[0]))
    return HttpsFetcher(timeout=DEADLINE, resolver=lambda host, port: ["127.0.0.1"], allow_private=True,
                        ssl_context=context, ttl=0.0, **kwargs)


@pytest.fixture
def serve(tls_files):
    servers: list[_Server] = []

    def start(routes: dict, **kwargs) -> str:
        server = _Server(*tls_files, routes, **kwargs)
        servers.append(server)
        return f"https://{HOST}:{server.port}"

    yield start
    for server in servers:
        server.close()


def _timed_failure(fetcher: HttpsFetcher, url: str) -> tuple[FetchError, float]:
    import time

    started = time.monotonic()
    with pytest.raises(FetchError) as e:
        fetcher.fetch(url)
    return e.value, time.monotonic() - started


def test_real_tls_server_ordinary_responses_are_read_whole(tls_files, serve) -> None:
    """The control for the deadline tests: lengths, chunks, read-to-close and a redirect all still work."""
    body = b'{"id": "did:web:slow.test"}' * 200
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:1000], body[1000:])) + b"0\r\n\r\n"
    base = serve({
        "/length": lambda send: send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)),
        "/chunked": lambda send: send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked),
        "/close": lambda send: send(b"HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n" + body),
        "/moved": lambda send: send(b"HTTP/1.1 302 Found\r\nLocation: /length\r\nContent-Length: 0\r\n\r\n"),
        "/steady": lambda send: (send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"),
                                 send(b"0123456789", 0.03)),
    })
    f = _fetcher(tls_files)
    for path in ("/length", "/chunked", "/close", "/moved"):
        assert f.fetch(base + path) == body, path
    assert f.fetch(base + "/steady") == b"0123456789"  # slow bytes that finish in time are fine


def test_deadline_cuts_a_body_sent_one_byte_at_a_time(tls_files, serve) -> None:
    base = serve({"/trickle": lambda send: (send(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n"),
                                            send(b"x" * 5000, 0.05))})
    error, elapsed = _timed_failure(_fetcher(tls_files), base + "/trickle")
    assert "deadline" in error.reason and "passed" in error.reason, error.reason
    assert elapsed < DEADLINE + SLACK, elapsed


def test_deadline_cuts_headers_sent_one_byte_at_a_time(tls_files, serve) -> None:
    base = serve({"/trickle": lambda send: send(b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 5000 + b"\r\n", 0.05)})
    error, elapsed = _timed_failure(_fetcher(tls_files), base + "/trickle")
    assert "deadline" in error.reason and "passed" in error.reason, error.reason
    assert elapsed < DEADLINE + SLACK, elapsed


def test_deadline_is_one_budget_across_redirect_hops(tls_files, serve) -> None:
    """The first hop spends most of the budget; the second hop gets only what is left, not a fresh deadline."""
    redirect = b"HTTP/1.1 302 Found\r\nLocation: /two\r\nContent-Length: 0\r\n\r\n"
    slow_redirect = b"HTTP/1.1 302 Found\r\nX-Padding: " + b"a" * 400 + b"\r\nLocation: /three\r\n\r\n"
    base = serve({
        "/one": lambda send: send(redirect, 0.7 / len(redirect)),
        "/two": lambda send: send(slow_redirect, 4.0 / len(slow_redirect)),
        "/three": lambda send: send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"),
    })
    error, elapsed = _timed_failure(_fetcher(tls_files), base + "/one")
    assert "deadline" in error.reason and "passed" in error.reason, error.reason
    assert elapsed < DEADLINE + SLACK, elapsed


def test_deadline_covers_a_server_that_never_answers_the_tls_handshake(tls_files, serve) -> None:
    base = serve({}, handshake=False)
    error, elapsed = _timed_failure(_fetcher(tls_files), base + "/")
    assert "deadline" in error.reason and "passed" in error.reason, error.reason
    assert elapsed < DEADLINE + SLACK, elapsed
