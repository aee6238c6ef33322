"""The client address behind reverse proxies: X-Forwarded-For is believed only from MOSAICS_TRUSTED_PROXIES, also
after uvicorn's own proxy-header handling ran first; a spoofed header cannot pick a rate-limit bucket."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import urllib.error
import urllib.request

import pytest
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from mosaics_match.web.proxies import ForwardedClientMiddleware, TrustedProxies, request_origin, resolve_client


def _run(coro) -> None:
    """Run a coroutine to completion on a fresh event loop in its own thread: the browser tests' Playwright
    session keeps an event loop running in the main thread, where asyncio.run() refuses to start another."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coro).result()

def scope(peer: tuple[str, int] | None, *headers: tuple[str, str], kind: str = "http") -> dict:
    return {"type": kind, "client": peer, "scheme": "http" if kind == "http" else "ws",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers]}


def client(peer, *headers, trusted=()):
    return resolve_client(scope(peer, *headers), TrustedProxies.parse(trusted))


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client(("203.0.113.9", 50123), ("X-Forwarded-For", "198.51.100.1")) == ("203.0.113.9", False)
    assert client(("203.0.113.9", 50123)) == ("203.0.113.9", False)
    assert client(None) == ("unknown", False)


def test_through_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() -> None:
    trusted = ("10.0.0.0/24", "192.0.2.7")
    # The client wrote "1.1.1.1" itself; the proxies appended the real address after it.
    assert client(("10.0.0.5", 40000), ("X-Forwarded-For", "1.1.1.1, 203.0.113.9"), trusted=trusted) == (
        "203.0.113.9", True)
    # Two proxies: 192.0.2.7 forwarded to 10.0.0.5, which connected to us.
    assert client(("10.0.0.5", 40000), ("X-Forwarded-For", "1.1.1.1, 203.0.113.9, 192.0.2.7"),
                  trusted=trusted) == ("203.0.113.9", True)
    # Several header lines are one list.
    assert client(("10.0.0.5", 40000), ("X-Forwarded-For", "1.1.1.1"), ("X-Forwarded-For", "203.0.113.9"),
                  trusted=trusted) == ("203.0.113.9", True)
    # A proxy we do not trust speaks only for itself.
    assert client(("10.0.1.5", 40000), ("X-Forwarded-For", "203.0.113.9"), trusted=trusted) == ("10.0.1.5", False)


def test_odd_entries_and_addresses() -> None:
    trusted = ("10.0.0.5", "2001:db8::/32")
    assert client(("10.0.0.5", 1), ("X-Forwarded-For", "unknown"), trusted=trusted) == ("unknown", True)
    assert client(("10.0.0.5", 1), ("X-Forwarded-For", "[2001:db9::1]:4711"), trusted=trusted) == (
        "2001:db9::1", True)
    assert client(("2001:db8::2", 1), ("X-Forwarded-For", "203.0.113.9:5555"), trusted=trusted) == (
        "203.0.113.9", True)
    # An IPv4-mapped peer is the IPv4 proxy.
    assert client(("::ffff:10.0.0.5", 1), ("X-Forwarded-For", "203.0.113.9"), trusted=trusted)[0] == "203.0.113.9"
    # Every hop trusted: the leftmost is as far as we can see.
    assert client(("10.0.0.5", 1), ("X-Forwarded-For", "2001:db8::9"), trusted=trusted) == ("2001:db8::9", True)


def _through_uvicorn(peer: tuple[str, int], headers: list[tuple[str, str]], trusted: tuple[str, ...],
                     uvicorn_trusts: str = "127.0.0.1,::1") -> tuple[tuple[str, int], str]:
    """What the app behind uvicorn's real ProxyHeadersMiddleware and ours sees."""
    seen: dict = {}

    async def app(s, receive, send) -> None:
        seen["client"], seen["scheme"] = s["client"], s["scheme"]

    stack = ProxyHeadersMiddleware(ForwardedClientMiddleware(app, TrustedProxies.parse(trusted)),
                                   trusted_hosts=uvicorn_trusts)
    _run(stack(scope(peer, *headers), None, None))
    return seen["client"], seen["scheme"]


