"""Fetching remote documents (DID documents, JWKS, status lists) for verification.

Every fetcher implements ``fetch(url) -> bytes`` and raises :class:`FetchError` on any problem. The HTTPS fetcher
is deliberately conservative: https only, every redirect hop re-resolved and checked against private address
ranges (SSRF defence), a total deadline, a byte cap and a small TTL cache.
"""

from __future__ import annotations

import io
import ipaddress
import json
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from http.client import HTTPException, HTTPResponse, HTTPSConnection
from pathlib import Path
from typing import Protocol, runtime_checkable

from mosaics_match.lru import LruCache

from .inputs import MAX_CREDENTIAL_BYTES

__all__ = [
    "FetchError",
    "Fetcher",
    "OfflineFetcher",
    "DictFetcher",
    "ChainFetcher",
    "HttpsFetcher",
    "CachingFetcher",
    "is_public_address",
]


class FetchError(Exception):
    """A document could not be fetched.

    Attributes
    ----------
    url : str
        The URL that was requested.
    reason : str
        Plain-language reason.
    """

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


@runtime_checkable
class Fetcher(Protocol):
    """Anything that can turn a URL into bytes (or raise :class:`FetchError`)."""

    def fetch(self, url: str) -> bytes:  # pragma: no cover - protocol
        ...


def _strip_fragment(url: str) -> str:
    return url.split("#", 1)[0]


class DictFetcher:
    """Serve documents from an in-memory mapping ``url -> bytes | str | dict`` (tests, batches).

    Parameters
    ----------
    documents : Mapping[str, bytes | str | dict]
        Documents by URL (fragments are ignored when looking up).
    """

    def __init__(self, documents: Mapping[str, bytes | str | dict] | None = None) -> None:
        self.documents: dict[str, bytes | str | dict] = dict(documents or {})
        self.calls: list[str] = []

    def add(self, url: str, document: bytes | str | dict) -> None:
        """Register ``document`` under ``url``."""
        self.documents[url] = document

    def fetch(self, url: str) -> bytes:
        """Return the document registered for ``url`` or raise :class:`FetchError`."""
        self.calls.append(url)
        key = _strip_fragment(url)
        if key not in self.documents:
            raise FetchError(url, "not available offline")
        doc = self.documents[key]
        if isinstance(doc, bytes):
            return doc
        if isinstance(doc, str):
            return doc.encode("utf-8")
        return json.dumps(doc).encode("utf-8")


class OfflineFetcher:
    """Serve documents from local files, never touching the network.

    Parameters
    ----------
    mapping : Mapping[str, str | Path]
        URL (without fragment) -> file path.
    max_bytes : int
        Files larger than this are refused.
    """

    def __init__(self, mapping: Mapping[str, str | Path], *, max_bytes: int = MAX_CREDENTIAL_BYTES) -> None:
        self.mapping = {_strip_fragment(k): Path(v) for k, v in mapping.items()}
        self.max_bytes = max_bytes

    @classmethod
    def from_documents_file(cls, path: str | Path, *, max_bytes: int = MAX_CREDENTIAL_BYTES) -> OfflineFetcher:
        """Load a JSON object ``{url: file path relative to the JSON file}``.

        Parameters
        ----------
        path : str | Path
            The mapping file.

        Returns
        -------
        OfflineFetcher
        """
        p = Path(path)
        try:
            raw = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise FetchError(str(p), f"cannot read documents file: {exc}") from None
        if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
            raise FetchError(str(p), "documents file must be a JSON object mapping URL to file path")
        base = p.resolve().parent
        return cls({k: base / v for k, v in raw.items()}, max_bytes=max_bytes)

    def fetch(self, url: str) -> bytes:
        """Return the bytes of the file mapped to ``url``."""
        path = self.mapping.get(_strip_fragment(url))
        if path is None:
            raise FetchError(url, "not available offline")
        try:
            size = path.stat().st_size
            if size > self.max_bytes:
                raise FetchError(url, f"document is larger than {self.max_bytes} bytes")
            return path.read_bytes()
        except OSError as exc:
            raise FetchError(url, f"cannot read {path.name}: {exc.strerror}") from None


