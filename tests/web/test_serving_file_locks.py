"""Setting TCP_NODELAY on the listening sockets must not touch the process's other files.

POSIX advisory locks belong to the process and are all released when *any* descriptor of the file is closed.
SQLite keeps its WAL locks that way, so a helper that duplicated and closed every descriptor of the process
(to find the listening sockets) silently dropped the server's database locks: the next process to close a
connection believed it was the last one, checkpointed and deleted the WAL under the running server, and every
later write of the server went to the deleted file (seen as a revocation the staff page showed but no other
process ever read).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from mosaics_match.web.serving import nodelay_listening_sockets

OTHER_PROCESS = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
print(conn.execute("SELECT count(*) FROM t").fetchone()[0])
conn.close()
"""


def _count_from_another_process(path: Path) -> int:
    out = subprocess.run([sys.executable, "-c", OTHER_PROCESS, str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def test_the_server_keeps_its_database_locks_and_its_writes_reach_other_processes(tmp_path):
    path = tmp_path / "portal.db"
    server = sqlite3.connect(path, isolation_level=None)
    server.execute("PRAGMA journal_mode=WAL")
    server.execute("CREATE TABLE t (x INTEGER)")
    server.execute("INSERT INTO t VALUES (1)")

    nodelay_listening_sockets()  # what the server does at start, with its database already open

    assert _count_from_another_process(path) == 1  # that process's close must not take the WAL away
    assert Path(f"{path}-wal").exists()
    server.execute("INSERT INTO t VALUES (2)")
    assert _count_from_another_process(path) == 2
    server.close()


def test_it_still_sets_nodelay_on_a_listening_socket():
    import socket

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, as Streamlit binds it
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        assert nodelay_listening_sockets() >= 1
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        listener.close()
