"""Who is on the other end of a request, when reverse proxies stand in between.

A proxy adds the address it received a request from to ``X-Forwarded-For``; everything left of what a proxy we
trust added was written by someone we do not know, and may be invented. So the client is found by walking the
header from the right, starting at the TCP peer, over the proxies listed in ``MOSAICS_TRUSTED_PROXIES``: the first
hop that is not a trusted proxy is the client. With no trusted proxies (the default) the client is the peer and
the header is ignored, whoever sends it.

uvicorn applies its own version of this before the portal sees a request (``--proxy-headers``, on by default,
trusting ``127.0.0.1`` and ``::1``), so a loopback peer's header has already replaced the peer when it reaches
us. :func:`resolve_client` recognises that replacement (the address is one of the header's entries) and reads such
a request as coming from loopback, then applies the portal's own list: a spoofed header from an untrusted local
process or a pass-through proxy can no longer pick the client's address.

:class:`ForwardedClientMiddleware` writes the result into the ASGI scope once per request or websocket, so the
rate limit, the audit log and ``st.context.ip_address`` all see the same client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["TrustedProxies", "ForwardedClientMiddleware", "resolve_client", "request_origin", "SCOPE_KEY"]

SCOPE_KEY = "mosaics.client"
LOOPBACK = "127.0.0.1"
_MAX_HOPS = 32
_MAX_ENTRY = 100


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = text.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return None


@dataclass(frozen=True)
class TrustedProxies:
    """The reverse proxies whose forwarding headers are believed.

    Parameters
    ----------
    networks : sequence of str
        Addresses or networks, as ``Settings.trusted_proxies`` holds them.
    """

    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> TrustedProxies:
        """Build from address / network strings (already validated by the settings)."""
        return cls(tuple(ipaddress.ip_network(e, strict=False) for e in entries if e.strip()))

    def __contains__(self, host: object) -> bool:
        if not isinstance(host, str) or not self.networks:
            return False
        ip = _address(host)
        if ip is None:
            return False
        if getattr(ip, "ipv4_mapped", None) is not None:
            ip = ip.ipv4_mapped
        return any(ip.version == net.version and ip in net for net in self.networks)


def _forwarded_for(headers: Sequence[tuple[bytes, bytes]]) -> list[str]:
    hops: list[str] = []
    for name, value in headers:
        if name.lower() == b"x-forwarded-for":
            hops.extend(part.strip() for part in value.decode("latin-1").split(","))
    return [h for h in hops if h][-_MAX_HOPS:]


def _header(headers: Sequence[tuple[bytes, bytes]], wanted: bytes) -> str | None:
    for name, value in headers:
        if name.lower() == wanted:
            return value.decode("latin-1").strip()
    return None


def _host_port(entry: str) -> tuple[str, int]:
    """An ``X-Forwarded-For`` entry split as uvicorn splits it when it replaces the peer."""
    if entry.startswith("[") and "]" in entry:
        host, rest = entry[1:entry.index("]")], entry[entry.index("]") + 1:]
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else 0
    if entry.count(":") == 1:
        host, port = entry.split(":", 1)
        return (host, int(port)) if port.isdigit() else (entry, 0)
    return entry, 0


def _replaced_by_server(hops: list[str], peer: str, port: int) -> bool:
    # A TCP peer always has a port; uvicorn's replacement carries the entry's own (usually none, i.e. 0).
    return any(_host_port(h) == (peer, port) for h in hops)


def resolve_client(scope: dict[str, Any], trusted: TrustedProxies) -> tuple[str, bool]:
    """The client's address for an ASGI ``http`` or ``websocket`` scope, and whether a trusted proxy spoke for it.

    Computed once per scope (kept under :data:`SCOPE_KEY` in ``scope["state"]``), so calling it again after
    :class:`ForwardedClientMiddleware` rewrote ``scope["client"]`` returns the same answer.

    Parameters
    ----------
    scope : dict
        The ASGI scope.
    trusted : TrustedProxies
        Proxies whose ``X-Forwarded-For`` is believed.

    Returns
    -------
    tuple[str, bool]
        The address (``"unknown"`` when the server gave none) and ``True`` when it came from the header through
        trusted proxies (then ``X-Forwarded-Proto`` may be believed too).
    """
    state = scope.setdefault("state", {})
    known = state.get(SCOPE_KEY)
    if known is not None:
        return known
    client = scope.get("client")
    peer, port = (str(client[0]), int(client[1] or 0)) if client else ("unknown", 0)
    hops = _forwarded_for(scope.get("headers") or [])
    if hops and _replaced_by_server(hops, peer, port):
        # uvicorn already replaced the peer with an entry of the header: it only does so for peers it trusts,
        # loopback by default, so that is where the request came from.
        peer = LOOPBACK
    answer: tuple[str, bool] = (peer, False)
    if peer in trusted and hops:
        for hop in reversed(hops):
            ip = _address(hop)
            text = str(ip) if ip is not None else hop[:_MAX_ENTRY]
            answer = (text, True)
            if ip is None or text not in trusted:
                break
    state[SCOPE_KEY] = answer
    return answer


def request_origin(scope: dict[str, Any], trusted: TrustedProxies) -> str | None:
    """``scheme://host[:port]`` the request was addressed to, or ``None`` without a usable ``Host`` header.

    The scheme comes from ``X-Forwarded-Proto`` only when a trusted proxy sent the request; the host always from
    ``Host`` (proxies in front of the portal must pass it on, as Streamlit's websocket needs anyway).

    Parameters
    ----------
    scope : dict
        The ASGI scope.
    trusted : TrustedProxies
        Proxies whose forwarding headers are believed.
    """
    headers = scope.get("headers") or []
    host = _header(headers, b"host")
    if not host or any(c in host for c in "/\\@?# ") or len(host) > 255:
        return None
    scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
    _client, forwarded = resolve_client(scope, trusted)
    proto = _header(headers, b"x-forwarded-proto") if forwarded else None
    if proto and proto.split(",")[0].strip().lower() in ("http", "https"):
        scheme = proto.split(",")[0].strip().lower()
    return f"{scheme}://{host.lower()}"


class ForwardedClientMiddleware:
    """ASGI middleware: put the client :func:`resolve_client` finds into ``scope["client"]``.

    Parameters
    ----------
    app : ASGI app
        The application to call.
    trusted : TrustedProxies
        Proxies whose ``X-Forwarded-For`` is believed.
    """

    def __init__(self, app: Any, trusted: TrustedProxies) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") in ("http", "websocket"):
            client = scope.get("client")
            address, forwarded = resolve_client(scope, self.trusted)
            if not client or client[0] != address:
                scope["client"] = (address, 0)
            proto = (_header(scope.get("headers") or [], b"x-forwarded-proto") or "").split(",")[0].strip().lower()
            if forwarded and proto in ("http", "https"):
                scope["scheme"] = proto if scope["type"] == "http" else proto.replace("http", "ws")
        await self.app(scope, receive, send)
