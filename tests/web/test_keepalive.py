"""Kept-alive connections are answered as fast as new ones under the README's ``streamlit run portal.py`` and under
the route workers (``uvicorn ... --workers 2``): no ~40 ms Nagle / delayed-ACK stall per request."""

from __future__ import annotations

import http.client
import statistics
import time

import pytest

from tests.conftest import free_port, running_portal
from tests.web.test_published_cache import route_workers

#: Far below the ~40 ms stall (Linux's delayed ACK), far above a loaded machine's answer for a small document.
STALL_MS = 25.0


def _keepalive_median_ms(url: str, path: str, n: int = 25) -> float:
    host, port = url.split("//", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    times = []
    try:
        for _ in range(n + 3):
            started = time.perf_counter()
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            times.append((time.perf_counter() - started) * 1000)
            assert resp.status == 200 and body and not resp.will_close
    finally:
        conn.close()
    return statistics.median(times[3:])  # the first requests warm the process up


@pytest.mark.slow
def test_streamlit_run_answers_kept_alive_requests_without_the_stall(tmp_path) -> None:
    with running_portal(tmp_path / "portal", None, env={"MOSAICS_DEMO": "0"}) as portal:
        median = _keepalive_median_ms(portal["url"], "/.well-known/jwks.json")
    assert median < STALL_MS, f"kept-alive requests take {median:.1f} ms (Nagle stall?)"


@pytest.mark.slow
def test_route_workers_answer_kept_alive_requests_without_the_stall(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'routes.db'}"
    from mosaics_match.runtime import open_runtime
    from tests.conftest import make_settings

    open_runtime(make_settings(url)).engine.dispose()  # the schema, as a deployment's `db upgrade` would
    with route_workers(url, tmp_path / "routes.log", port=free_port()) as base:
        median = _keepalive_median_ms(base, "/api/v1/openapi.json")
    assert median < STALL_MS, f"kept-alive requests take {median:.1f} ms (Nagle stall?)"
