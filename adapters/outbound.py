"""HTTP to store addresses a user gave us: only to public addresses, checked where the connection is made.

A WooCommerce store is named by whoever installs Sadakat, so its URL could point at this machine or its
network (server-side request forgery). Every call to such an address goes through :func:`session`:
the host is resolved once, each address it resolves to is checked (loopback, private, link-local,
multicast, reserved and unspecified addresses are refused, IPv4 and IPv6, IPv4-mapped IPv6 and numeric
forms included, since they all resolve first), and the socket connects to the address that was checked,
so no second lookup can answer differently. Redirects are never followed, and proxies from the
environment are not used.
"""

from __future__ import annotations

import ipaddress
import socket
from functools import cache
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError, NewConnectionError
from urllib3.util import connection as connection_util

CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 15
TIMEOUT = (CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)


class PrivateAddressError(NewConnectionError):
    """The store's address resolves to one Sadakat does not call (this machine, a private network, ...)."""


def was_refused(exc: BaseException) -> bool:
    """True if a failed request (as requests raises it) was refused for its address, not a network error."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, PrivateAddressError) or isinstance(exc, PrivateAddressError)


def is_public(address: str) -> bool:
    """True for an address on the public internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolves_privately(host: str, port: int = 443) -> bool:
    """True if ``host`` resolves to any address that is not public. A name that doesn't resolve now is
    not refused here: the connection checks again whenever a call is made."""
    try:
        found = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return False
    return any(not is_public(info[4][0]) for info in found)


def _connect_public(conn: HTTPConnection, allow_private: bool) -> socket.socket:
    host, port = conn._dns_host, conn.port  # type: ignore[attr-defined]
    try:
        found = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except OSError as exc:
        raise NameResolutionError(conn.host, conn, exc) from exc  # type: ignore[arg-type]
    refused = [info[4][0] for info in found if not is_public(info[4][0])]
    if refused and not allow_private:
        raise PrivateAddressError(conn, "the store's address is not a public internet address")
    error: OSError | None = None
    for family, kind, proto, _, address in found:
        sock = socket.socket(family, kind, proto)
        try:
            connection_util._set_socket_options(sock, conn.socket_options)  # type: ignore[attr-defined]
            sock.settimeout(conn.timeout)  # type: ignore[arg-type]
            sock.connect(address)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise NewConnectionError(conn, f"could not connect: {type(error).__name__}")


class _PublicHTTPConnection(HTTPConnection):
    allow_private = False

    def _new_conn(self) -> socket.socket:
        return _connect_public(self, self.allow_private)


class _PublicHTTPSConnection(HTTPSConnection):
    allow_private = False

    def _new_conn(self) -> socket.socket:
        return _connect_public(self, self.allow_private)


class _PublicAdapter(HTTPAdapter):
    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        flags = {"allow_private": self.allow_private}
        http = type("PublicHTTPConnection", (_PublicHTTPConnection,), flags)
        https = type("PublicHTTPSConnection", (_PublicHTTPSConnection,), flags)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("PublicHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("PublicHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }


class _NoRedirects(requests.Session):
    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["allow_redirects"] = False
        return super().request(*args, **kwargs)


@cache
def session(allow_private: bool = False) -> requests.Session:
    """A session that calls only public addresses (unless ``allow_private``), follows no redirect and
    ignores proxy settings from the environment."""
    http = _NoRedirects()
    http.trust_env = False
    adapter = _PublicAdapter(allow_private)
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http