def test_a_loopback_spoof_rewritten_by_uvicorn_is_read_as_loopback() -> None:
    # uvicorn (default: trusts loopback) would hand the app "6.6.6.6"; the portal trusts no proxy.
    seen, scheme = _through_uvicorn(("127.0.0.1", 50000), [("X-Forwarded-For", "6.6.6.6"),
                                                           ("X-Forwarded-Proto", "https")], trusted=())
    assert seen[0] == "127.0.0.1"
    # With loopback trusted (nginx on this machine), the appended address is the client.
    seen, scheme = _through_uvicorn(("127.0.0.1", 50000), [("X-Forwarded-For", "6.6.6.6, 203.0.113.9"),
                                                           ("X-Forwarded-Proto", "https")], trusted=("127.0.0.1",))
    assert seen[0] == "203.0.113.9" and scheme == "https"


def test_a_remote_client_cannot_pass_as_rewritten_by_naming_itself() -> None:
    seen, _ = _through_uvicorn(("203.0.113.9", 50000), [("X-Forwarded-For", "203.0.113.9")], trusted=())
    assert seen == ("203.0.113.9", 50000)


def test_websocket_scopes_are_resolved_too() -> None:
    s = scope(("10.0.0.5", 1), ("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Proto", "https"), kind="websocket")
    seen: dict = {}

    async def app(sc, receive, send) -> None:
        seen.update(client=sc["client"], scheme=sc["scheme"])

    _run(ForwardedClientMiddleware(app, TrustedProxies.parse(["10.0.0.5"]))(s, None, None))
    assert seen == {"client": ("203.0.113.9", 0), "scheme": "wss"}


def test_request_origin_believes_forwarded_proto_only_from_trusted_proxies() -> None:
    headers = (("Host", "portal.example.ca"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-For", "203.0.113.9"))
    assert request_origin(scope(("10.0.0.5", 1), *headers), TrustedProxies.parse(["10.0.0.5"])) == (
        "https://portal.example.ca")
    assert request_origin(scope(("10.0.0.6", 1), *headers), TrustedProxies.parse(["10.0.0.5"])) == (
        "http://portal.example.ca")
    assert request_origin(scope(("10.0.0.6", 1), ("Host", "evil.example/x")), TrustedProxies()) is None


# --- a real server ------------------------------------------------------------------------------------------

def _verify(url: str, forwarded_for: str) -> tuple[int, dict]:
    request = urllib.request.Request(f"{url}/api/v1/verify", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json", "X-Forwarded-For": forwarded_for})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _audit_actors(db_url: str) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT actor FROM audit_event WHERE action = 'verify'"))]
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_running_portal_refuses_spoofed_forwarded_for(tmp_path, seeded_sqlite) -> None:
    from tests.conftest import running_portal

    burst = 30
    # No trusted proxy: every invented X-Forwarded-For still lands in the one bucket of the real peer.
    with running_portal(tmp_path / "plain", seeded_sqlite) as portal:
        statuses = [_verify(portal["url"], f"198.51.100.{i}")[0] for i in range(burst + 1)]
        actors = set(_audit_actors(portal["db_url"]))
    assert statuses[:burst] == [200] * burst and statuses[burst] == 429
    assert actors == {"api:127.0.0.1"}

    # nginx on this machine, trusted: the address it appends is the client, whatever the client prepended.
    with running_portal(tmp_path / "proxied", seeded_sqlite,
                        env={"MOSAICS_TRUSTED_PROXIES": "127.0.0.1"}) as portal:
        statuses = [_verify(portal["url"], f"198.51.100.{i}, 203.0.113.7")[0] for i in range(burst + 1)]
        other = _verify(portal["url"], "203.0.113.8")[0]
        actors = set(_audit_actors(portal["db_url"]))
    assert statuses[:burst] == [200] * burst and statuses[burst] == 429
    assert other == 200
    assert actors == {"api:203.0.113.7", "api:203.0.113.8"}