class ChainFetcher:
    """Try several fetchers in order; the first that succeeds wins."""

    def __init__(self, *fetchers: Fetcher) -> None:
        self.fetchers = list(fetchers)

    def fetch(self, url: str) -> bytes:
        """Return the first successful fetch, or raise the last :class:`FetchError`."""
        last: FetchError = FetchError(url, "no fetcher configured")
        for f in self.fetchers:
            try:
                return f.fetch(url)
            except FetchError as exc:
                last = exc
        raise last


class CachingFetcher:
    """Wrap a fetcher with a small thread-safe TTL cache (failures are cached briefly too)."""

    def __init__(self, inner: Fetcher, *, ttl: float = 300.0, max_entries: int = 256,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.inner = inner
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._cache: LruCache[str, bytes | FetchError] = LruCache(max_entries, ttl=ttl, clock=clock)

    def fetch(self, url: str) -> bytes:
        """Fetch through the cache."""
        key = _strip_fragment(url)
        hit = self._cache.get(key)
        if hit is not None:
            if isinstance(hit, FetchError):
                raise hit
            return hit
        try:
            value: bytes | FetchError = self.inner.fetch(key)
        except FetchError as exc:
            value = exc
        # failures expire sooner so a transient outage does not stick
        self._cache.put(key, value, ttl=self.ttl if isinstance(value, bytes) else min(self.ttl, 30.0))
        if isinstance(value, FetchError):
            raise value
        return value


Resolver = Callable[[str, int], list[str]]


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
# RFC 6052 prefix lengths a translator inside 64:ff9b:1::/48 may use
_NAT64_LOCAL_PREFIX_LENGTHS = (48, 56, 64, 96)


def _rfc6052_ipv4(value: int, prefix_length: int) -> ipaddress.IPv4Address:
    """The IPv4 address an RFC 6052 translator with a ``/prefix_length`` prefix reads from ``value``."""
    if prefix_length == 96:
        return ipaddress.IPv4Address(value & 0xFFFF_FFFF)
    # Bits 64-71 (the "u" octet) never carry address bits; without them the IPv4 bits follow the prefix.
    without_u = (value >> 64) << 56 | (value & ((1 << 56) - 1))
    return ipaddress.IPv4Address((without_u >> (120 - prefix_length - 32)) & 0xFFFF_FFFF)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    """The IPv4 addresses that traffic to ``ip`` may really reach, when ``ip`` is an IPv4 address in disguise.

    Parameters
    ----------
    ip : ipaddress.IPv6Address
        The address to look inside.

    Returns
    -------
    list of ipaddress.IPv4Address or None
        IPv4-mapped ``::ffff:0:0/96``, NAT64 ``64:ff9b::/96`` and IPv4-compatible ``::/96``: the last 32 bits;
        NAT64 local-use ``64:ff9b:1::/48``: the address under every RFC 6052 layout; 6to4 ``2002::/16``: bits
        16-47; Teredo ``2001::/32``: the server (bits 32-63) and the client (last 32 bits, stored inverted).
        ``None`` for an address that embeds none.
    """
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    value = int(ip)
    if ip in _NAT64_WELL_KNOWN or ip in _IPV4_COMPATIBLE:
        return [ipaddress.IPv4Address(value & 0xFFFF_FFFF)]
    if ip in _NAT64_LOCAL_USE:
        return [_rfc6052_ipv4(value, n) for n in _NAT64_LOCAL_PREFIX_LENGTHS]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    return None


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
                or ip.is_unspecified or not ip.is_global)


