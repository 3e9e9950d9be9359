"""A merchant's webhook endpoint for tests: a real HTTP server on 127.0.0.1 that keeps every request it got
and answers with the statuses it is told (then 204)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    """One request the endpoint got."""

    headers: dict[str, str]
    body: bytes


@dataclass
class Endpoint:
    """The endpoint's address, what it got, and the statuses it will answer next."""

    url: str
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)


@contextmanager
def webhook_endpoint() -> Iterator[Endpoint]:
    """Run an endpoint until the block ends."""
    endpoint = Endpoint(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            with lock:
                endpoint.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                status = endpoint.answers.pop(0) if endpoint.answers else 204
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    endpoint.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()
