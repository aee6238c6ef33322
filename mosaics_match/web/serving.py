"""How the portal's processes serve HTTP: no Nagle stalls on kept-alive connections, and the HTTP routes in
several worker processes.

The 40 ms stall
---------------
asyncio turns Nagle's algorithm off (``TCP_NODELAY``) on every accepted connection, but only when the listening
socket says it is TCP (``proto == IPPROTO_TCP``). Streamlit (``streamlit run portal.py``) and uvicorn with
``--workers`` bind the listening socket themselves with ``socket.socket(family)``, whose ``proto`` is ``0``, so
asyncio skips it and Nagle stays on. On a kept-alive connection a response written in two pieces (headers, then
body) then waits for the client's delayed ACK of the first piece: ~40 ms on Linux, on every request after the
first. A new connection per request never showed it.

:func:`nodelay_listening_sockets` is the one place that fixes it: it sets ``TCP_NODELAY`` on the process's
listening TCP sockets, which Linux copies to every connection accepted from them afterwards. Both servers call
it from their ASGI lifespan start, which runs after the socket is bound and before the first connection is
accepted (``portal.py`` for the UI process, :mod:`mosaics_match.web.routes_app` for the route workers).

Worker processes
----------------
A Streamlit session lives in the process that holds its websocket, so the UI process stays one process per
replica (sticky sessions at the load balancer). The HTTP routes keep no state between requests, so
:mod:`mosaics_match.web.routes_app` serves them alone in as many uvicorn workers as there are cores, and the
reverse proxy sends route paths (:data:`ROUTE_PREFIXES`) there; see docs/deployment.md.
"""

from __future__ import annotations

import logging
import os
import socket
import stat

__all__ = ["ROUTE_PREFIXES", "nodelay_listening_sockets", "worker_count"]

LOG = logging.getLogger(__name__)

#: Path prefixes of the stateless HTTP routes (what a proxy may send to the route workers); ``/{path}/did.json``
#: of a did:web with a path is matched by its ending.
ROUTE_PREFIXES = ("/api/", "/status/", "/.well-known/", "/credentials/", "/achievements/")


def _fd_dir() -> str | None:
    for candidate in ("/proc/self/fd", "/dev/fd"):
        if os.path.isdir(candidate):
            return candidate
    return None


def nodelay_listening_sockets() -> int:
    """Set ``TCP_NODELAY`` on every listening TCP socket of this process.

    Connections accepted afterwards inherit it (Linux), so responses go out at once instead of waiting ~40 ms
    for the client's delayed ACK. Harmless to call more than once, or when the server already did it.

    Returns
    -------
    int
        How many listening sockets were set (``0`` where the process's descriptors cannot be listed).
    """
    where = _fd_dir()
    if where is None:
        return 0
    count = 0
    for name in os.listdir(where):
        try:
            fd = int(name)
            # Only sockets are duplicated (and the duplicate closed). Closing any descriptor of a regular file
            # releases every POSIX lock this process holds on it, SQLite's WAL locks included: another process
            # would then delete the WAL under the server and the server's later writes would be lost.
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                continue
            dup = os.dup(fd)
        except (ValueError, OSError):
            continue
        try:
            sock = socket.socket(fileno=dup)
        except OSError:
            os.close(dup)
            continue
        try:
            if (sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM
                    and sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                count += 1
        except OSError:
            pass
        finally:
            sock.close()  # closes the duplicate only; the server's socket stays open
    if count:
        LOG.debug("TCP_NODELAY set on %d listening socket(s)", count)
    return count


def worker_count() -> int:
    """Worker processes for the HTTP routes: one per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)