def is_public_address(address: str) -> bool:
    """True when ``address`` is a globally routable unicast IP (not private, loopback, link-local, ...).

    An IPv6 address that embeds an IPv4 address (IPv4-mapped or -compatible, NAT64, 6to4, Teredo) is judged by
    the IPv4 address it embeds, since that is where a translator or tunnel delivers the traffic: it is public
    only when every embedded IPv4 address is.

    Parameters
    ----------
    address : str
        An IPv4 or IPv6 address literal.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return all(_is_public(v4) for v4 in inner)
    return _is_public(ip)


class _DeadlinePassed(TimeoutError):
    """The total deadline of a fetch ran out while waiting for the server."""


class _DeadlineReader(io.RawIOBase):
    """Reads a socket, each read allowed only the time left before the fetch's deadline.

    A per-read socket timeout alone is not enough: a server that sends one byte just before every timeout would
    keep the read going forever. Here every read first checks the clock, then waits at most the remaining time.
    """

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._sock = sock
        # A real makefile() keeps the socket open for the response after the connection lets go of it.
        self._raw = sock.makefile("rb", buffering=0)
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int | None:  # type: ignore[override]  # Buffer is 3.12+
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise _DeadlinePassed()
        self._sock.settimeout(remaining)
        return self._raw.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _DeadlineSocket:
    """What :class:`HTTPResponse` is given instead of the socket: ``makefile`` returns a deadline-bound reader."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline

    def makefile(self, mode: str = "rb", *args: object, **kwargs: object) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))


class _PinnedHTTPSConnection(HTTPSConnection):
    """HTTPS connection to a pre-checked IP while validating the certificate for the host name.

    Connecting (TCP and the TLS handshake) may take at most the time left before ``deadline``, and so may the
    status line, the headers and the body, however slowly the server sends them.
    """

    def __init__(self, host: str, ip: str, port: int, deadline: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=max(deadline - time.monotonic(), 0.001), context=context)
        self._ip = ip
        self._deadline = deadline
        # http.client only calls response_class(sock, ...): a factory wrapping the socket stands in for the class
        self.response_class = self._response  # type: ignore[assignment]

    def _response(self, sock: socket.socket, *args: object, **kwargs: object) -> HTTPResponse:
        return HTTPResponse(_DeadlineSocket(sock, self._deadline), *args, **kwargs)  # type: ignore[arg-type]

    def connect(self) -> None:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise _DeadlinePassed()
        # CPython bounds a whole connect, and a whole TLS handshake, by the socket timeout (not each wait within).
        sock = socket.create_connection((self._ip, self.port), remaining)
        try:
            sock.settimeout(max(self._deadline - time.monotonic(), 0.001))
            self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]
        except BaseException:
            sock.close()
            raise


class HttpsFetcher:
    """Fetch over HTTPS with an address policy, redirect limit, deadline, byte cap and TTL cache.

    Parameters
    ----------
    max_bytes : int
        Largest response body accepted.
    timeout : float
        Total deadline in seconds for one ``fetch``: connecting, the TLS handshake, the headers and the body of
        every redirect hop together, however slowly the server sends.
    max_redirects : int
        Redirect hops followed.
    resolver : callable, optional
        ``resolver(host, port) -> list[str]`` of IP addresses; injectable for tests.
    ttl : float
        Seconds a successful response is cached.
    allow_private : bool
        Disable the address policy (only for local development servers).
    """

    def __init__(self, *, max_bytes: int = 2_000_000, timeout: float = 10.0, max_redirects: int = 3,
                 resolver: Resolver | None = None, ttl: float = 300.0, allow_private: bool = False,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.max_redirects = max_redirects
        self.resolver = resolver or _system_resolver
        self.allow_private = allow_private
        self.ssl_context = ssl_context or ssl.create_default_context()
        self._cache = CachingFetcher(_Uncached(self), ttl=ttl)

    def fetch(self, url: str) -> bytes:
        """Fetch ``url`` (cached)."""
        return self._cache.fetch(url)

    def check_url(self, url: str) -> tuple[str, int, str, str]:
        """Validate ``url`` and resolve it; return ``(host, port, path_and_query, ip)``.

        Raises
        ------
        FetchError
            When the scheme is not https, the URL carries credentials, or a resolved address is not public.
        """
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "https":
            raise FetchError(url, "only https URLs are fetched")
        if parts.username or parts.password:
            raise FetchError(url, "URLs with credentials are refused")
        host = parts.hostname
        if not host:
            raise FetchError(url, "URL has no host")
        try:
            port = parts.port or 443
        except ValueError:
            raise FetchError(url, "invalid port") from None
        try:
            addresses = self.resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise FetchError(url, f"cannot resolve host {host}: {exc}") from None
        if not addresses:
            raise FetchError(url, f"host {host} has no address")
        if not self.allow_private:
            bad = [a for a in addresses if not is_public_address(a)]
            if bad:
                raise FetchError(url, f"host {host} resolves to a non-public address ({bad[0]})")
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return host, port, path, addresses[0]

    def _fetch_uncached(self, url: str) -> bytes:
        deadline = time.monotonic() + self.timeout
        current = _strip_fragment(url)
        for _hop in range(self.max_redirects + 1):
            host, port, path, ip = self.check_url(current)
            if time.monotonic() >= deadline:
                raise self._deadline_error(url)
            conn = _PinnedHTTPSConnection(host, ip, port, deadline, self.ssl_context)
            try:
                conn.request("GET", path, headers={
                    "Host": host if port == 443 else f"{host}:{port}",
                    "Accept": "application/json, application/ld+json, application/vc+ld+json, */*;q=0.1",
                    "User-Agent": "mosaics-match-verifier/1",
                })
                resp: HTTPResponse = conn.getresponse()
                try:
                    if resp.status in (301, 302, 303, 307, 308):
                        location = resp.getheader("Location")
                        if not location:
                            raise FetchError(url, "redirect without a location")
                        current = _strip_fragment(urllib.parse.urljoin(current, location))
                        continue
                    if resp.status != 200:
                        raise FetchError(url, f"server answered HTTP {resp.status}")
                    length = resp.getheader("Content-Length")
                    if length and length.isdigit() and int(length) > self.max_bytes:
                        raise FetchError(url, f"document is larger than {self.max_bytes} bytes")
                    chunks: list[bytes] = []
                    total = 0
                    while True:
                        chunk = resp.read(65536)
                        if not chunk:
                            break
                        total += len(chunk)
                        if total > self.max_bytes:
                            raise FetchError(url, f"document is larger than {self.max_bytes} bytes")
                        chunks.append(chunk)
                    return b"".join(chunks)
                finally:
                    resp.close()
            except FetchError:
                raise
            except TimeoutError:
                # every socket wait is bounded by the time left, so a timeout means the deadline passed
                raise self._deadline_error(url) from None
            except (OSError, ssl.SSLError, ValueError, HTTPException) as exc:
                raise FetchError(url, f"network error: {exc.__class__.__name__}") from None
            finally:
                conn.close()
        raise FetchError(url, f"more than {self.max_redirects} redirects")

    def _deadline_error(self, url: str) -> FetchError:
        return FetchError(url, f"the {self.timeout:g} s deadline passed before the server finished answering")


class _Uncached:
    def __init__(self, outer: HttpsFetcher) -> None:
        self.outer = outer

    def fetch(self, url: str) -> bytes:
        return self.outer._fetch_uncached(url)


def fetch_json(fetcher: Fetcher, url: str, *, max_depth: int = 64) -> object:
    """Fetch ``url`` and parse it as bounded JSON.

    Raises
    ------
    FetchError
        On fetch failure or when the body is not acceptable JSON.
    """
    from .inputs import InputError, parse_json_bounded

    data = fetcher.fetch(url)
    try:
        return parse_json_bounded(data, max_bytes=len(data) + 1, max_depth=max_depth)
    except InputError as exc:
        raise FetchError(url, f"not valid JSON: {exc.detail}") from None


def hosts_of(urls: Iterable[str]) -> set[str]:
    """Host names of ``urls`` (helper for diagnostics)."""
    return {urllib.parse.urlsplit(u).hostname or "" for u in urls}
